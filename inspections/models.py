"""Inspections of Circular 26/2014/TT-BKHCN. So far: the agencies' yearly self-reports (reporting rounds).

Plans, inspections, findings and corrective actions follow (issue 4, still open)."""

from __future__ import annotations

import uuid

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Document, Province, User


class ReportingRound(models.Model):
    """DOST asks every agency for its yearly report on building, applying, maintaining and improving its QMS."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="reporting_rounds", verbose_name=_("province")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    opened_on = models.DateField(_("opened on"))
    deadline = models.DateField(_("deadline"))
    note = models.TextField(_("request to the agencies"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("reporting round")
        verbose_name_plural = _("reporting rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year"],
                name="one_round_a_year",
                violation_error_message=_("The province already has a reporting round for this year."),
            )
        ]

    def __str__(self) -> str:
        return str(_("Self-reports %(year)s") % {"year": self.year})

    def get_absolute_url(self) -> str:
        return reverse("inspections:round", args=[self.pk])


class SelfReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        ACCEPTED = "accepted", _("Accepted")

    round = models.ForeignKey(ReportingRound, on_delete=models.CASCADE, related_name="reports", verbose_name=_("round"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="self_reports", verbose_name=_("agency"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    revision = models.PositiveIntegerField(
        default=0, help_text="Incremented by every save; a save based on an older revision is refused."
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dost_comment = models.TextField(_("DOST's comments"), blank=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords(excluded_fields=["revision"])

    class Meta:
        ordering = ["round", "agency"]
        verbose_name = _("self-report")
        verbose_name_plural = _("self-reports")
        constraints = [models.UniqueConstraint(fields=["round", "agency"], name="one_report_per_agency_and_round")]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.agency} · {self.round.year}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:report", args=[self.round_id, self.agency_id])

    @property
    def is_late(self) -> bool:
        from django.utils import timezone

        deadline = self.round.deadline
        if self.submitted_at:
            return timezone.localtime(self.submitted_at).date() > deadline
        return timezone.localdate() > deadline


class SelfReportEvidence(models.Model):
    report = models.ForeignKey(
        SelfReport, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("self-report")
    )
    section = models.CharField(_("section"), max_length=32, blank=True)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+", verbose_name=_("file"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return str(self.document)


class Mode(models.TextChoices):
    ONSITE = "onsite", _("On site")
    DOSSIER = "dossier", _("By dossier")


class InspectionPlan(models.Model):
    """The year's inspection plan (Mẫu 19. KHKT), approved by the provincial People's Committee."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="inspection_plans", verbose_name=_("province")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    approval_decision = models.CharField(_("approval decision"), max_length=100, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "year"],
                name="one_plan_a_year",
                violation_error_message=_("The province already has an inspection plan for this year."),
            )
        ]

    def __str__(self) -> str:
        return str(_("Inspection plan %(year)s") % {"year": self.year})

    def get_absolute_url(self) -> str:
        return reverse("inspections:plan", args=[self.pk])


