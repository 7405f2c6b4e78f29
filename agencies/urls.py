from django.urls import path

from . import views

app_name = "agencies"

urlpatterns = [
    path("", views.agency_list, name="list"),
    path("new/", views.agency_create, name="create"),
    path("import/", views.agency_import, name="import"),
    path("export.csv", views.agency_export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", views.agency_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("<int:pk>/", views.agency_detail, name="detail"),
    path("<int:pk>/edit/", views.agency_edit, name="edit"),
    path("<int:pk>/handover/", views.agency_handover, name="handover"),
    path("handover/", views.handover_flag, name="handover_flag"),
    path("pick/", views.agency_pick, name="pick"),
    path("documents/<uuid:uuid>/", views.document_download, name="document"),
    path("rules/", views.application_rules, name="rules"),
    path("rules/<int:pk>/delete/", views.application_rule_delete, name="rule_delete"),
    path("reorganisations/", views.reorganisation_list, name="reorganisation_list"),
    path("reorganisations/<int:pk>/", views.reorganisation_detail, name="reorganisation_detail"),
    path("reorganisations/new/<slug:kind>/", views.reorganisation_create, name="reorganisation_create"),
]
