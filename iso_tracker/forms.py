from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db import connections
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is wrong. Note that the password is case-sensitive."),
    }


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, refusing an id that no row can have (beyond the range of the column) as an invalid
    choice: Django looks the ids up with `pk__in`, which SQLite cannot even send (OverflowError)."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        field = self.queryset.model._meta.get_field(key) if key != "pk" else self.queryset.model._meta.pk
        internal_type = field.get_internal_type()
        if "Integer" in internal_type or internal_type.endswith("AutoField"):
            low, high = connections[self.queryset.db].ops.integer_field_range(internal_type)
            for pk in value if isinstance(value, list | tuple | set | frozenset) else ():
                try:
                    number = int(str(pk).strip())
                except ValueError:
                    continue  # Django's own check refuses it
                if (low is not None and number < low) or (high is not None and number > high):
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                    )
        return super()._check_values(value)
