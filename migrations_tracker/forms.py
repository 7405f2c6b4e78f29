from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.forms import DATE_WIDGET, ImportFileForm, RevisionMixin
from agencies.models import Agency, Category
from agencies.uploads import check_upload
from iso_tracker.forms import ModelMultipleChoiceField

from .models import (
    AdministrativeProcedure,
    Announcement,
    ConsultantContract,
    LegalChange,
    Milestone,
    Process,
    QMSProfile,
    Review,
    RoleAssignment,
    StaffMember,
    Stage,
    TrainingCourse,
    Version,
)

EVIDENCE_HELP = _("PDF, Word (.docx), Excel (.xlsx), JPG or PNG; checked by its content.")


class EvidenceMixin(forms.Form):
    """An optional evidence file, checked when the form is validated so that a bad file is reported next
    to the field and nothing typed is lost."""

    evidence = forms.FileField(label=_("Evidence file"), required=False, help_text=EVIDENCE_HELP)

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload:
            try:
                check_upload(upload)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from None
        return upload


def _dates(*names: str) -> dict:
    return dict.fromkeys(names, DATE_WIDGET)


class ProfileForm(RevisionMixin, EvidenceMixin, forms.ModelForm):
    class Meta:
        model = QMSProfile
        fields = ["version", "stage", "quality_policy", "quality_objectives"]
        widgets = {
            "quality_policy": forms.Textarea(attrs={"rows": 3}),
            "quality_objectives": forms.Textarea(attrs={"rows": 4}),
        }


class AnnouncementForm(EvidenceMixin, forms.ModelForm):
    website_url = forms.URLField(label=_("Posted on the website at"), required=False, assume_scheme="https")

    class Meta:
        model = Announcement
        fields = [
            "is_reannouncement",
            "decision_number",
            "decision_date",
            "version",
            "scope",
            "dost_notified_on",
            "posted_at_office",
            "website_url",
        ]
        widgets = {**_dates("decision_date", "dost_notified_on"), "scope": forms.Textarea(attrs={"rows": 3})}


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = AdministrativeProcedure
        fields = ["code", "name", "field", "legal_basis"]
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 2})}


class ProcessForm(EvidenceMixin, forms.ModelForm):
    class Meta:
        model = Process
        fields = ["code", "name", "revision", "effective_date", "procedures"]
        widgets = {**_dates("effective_date"), "procedures": forms.CheckboxSelectMultiple}
        field_classes = {"procedures": ModelMultipleChoiceField}

    def __init__(self, *args, agency: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedures"].queryset = agency.procedures.order_by("code")


class ReviewForm(EvidenceMixin, forms.ModelForm):
    class Meta:
        model = Review
        fields = ["kind", "date", "scope", "result", "nonconformities", "on_2015"]
        widgets = {
            **_dates("date"),
            "scope": forms.Textarea(attrs={"rows": 2}),
            "result": forms.Textarea(attrs={"rows": 2}),
        }


class StaffForm(forms.ModelForm):
    role = forms.ChoiceField(label=_("QMS role"), choices=RoleAssignment.Role.choices)
    start_date = forms.DateField(label=_("Holds it from"), widget=DATE_WIDGET)

    class Meta:
        model = StaffMember
        fields = ["full_name", "position", "email", "phone"]


class RoleForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["staff", "role", "start_date", "end_date"]
        widgets = _dates("start_date", "end_date")

    def __init__(self, *args, agency: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = agency.qms_staff.all()


class AttendanceForm(EvidenceMixin, forms.Form):
    course = forms.ModelChoiceField(queryset=TrainingCourse.objects.none(), label=_("Course"))
    staff = forms.ModelChoiceField(queryset=StaffMember.objects.none(), label=_("Staff member"))
    certificate_number = forms.CharField(label=_("Certificate number"), max_length=100, required=False)

    def __init__(self, *args, agency: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = TrainingCourse.objects.filter(province=agency.province)
        self.fields["staff"].queryset = agency.qms_staff.all()


class MilestoneForm(EvidenceMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["kind", "date", "note"]
        widgets = _dates("date")

    def validate_unique(self):
        pass  # recording a milestone again corrects it (services.milestone_record)


class ContractForm(EvidenceMixin, forms.ModelForm):
    class Meta:
        model = ConsultantContract
        fields = ["consultant", "contract_number", "signed_on", "value_vnd", "funding_decision"]
        widgets = _dates("signed_on")


class LegalChangeForm(forms.ModelForm):
    class Meta:
        model = LegalChange
        fields = ["number", "title", "effective_date", "fields"]
        widgets = _dates("effective_date")


class CourseForm(forms.ModelForm):
    class Meta:
        model = TrainingCourse
        fields = ["title", "organiser", "start_date", "end_date"]
        widgets = _dates("start_date", "end_date")


class AffectedProcessesForm(forms.Form):
    processes = ModelMultipleChoiceField(
        queryset=Process.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Processes this change affects"),
    )

    def __init__(self, *args, agency: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["processes"].queryset = agency.processes.order_by("code")


class RevisionDoneForm(forms.Form):
    revised_on = forms.DateField(label=_("Revised on"), widget=DATE_WIDGET)


class ProcedureImportForm(ImportFileForm):
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"), help_text=_("Columns: Mã thủ tục, Tên thủ tục, Lĩnh vực, Căn cứ pháp lý.")
    )


class AsOfForm(forms.Form):
    """The day a page shows the province as it stood (query string)."""

    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE_WIDGET)


class CriteriaForm(AsOfForm):
    """The agencies behind a number of the dashboard: version, stage, milestone, category (query string)."""

    version = forms.ChoiceField(choices=[("", "—"), *Version.choices], required=False)
    stage = forms.ChoiceField(choices=[("", "—"), *Stage.choices], required=False)
    milestone = forms.ChoiceField(choices=[("", "—"), *Milestone.Kind.choices], required=False)
    category = forms.ChoiceField(choices=[("", "—"), *Category.choices], required=False)
