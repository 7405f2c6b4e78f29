from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("self-reports/", views.round_list, name="rounds"),
    path("self-reports/<int:pk>/", views.round_detail, name="round"),
    path("self-reports/<int:round_pk>/agencies/<int:agency_pk>/", views.report, name="report"),
    path("self-reports/<int:round_pk>/agencies/<int:agency_pk>/decide/", views.report_decide, name="report_decide"),
    path("self-reports/<int:round_pk>/agencies/<int:agency_pk>/evidence/", views.evidence_add, name="evidence_add"),
]