class PlanEntry(models.Model):
    """One agency in the plan: the mode the risk score proposed, the mode chosen, and why if they differ."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="entries", verbose_name=_("plan"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="plan_entries", verbose_name=_("agency"))
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_reasons = models.JSONField(_("why"), default=list, blank=True)
    proposed_mode = models.CharField(_("proposed mode"), max_length=8, choices=Mode.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    override_reason = models.CharField(_("reason for changing the proposal"), max_length=300, blank=True)
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    team = models.CharField(_("team"), max_length=300, blank=True)
    budget_vnd = models.PositiveBigIntegerField(_("budget (VND)"), default=0)
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["revision"])

    class Meta:
        ordering = ["-risk_score", "agency__code"]
        verbose_name = _("plan entry")
        verbose_name_plural = _("plan entries")
        constraints = [models.UniqueConstraint(fields=["plan", "agency"], name="agency_once_per_plan")]

    def __str__(self) -> str:
        return f"{self.agency} · {self.get_mode_display()}"


class Inspection(models.Model):
    class Conclusion(models.TextChoices):
        EFFECTIVE = "effective", _("Applied and maintained effectively")
        WITH_FINDINGS = "findings", _("Applied, with nonconformities to correct")
        FORMALITY = "formality", _("Applied as a formality")
        NOT_APPLIED = "not_applied", _("Not applied")

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("province")
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("agency"))
    plan_entry = models.OneToOneField(
        PlanEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inspection",
        verbose_name=_("plan entry"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    team = models.CharField(_("team"), max_length=300, blank=True)
    decision_number = models.CharField(_("inspection decision (Mẫu 20)"), max_length=100, blank=True)
    self_report = models.ForeignKey(
        SelfReport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("self-report reviewed"),
    )
    conclusion = models.CharField(_("conclusion"), max_length=16, choices=Conclusion.choices, blank=True)
    conclusion_note = models.TextField(_("conclusion in words"), blank=True)
    minutes_signed_on = models.DateField(_("minutes (Mẫu 21) signed on"), null=True, blank=True)
    # Counts the saves of the record with its checklist and conclusion (see iso_tracker.concurrency).
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["revision"])

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [models.Index(fields=["province", "year", "mode"]), models.Index(fields=["agency", "start_date"])]

    def __str__(self) -> str:
        return f"{self.agency} · {self.get_mode_display()} · {self.start_date:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:inspection", args=[self.pk])


class Check(models.Model):
    """One item of the art. 36 checklist in one inspection."""

    class Result(models.TextChoices):
        CONFORMING = "ok", _("Conforming")
        NONCONFORMING = "nc", _("Nonconforming")
        NOT_APPLICABLE = "na", _("Not applicable")

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="checks", verbose_name=_("inspection")
    )
    item = models.CharField(_("item"), max_length=32)
    result = models.CharField(_("result"), max_length=2, choices=Result.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="item_once_per_inspection")]

    def __str__(self) -> str:
        return f"{self.inspection} · {self.item}"


class Finding(models.Model):
    class Severity(models.TextChoices):
        MAJOR = "major", _("Major nonconformity")
        MINOR = "minor", _("Minor nonconformity")
        OBSERVATION = "observation", _("Observation")

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting corrective action")
        ANSWERED = "answered", _("Action reported, awaiting DOST")
        REJECTED = "rejected", _("Action not accepted")
        CLOSED = "closed", _("Closed")

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="findings", verbose_name=_("inspection")
    )
    # The agency that must correct it: the inspected one, or the successor it was handed to when that
    # agency ended (a merger, split or dissolution). It sees, answers and is reminded of the finding.
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="findings", verbose_name=_("agency responsible")
    )
    item = models.CharField(_("checklist item"), max_length=32)
    clause = models.CharField(
        _("clause of the standard"),
        max_length=20,
        blank=True,
        help_text=_("e.g. 9.2, of the edition the agency applies"),
    )
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    description = models.TextField(_("finding"))
    due_on = models.DateField(_("corrective action due on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    rechecked_in = models.ForeignKey(
        Inspection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rechecks",
        verbose_name=_("re-checked in"),
    )
    recheck_effective = models.BooleanField(_("correction effective"), null=True, blank=True)
    # Counts the saves of the finding, its corrective actions and DOST's decisions on them.
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["revision"])

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.description[:60]}"

    def save(self, *args, **kwargs):
        if self.agency_id is None and self.inspection_id is not None:
            self.agency_id = self.inspection.agency_id
        super().save(*args, **kwargs)


class CorrectiveAction(models.Model):
    """The agency's answer to a finding, and DOST's decision on it (a rejection is the written non-acceptance)."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Not accepted")

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="actions", verbose_name=_("finding"))
    action = models.TextField(_("action taken"))
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("evidence")
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    reported_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision = models.CharField(_("DOST's decision"), max_length=16, choices=Decision.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["reported_at", "pk"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")

    def __str__(self) -> str:
        return self.action[:60]


class InspectionEvidence(models.Model):
    """A document gathered during an inspection (records seen, photos, the signed minutes), by checklist item."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("inspection")
    )
    item = models.CharField(_("checklist item"), max_length=32, blank=True)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+", verbose_name=_("file"))

    class Meta:
        verbose_name = _("inspection evidence")
        verbose_name_plural = _("inspection evidence")

    def __str__(self) -> str:
        return str(self.document)


class ReportText(models.Model):
    """What the issuer writes in a report whose figures come from the data: its number, assessment,
    difficulties, proposals and signer. Without a number and a signer the document is a draft."""

    FIELDS = ("number", "assessment", "difficulties", "proposals", "signer", "signer_title")

    number = models.CharField(_("number and symbol"), max_length=100, blank=True)
    assessment = models.TextField(_("general assessment"), blank=True)
    difficulties = models.TextField(_("difficulties"), blank=True)
    proposals = models.TextField(_("proposals"), blank=True)
    signer = models.CharField(_("signed by"), max_length=120, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=120, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def narrative(self) -> dict:
        return {k: getattr(self, k) for k in self.FIELDS}


class AnnualReport(ReportText):
    """The year's report of DOST to the provincial People's Committee: figures from the data, narrative by DOST."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="annual_reports", verbose_name=_("province")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.CharField(_("number and symbol"), max_length=100, blank=True, help_text=_("e.g. 123/BC-SKHCN"))
    signer_title = models.CharField(_("signer's title"), max_length=120, blank=True, default="GIÁM ĐỐC")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        constraints = [models.UniqueConstraint(fields=["province", "year"], name="one_annual_report_a_year")]

    def __str__(self) -> str:
        return str(_("Annual report %(year)s") % {"year": self.year})

    def get_absolute_url(self) -> str:
        return reverse("inspections:annual_report", args=[self.year])


class NationalReport(ReportText):
    """The Ministry's part of the year's national report: its number, assessment and signer (issue 17); the
    figures are every province's own."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    number = models.CharField(_("number and symbol"), max_length=100, blank=True, help_text=_("e.g. 45/BC-TĐC"))
    signer_title = models.CharField(_("signer's title"), max_length=120, blank=True, default="CHỦ NHIỆM")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("national report")
        verbose_name_plural = _("national reports")

    def __str__(self) -> str:
        return str(_("National report %(year)s") % {"year": self.year})

    def get_absolute_url(self) -> str:
        return reverse("qms:national_report", args=[self.year])


class ReportFile(models.Model):
    """One rendering of a report: queued → running → ready or failed, with its file and the data's hash."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel (.xlsx)"
        DOCX = "docx", "Word (.docx)"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    # What is rendered: the annual report, or a large plan's Mẫu 19 (a small plan is rendered in the request).
    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="files", null=True, blank=True)
    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="files", null=True, blank=True)
    # or the leadership summary of a province on a day (a large province's is made by the reports job)
    summary_of = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    summary_on = models.DateField(null=True, blank=True)
    # or the national report of a year (every province; the Ministry's)
    national_year = models.PositiveSmallIntegerField(null=True, blank=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    data_hash = models.CharField(max_length=64)
    file = models.FileField(upload_to="reports/", blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When a worker took it: a render still "running" after the lease (longer than the task's time limit)
    # was killed or lost, and is taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A long document is made part by part, each kept as it is made (a render stopped midway resumes):
    # how many parts it has, and how many are made.
    parts_total = models.PositiveSmallIntegerField(default=0)
    parts_done = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["report", "format", "data_hash"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    report__isnull=False, plan__isnull=True, summary_of__isnull=True, national_year__isnull=True
                )
                | models.Q(report__isnull=True, plan__isnull=False, summary_of__isnull=True, national_year__isnull=True)
                | models.Q(
                    report__isnull=True,
                    plan__isnull=True,
                    summary_of__isnull=False,
                    summary_on__isnull=False,
                    national_year__isnull=True,
                )
                | models.Q(
                    report__isnull=True, plan__isnull=True, summary_of__isnull=True, national_year__isnull=False
                ),
                name="report_file_of_one_thing_or_the_nation",
            ),
            # The same document of the same data is made once, even when asked for twice at once.
            models.UniqueConstraint(
                fields=["report", "format", "data_hash"],
                condition=~models.Q(status="failed"),
                name="one_rendering_of_a_report_version",
            ),
            models.UniqueConstraint(
                fields=["plan", "format", "data_hash"],
                condition=~models.Q(status="failed"),
                name="one_rendering_of_a_plan_version",
            ),
            models.UniqueConstraint(
                fields=["summary_of", "summary_on", "format", "data_hash"],
                condition=~models.Q(status="failed"),
                name="one_rendering_of_a_summary_version",
            ),
            models.UniqueConstraint(
                fields=["national_year", "format", "data_hash"],
                condition=~models.Q(status="failed"),
                name="one_rendering_of_a_national_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report or self.plan or self.summary_on or self.national_year} · {self.format}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:report_file", args=[self.pk])


def _signed_path(instance: SignedPdf, filename: str) -> str:
    # A server-generated name: the uploaded file's name is never a path.
    return f"signed/{instance.uuid.hex}.pdf"


class SignedPdf(models.Model):
    """A digitally signed copy (PAdES) of a document the app makes: signed by the app with the server's
    certificate, or signed elsewhere and uploaded. Kept only once its signatures are verified (intact,
    the document unchanged since signing, the signer's certificate chaining to a configured root); what
    the verification found is kept beside it. The document it signs: the annual report of a province's
    year, the national report of a year, a plan (Mẫu 19), an inspection's decision (Mẫu 20) or minutes
    (Mẫu 21)."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Annual report")
        NATIONAL = "national", _("National report")
        PLAN = "mau19", _("Inspection plan (Mẫu 19)")
        DECISION = "mau20", _("Inspection decision (Mẫu 20)")
        MINUTES = "mau21", _("Inspection minutes (Mẫu 21)")

    class Source(models.TextChoices):
        SERVER = "server", _("Signed by the app with the server's certificate")
        UPLOAD = "upload", _("Signed elsewhere and uploaded")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("document"), max_length=8, choices=Kind.choices)
    # What it signs: a province's year (annual), a year (national), a plan, an inspection (Mẫu 20, 21).
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.PROTECT, related_name="signed_pdfs", null=True, blank=True
    )
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="signed_pdfs", null=True, blank=True
    )
    source = models.CharField(_("how it was signed"), max_length=8, choices=Source.choices)
    file = models.FileField(upload_to=_signed_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("size"))
    # The last signature's signer (its certificate's common name), its issuer and the time it gives.
    signer = models.CharField(_("signed by"), max_length=255)
    issuer = models.CharField(_("certificate issued by"), max_length=255)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    # Every signature in the file, in order: signer, issuer, serial, time, what it covers.
    signatures = models.JSONField(default=list)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("verified at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("signed PDF")
        verbose_name_plural = _("signed PDFs")
        indexes = [models.Index(fields=["kind", "province", "year"], name="signed_pdf_of_a_year")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind="annual",
                    province__isnull=False,
                    year__isnull=False,
                    plan__isnull=True,
                    inspection__isnull=True,
                )
                | models.Q(
                    kind="national",
                    province__isnull=True,
                    year__isnull=False,
                    plan__isnull=True,
                    inspection__isnull=True,
                )
                | models.Q(kind="mau19", plan__isnull=False, inspection__isnull=True, year__isnull=True)
                | models.Q(kind__in=["mau20", "mau21"], plan__isnull=True, inspection__isnull=False, year__isnull=True),
                name="signed_pdf_of_one_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.signer}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:signed_pdf", args=[self.pk])
