from django.urls import path

from . import campaign_views, views

app_name = "qms"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("national/", views.national_dashboard, name="national"),
    path("national/<int:pk>/", views.national_go, name="national_go"),
    path("national/report/<int:year>/", views.national_report, name="national_report"),
    path("flags/<slug:key>/", views.flag_list, name="flag"),
    path("list/", views.agency_list, name="list"),
    path("over-cap/", views.over_cap_list, name="over_cap"),
    path("agencies/<int:pk>/", views.profile, name="profile"),
    path("agencies/<int:pk>/edit/", views.profile_edit, name="profile_edit"),
    path("agencies/<int:pk>/add/<slug:section>/", views.record_add, name="add"),
    path("agencies/<int:pk>/procedures/import/", views.procedure_import, name="procedure_import"),
    path("agencies/<int:pk>/procedures/<int:procedure_pk>/delete/", views.procedure_delete, name="procedure_delete"),
    path("agencies/<int:pk>/legal/<int:legal_change_pk>/", views.revisions_edit, name="revisions_edit"),
    path("agencies/<int:pk>/revisions/<int:revision_pk>/done/", views.revision_done, name="revision_done"),
    path("legal-changes/", views.legal_change_list, name="legal_changes"),
    path("legal-changes/<int:pk>/", views.legal_change_detail, name="legal_change"),
    path("training/", views.course_list, name="courses"),
    path("editions/", campaign_views.edition_list, name="editions"),
    path("editions/<int:pk>/edit/", campaign_views.edition_edit, name="edition_edit"),
    path("transitions/", campaign_views.campaign_list, name="campaigns"),
    path("transitions/<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("transitions/<int:pk>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("transitions/<int:pk>/milestones/<int:step_pk>/", campaign_views.step_edit, name="step_edit"),
    path("transitions/<int:pk>/milestones/<int:step_pk>/delete/", campaign_views.step_delete, name="step_delete"),
]
