from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.forms import DATE_WIDGET
from migrations_tracker.forms import EvidenceMixin

from .models import ReportingRound
from .sections import SECTION_KEYS, SECTIONS


class RoundForm(forms.ModelForm):
    class Meta:
        model = ReportingRound
        fields = ["year", "opened_on", "deadline", "note"]
        widgets = {"opened_on": DATE_WIDGET, "deadline": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 3})}


class ReportForm(forms.Form):
    """One text per section of art. 36, and the revision the user started from (the concurrent-edit guard)."""

    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section.key] = forms.CharField(
                label=section.title,
                help_text=section.question,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def answers(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key in SECTION_KEYS}


class ReturnForm(forms.Form):
    comment = forms.CharField(label=_("What must be revised"), widget=forms.Textarea(attrs={"rows": 3}))


class EvidenceForm(EvidenceMixin, forms.Form):
    section = forms.ChoiceField(
        label=_("Section"), choices=[("", "—"), *[(s.key, s.title) for s in SECTIONS]], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].required = True
