from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    """Inspection plans, inspections, findings, self-reports and reports (issue 4 on)."""

    name = "inspections"
    verbose_name = _("Inspections")
