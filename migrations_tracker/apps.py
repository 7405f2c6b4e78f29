from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigrationsTrackerConfig(AppConfig):
    """The ISO 9001:2008 → 2015 transition and each agency's QMS lifecycle (issue 3)."""

    name = "migrations_tracker"
    verbose_name = _("QMS and ISO 9001:2015 transition")
