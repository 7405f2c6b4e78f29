from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agency registry")

    def ready(self) -> None:
        from . import accounts  # noqa: F401  (stamps each new session for the expiry rules)
