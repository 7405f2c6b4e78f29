from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations that span every app: the demo loader, backup and restore. The apps below it
    (registry, QMS, inspections, reminders) never import it."""

    name = "ops"
    verbose_name = _("Operations")
