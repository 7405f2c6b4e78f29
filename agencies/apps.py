from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agency registry")

    def ready(self) -> None:
        from django import forms

        from iso_tracker.bounds import validate_date

        from . import auth  # noqa: F401  (stamps each new session for the expiry rules)

        # Every date a user types, in any form or filter, is between 1945 and 2100, so that deadlines
        # and "as of" arithmetic never overflow (31/12/9999 + 3 months) and far-past dates are refused.
        if validate_date not in forms.DateField.default_validators:
            forms.DateField.default_validators = [*forms.DateField.default_validators, validate_date]
