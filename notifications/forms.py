from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import User
from iso_tracker.forms import ModelMultipleChoiceField

from .models import Kind, ReminderSettings


class SettingsForm(forms.ModelForm):
    """A province's reminder settings, kept by its DOST staff, with the revision the page was opened at
    (empty when there were no settings yet, so that a first save made meanwhile by a colleague is not
    overwritten either; see services.settings_save)."""

    revision = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput)

    enabled = forms.MultipleChoiceField(
        label=gettext_lazy("Reminders that run"),
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ReminderSettings
        fields = ["enabled", "report_lead_days", "action_lead_days", "revision_lead_days", "hour", "digest_recipients"]
        widgets = {"digest_recipients": forms.CheckboxSelectMultiple}
        field_classes = {"digest_recipients": ModelMultipleChoiceField}

    def __init__(self, *args, province, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("revision", self.instance.revision)
        self.fields["digest_recipients"].queryset = User.objects.filter(province=province, role=User.Role.DOST)

    def clean_hour(self):
        hour = self.cleaned_data["hour"]
        if hour > 23:
            raise forms.ValidationError(_("An hour from 0 to 23."))
        return hour

    def _clean_days(self, name):
        value = self.cleaned_data[name]
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts or not all(p.isdigit() and 0 < int(p) <= 90 for p in parts):
            raise forms.ValidationError(_("Whole numbers of days from 1 to 90, separated by commas, e.g. 14,7,1."))
        return ",".join(parts)

    def clean_report_lead_days(self):
        return self._clean_days("report_lead_days")

    def clean_action_lead_days(self):
        return self._clean_days("action_lead_days")
