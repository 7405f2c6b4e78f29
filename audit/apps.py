from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit trail: who wrote what and when, sign-ins, and refused accesses, across every app."""

    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from . import commands, receivers  # noqa: F401  (connects the signal receivers)

        commands.audit_management_commands()
