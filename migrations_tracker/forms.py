from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agencies.forms import DATE_WIDGET, ImportFileForm, RevisionMixin
from agencies.models import Agency, Category, Obligation
from agencies.uploads import check_upload
from iso_tracker.forms import ModelMultipleChoiceField

from .campaign_templates import TEMPLATES
from .models import (
    NONE,
    AdministrativeProcedure,
    AmendmentCheck,
    Announcement,
    Campaign,
    ConsultantContract,
    Edition,
    LegalChange,
    Process,
    QMSProfile,
    Review,
    RoleAssignment,
    StaffMember,
    Stage,
    Step,
    TrainingCourse,
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
        fields = ["edition", "stage", "quality_policy", "quality_objectives"]
        widgets = {
            "quality_policy": forms.Textarea(attrs={"rows": 3}),
            "quality_objectives": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["edition"].empty_label = _("None yet")


class AnnouncementForm(EvidenceMixin, forms.ModelForm):
    website_url = forms.URLField(label=_("Posted on the website at"), required=False, assume_scheme="https")

    class Meta:
        model = Announcement
        fields = [
            "is_reannouncement",
            "decision_number",
            "decision_date",
            "edition",
            "scope",
            "dost_notified_on",
            "posted_at_office",
            "website_url",
        ]
        widgets = {**_dates("decision_date", "dost_notified_on"), "scope": forms.Textarea(attrs={"rows": 3})}


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = AdministrativeProcedure
        fields = ["code", "national_code", "name", "field", "legal_basis"]
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
        fields = ["kind", "date", "edition", "scope", "result", "nonconformities"]
        widgets = {
            **_dates("date"),
            "scope": forms.Textarea(attrs={"rows": 2}),
            "result": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["edition"].empty_label = _("Not stated")


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


def _province_steps(agency: Agency):
    return (
        Step.objects.filter(campaign__province_id=agency.province_id)
        .select_related("campaign__to_edition")
        .order_by("campaign__opened_on", "campaign_id", "order", "pk")
    )


class StepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Step) -> str:
        return f"{obj.campaign} · {obj.name}"


class MilestoneForm(EvidenceMixin, forms.Form):
    step = StepChoiceField(queryset=Step.objects.none(), label=_("Milestone"))
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, agency: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = _province_steps(agency)
        self.agency = agency

    def clean(self):
        data = super().clean()
        step = data.get("step")
        if step is not None and step.evidence_required and not data.get("evidence"):
            already = step.milestones.filter(agency=self.agency, document__isnull=False).exists()
            if not already:
                self.add_error("evidence", _("This milestone needs evidence: attach the file that shows it."))
        return data


class ContractForm(EvidenceMixin, forms.ModelForm):
    class Meta:
        model = ConsultantContract
        fields = ["consultant", "contract_number", "signed_on", "value_vnd", "funding_decision", "campaign"]
        widgets = _dates("signed_on")

    def __init__(self, *args, agency: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(province_id=agency.province_id).select_related(
            "to_edition"
        )
        self.fields["campaign"].empty_label = _("None (a first build)")


class AmendmentCheckForm(EvidenceMixin, forms.ModelForm):
    considered = forms.TypedChoiceField(
        label=_("Done"),
        choices=[(True, _("Yes")), (False, _("No"))],
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = AmendmentCheck
        fields = ["edition", "considered", "checked_on", "note"]
        widgets = _dates("checked_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["edition"].label_from_instance = lambda e: f"{e} — {e.check_question}" if e.check_question else e

    def validate_unique(self):
        pass  # recording it again corrects it (services.amendment_check_record)


class EditionForm(forms.ModelForm):
    class Meta:
        model = Edition
        fields = [
            "code",
            "title_vi",
            "title_en",
            "iso_edition",
            "published_on",
            "amendment_of",
            "check_question",
            "status",
        ]
        widgets = _dates("published_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amendment_of"].queryset = Edition.objects.filter(amendment_of__isnull=True).exclude(
            pk=self.instance.pk
        )
        if self.instance.pk:
            del self.fields["code"]  # records name the edition by it: it never changes

    def clean(self):
        data = super().clean()
        if data.get("amendment_of") is not None:
            if not data.get("check_question"):
                self.add_error("check_question", _("Say what each agency confirms for this amendment."))
            if self.instance.pk and self.instance.amendments.exists():
                self.add_error("amendment_of", _("This edition has amendments of its own: it cannot be one."))
        return data


class CampaignForm(forms.ModelForm):
    template = forms.ChoiceField(
        label=_("Milestones to start from"),
        choices=[(key, label) for key, (label, _steps) in TEMPLATES.items()],
        help_text=_("You can change, add and remove milestones afterwards."),
    )

    class Meta:
        model = Campaign
        fields = ["from_editions", "to_edition", "opened_on", "deadline", "basis"]
        widgets = {**_dates("opened_on", "deadline"), "from_editions": forms.CheckboxSelectMultiple}
        field_classes = {"from_editions": ModelMultipleChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["template"]

    def clean(self):
        data = super().clean()
        target, sources = data.get("to_edition"), data.get("from_editions") or []
        if target is not None and target in sources:
            self.add_error("from_editions", _("A transition cannot start from the edition it leads to."))
        return data


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["order", "key", "name_vi", "name_en", "evidence_required", "completed_by"]


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


class DashboardForm(AsOfForm):
    """The day and the transition the dashboard shows (query string)."""

    campaign = forms.TypedChoiceField(label=_("Transition"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, campaigns: list[Campaign], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [(c.pk, str(c)) for c in campaigns]


class CriteriaForm(DashboardForm):
    """The agencies behind a number of the dashboard: edition, stage, a transition's milestone, category."""

    version = forms.ChoiceField(label=_("Standard announced"), required=False)
    stage = forms.ChoiceField(label=_("Lifecycle stage"), choices=[("", "—"), *Stage.choices], required=False)
    milestone = forms.ChoiceField(label=_("Milestone"), required=False)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Category.choices], required=False)
    obligation = forms.ChoiceField(
        label=_("Applying a QMS is"), choices=[("", "—"), *Obligation.choices], required=False
    )

    def __init__(self, *args, campaigns: list[Campaign], editions: list[Edition], **kwargs):
        super().__init__(*args, campaigns=campaigns, **kwargs)
        self.fields["version"].choices = [("", "—"), (NONE, _("None yet")), *((e.code, e.title) for e in editions)]
        steps = {step.key: step.name for c in campaigns for step in c.steps.all()}
        self.fields["milestone"].choices = [("", "—"), *steps.items()]
