from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from agencies.forms import DATE_WIDGET, RevisionForm, RevisionMixin
from agencies.models import Province
from agencies.picker import AgencyField
from iso_tracker.bounds import FIRST_YEAR, LAST_YEAR
from migrations_tracker.forms import EvidenceMixin

from .models import AnnualReport, Check, Finding, Inspection, Mode, NationalReport, PlanEntry, ReportingRound
from .sections import SECTION_KEYS, SECTIONS


class RoundForm(forms.ModelForm):
    # Bounded like every year a user types (SQLite would store 2147483648; PostgreSQL's smallint would not).
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)

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


class PartOfForm:
    """`form_id`: the fields belong to another <form> of the page (HTML's form attribute), so its button
    sends them with what was typed there (the self-report's text, the inspection's checklist)."""

    def __init__(self, *args, form_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if form_id:
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id


class EvidenceForm(PartOfForm, EvidenceMixin, forms.Form):
    section = forms.ChoiceField(
        label=_("Section"), choices=[("", "—"), *[(s.key, s.title) for s in SECTIONS]], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].required = True


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    on = forms.DateField(
        label=_("Risk assessed as of"),
        widget=DATE_WIDGET,
        help_text=_("The agencies existing on this day enter the plan."),
    )


class PlanEntryForm(RevisionMixin, forms.ModelForm):
    class Meta:
        model = PlanEntry
        fields = ["mode", "override_reason", "planned_date", "team", "budget_vnd"]
        widgets = {"planned_date": DATE_WIDGET}


class StartForm(forms.Form):
    start_date = forms.DateField(label=_("Starts on"), widget=DATE_WIDGET)
    decision_number = forms.CharField(label=_("Inspection decision (Mẫu 20)"), max_length=100, required=False)
    team = forms.CharField(label=_("Team"), max_length=300, required=False)


class AdHocForm(StartForm):
    agency = AgencyField(label=_("Agency"))
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


class ChecklistForm(RevisionForm):
    """The checklist of an inspection, and the revision of the inspection it was opened on."""

    def __init__(self, *args, checks, **kwargs):
        super().__init__(*args, **kwargs)
        for check in checks:
            self.fields[f"result_{check.item}"] = forms.ChoiceField(
                choices=[("", "—"), *Check.Result.choices], required=False, initial=check.result
            )
            self.fields[f"note_{check.item}"] = forms.CharField(
                required=False, initial=check.note, widget=forms.TextInput()
            )

    def results(self) -> dict[str, tuple[str, str]]:
        return {
            key: (self.cleaned_data[f"result_{key}"], self.cleaned_data[f"note_{key}"])
            for key in SECTION_KEYS
            if f"result_{key}" in self.cleaned_data
        }


class FindingForm(PartOfForm, forms.ModelForm):
    class Meta:
        model = Finding
        fields = ["item", "severity", "clause", "description", "due_on"]
        widgets = {
            "due_on": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 2}),
            "item": forms.Select(choices=[(s.key, s.title) for s in SECTIONS]),
        }
        help_texts = {"due_on": _("Empty: 2 months after the minutes are signed.")}


class ConclusionForm(RevisionMixin, forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["conclusion", "conclusion_note", "minutes_signed_on", "end_date"]
        widgets = {
            "minutes_signed_on": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "conclusion_note": forms.Textarea(attrs={"rows": 2}),
        }


class ActionForm(RevisionForm, EvidenceMixin):
    """The secretary's corrective action, and the revision of the finding it answers."""

    action = forms.CharField(label=_("Action taken"), widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (required to reject)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NarrativeForm(forms.ModelForm):
    """DOST's part of the annual report."""

    class Meta:
        model = AnnualReport
        fields = list(AnnualReport.FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in ("assessment", "difficulties", "proposals")}


class NationalNarrativeForm(NarrativeForm):
    """The Ministry's part of the national report."""

    class Meta(NarrativeForm.Meta):
        model = NationalReport


class ReportingPeriodForm(forms.ModelForm):
    """The days a year's annual report covers, for the province."""

    class Meta:
        model = Province
        fields = ["reporting_period"]
        widgets = {"reporting_period": forms.RadioSelect}


UNCLOSED, ANY = "unclosed", "all"
NOT_CONCLUDED = "none"  # the inspections of a year still without a conclusion


class InspectionFilterForm(forms.Form):
    """The filters of the inspections of a year (from the query string)."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    mode = forms.ChoiceField(label=_("Mode"), choices=[("", "—"), *Mode.choices], required=False)
    conclusion = forms.ChoiceField(
        label=_("Conclusion"),
        choices=[("", "—"), (NOT_CONCLUDED, _("Not concluded yet")), *Inspection.Conclusion.choices],
        required=False,
    )
    agency = forms.IntegerField(min_value=1, required=False)  # one agency's inspections, every year unless one is set


class FindingFilterForm(forms.Form):
    """The filters of the findings list (from the query string)."""

    # Opens on what needs attention: every finding not closed yet, unless a status (or "all") is asked for.
    status = forms.ChoiceField(
        choices=[("", "—"), (UNCLOSED, _("Not closed")), (ANY, _("Any status")), *Finding.Status.choices],
        required=False,
    )
    to_answer = forms.BooleanField(required=False)  # awaiting the agency: open, or its action not accepted
    agency = forms.IntegerField(min_value=1, required=False)  # the agency responsible
    severity = forms.ChoiceField(choices=[("", "—"), *Finding.Severity.choices], required=False)
    overdue = forms.BooleanField(required=False)
    repeated = forms.BooleanField(required=False)


class RecheckForm(forms.Form):
    """A finding of an earlier inspection re-checked on this one."""

    recheck = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    effective = forms.BooleanField(required=False)


class SignedPdfForm(forms.Form):
    """A signed copy of a document, signed elsewhere: a PDF, refused by its size and first bytes before
    its signatures are read."""

    file = forms.FileField(label=_("Signed PDF"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "The PDF downloaded from here, signed with your digital certificate. At most %(n)s MB."
        ) % {"n": settings.SIGNED_PDF_MAX_MB}
        self.fields["file"].widget.attrs["accept"] = ".pdf,application/pdf"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.SIGNED_PDF_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(n)s MB.") % {"n": settings.SIGNED_PDF_MAX_MB})
        head = upload.read(1024)
        upload.seek(0)
        if b"%PDF-" not in head:
            raise forms.ValidationError(_("This file is not a PDF."))
        return upload
