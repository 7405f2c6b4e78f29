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

from . import cycle_views  # noqa: E402

urlpatterns += [
    path("plans/", cycle_views.plan_list, name="plans"),
    path("plans/<int:pk>/", cycle_views.plan_detail, name="plan"),
    path("plans/entries/<int:pk>/", cycle_views.plan_entry_edit, name="plan_entry"),
    path("plans/<int:pk>/mau-19.pdf", cycle_views.plan_pdf, name="plan_pdf"),
    path("<int:pk>/mau-<str:form>.pdf", cycle_views.inspection_pdf, name="inspection_pdf"),
    path("plans/entries/<int:entry_pk>/start/", cycle_views.inspection_start, name="start"),
    path("", cycle_views.inspection_list, name="inspections"),
    path("<int:pk>/", cycle_views.inspection_detail, name="inspection"),
    path("<int:pk>/file.zip", cycle_views.inspection_file, name="inspection_file"),
    path("findings/", cycle_views.finding_list, name="findings"),
    path("findings/<int:pk>/", cycle_views.finding_detail, name="finding"),
    path("actions/<int:pk>/decide/", cycle_views.action_decide, name="action_decide"),
]

from .reports import views as report_views  # noqa: E402

urlpatterns += [
    path("reports/", report_views.report_list, name="annual_reports"),
    path("reports/summary.pdf", report_views.summary, name="summary_pdf"),
    path("reports/<int:year>/", report_views.report_detail, name="annual_report"),
    path("reports/<int:year>/generate/", report_views.report_generate, name="annual_report_generate"),
    path("reports/files/<int:pk>/", report_views.report_file, name="report_file"),
]

from . import signature_views  # noqa: E402

urlpatterns += [
    path("signatures/files/<int:pk>/", signature_views.signed_pdf, name="signed_pdf"),
    path("signatures/<str:kind>/<int:ref>/", signature_views.signed_list, name="signatures"),
]
