"""Each agency's quality management system and its transition from TCVN ISO 9001:2008 to 2015.

Everything here belongs to one agency (directly or through a process), so scoping is the registry's:
`agencies.selectors.visible_agencies`. Legal documents and training courses belong to a province.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Document, Province, User


class Version(models.TextChoices):
    NONE = "none", _("None yet")
    ISO_2008 = "2008", _("TCVN ISO 9001:2008")
    ISO_2015 = "2015", _("TCVN ISO 9001:2015")


class Stage(models.TextChoices):
    BUILDING = "building", _("Building")
    APPLYING = "applying", _("Applying")
    ANNOUNCED = "announced", _("Announced")
    MAINTAINING = "maintaining", _("Maintaining and improving")


def _document(verbose_name) -> models.ForeignKey:
    return models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=verbose_name
    )


class QMSProfile(models.Model):
    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="qms", verbose_name=_("agency"))
    version = models.CharField(_("standard applied"), max_length=8, choices=Version.choices, default=Version.NONE)
    stage = models.CharField(_("lifecycle stage"), max_length=16, choices=Stage.choices, default=Stage.BUILDING)
    quality_policy = models.TextField(_("quality policy"), blank=True)
    quality_objectives = models.TextField(_("quality objectives"), blank=True)
    policy_document = _document(_("policy and objectives file"))
    scope_changed_on = models.DateField(
        _("scope last changed on"),
        null=True,
        blank=True,
        help_text=_("Set when procedures enter or leave the scope; a re-announcement must follow."),
    )
    # Counts the saves of the profile, so that an edit started from an older one is refused, not lost.
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("QMS profile")
        verbose_name_plural = _("QMS profiles")

    def __str__(self) -> str:
        return str(self.agency)


class Announcement(models.Model):
    """Công bố HTQLCL phù hợp TCVN ISO 9001, or a re-announcement after a scope or version change."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="announcements", verbose_name=_("agency"))
    is_reannouncement = models.BooleanField(_("re-announcement"), default=False)
    decision_number = models.CharField(_("decision number"), max_length=100)
    decision_date = models.DateField(_("decision date"))
    version = models.CharField(
        _("standard"), max_length=8, choices=[c for c in Version.choices if c[0] != Version.NONE]
    )
    scope = models.TextField(_("scope"), help_text=_("The administrative procedures and activities covered."))
    dost_notified_on = models.DateField(_("DOST notified on"), null=True, blank=True)
    posted_at_office = models.BooleanField(_("posted at the office"), default=False)
    website_url = models.URLField(_("posted on the website at"), blank=True)
    document = _document(_("signed decision"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-decision_date", "-pk"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        indexes = [models.Index(fields=["agency", "decision_date"])]

    def __str__(self) -> str:
        return f"{self.decision_number} ({self.get_version_display()})"


class AdministrativeProcedure(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="procedures", verbose_name=_("agency"))
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=500)
    field = models.CharField(_("field"), max_length=200, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agency", "code"]
        verbose_name = _("administrative procedure")
        verbose_name_plural = _("administrative procedures")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "code"],
                name="procedure_code_unique_in_agency",
                violation_error_message=_("This agency already has a procedure with this code."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Process(models.Model):
    """A QMS process (quy trình) of an agency, tied to the administrative procedures it serves."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="processes", verbose_name=_("agency"))
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=500)
    revision = models.CharField(_("version"), max_length=20, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    procedures = models.ManyToManyField(
        AdministrativeProcedure, related_name="processes", blank=True, verbose_name=_("procedures served")
    )
    document = _document(_("process document"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["agency", "code"]
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "code"],
                name="process_code_unique_in_agency",
                violation_error_message=_("This agency already has a process with this code."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Review(models.Model):
    """An internal audit or a management review (at least one of each a year)."""

    class Kind(models.TextChoices):
        INTERNAL_AUDIT = "audit", _("Internal audit")
        MANAGEMENT_REVIEW = "review", _("Management review")

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("agency"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    date = models.DateField(_("date"))
    scope = models.TextField(_("scope"), blank=True)
    result = models.TextField(_("result"), blank=True)
    nonconformities = models.PositiveIntegerField(_("nonconformities found"), default=0)
    on_2015 = models.BooleanField(_("against TCVN ISO 9001:2015"), default=False)
    document = _document(_("report"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("audit or review")
        verbose_name_plural = _("audits and reviews")
        indexes = [models.Index(fields=["agency", "kind", "date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"


class LegalChange(models.Model):
    """A changed legal document (D3): each process it affects must be revised within 3 months."""

    province = models.ForeignKey(
        Province, on_delete=models.CASCADE, related_name="legal_changes", verbose_name=_("province")
    )
    number = models.CharField(_("number and symbol"), max_length=100)
    title = models.CharField(_("title"), max_length=500)
    effective_date = models.DateField(_("effective date"))
    revision_due_on = models.DateField(_("revisions due on"), help_text=_("3 months after the effective date."))
    fields = models.CharField(_("fields it touches"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_date", "-pk"]
        verbose_name = _("legal change")
        verbose_name_plural = _("legal changes")

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("qms:legal_change", args=[self.pk])


class ProcessRevision(models.Model):
    """A process that a legal change affects, and when the agency revised it."""

    legal_change = models.ForeignKey(
        LegalChange, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("legal change")
    )
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("process"))
    revised_on = models.DateField(_("revised on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["legal_change", "process"]
        verbose_name = _("process revision")
        verbose_name_plural = _("process revisions")
        constraints = [models.UniqueConstraint(fields=["legal_change", "process"], name="revision_once_per_process")]

    def __str__(self) -> str:
        return f"{self.process} · {self.legal_change.number}"


class StaffMember(models.Model):
    """A person who holds (or held) a QMS role at an agency."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="qms_staff", verbose_name=_("agency"))
    full_name = models.CharField(_("full name"), max_length=120)
    position = models.CharField(_("position"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["agency", "full_name"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return self.full_name


class RoleAssignment(models.Model):
    class Role(models.TextChoices):
        SECRETARY = "secretary", _("ISO secretary")
        LEADERSHIP_REP = "leader_rep", _("Leadership representative")
        INTERNAL_AUDITOR = "auditor", _("Internal auditor")

    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="roles", verbose_name=_("staff member")
    )
    role = models.CharField(_("QMS role"), max_length=16, choices=Role.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(
        _("until"), null=True, blank=True, help_text=_("Empty while the person holds the role.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("QMS role")
        verbose_name_plural = _("QMS roles")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="role_ends_after_it_starts",
                violation_error_message=_("A role cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.get_role_display()}"


class TrainingCourse(models.Model):
    province = models.ForeignKey(
        Province, on_delete=models.CASCADE, related_name="training_courses", verbose_name=_("province")
    )
    title = models.CharField(_("topic"), max_length=300)
    organiser = models.CharField(_("organiser"), max_length=300)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")

    def __str__(self) -> str:
        return f"{self.title} ({self.start_date:%m/%Y})"


class Attendance(models.Model):
    course = models.ForeignKey(
        TrainingCourse, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("course")
    )
    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("staff member")
    )
    certificate_number = models.CharField(_("certificate number"), max_length=100, blank=True)
    document = _document(_("certificate"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["course", "staff"], name="attend_a_course_once")]

    def __str__(self) -> str:
        return f"{self.staff} · {self.course}"


class Milestone(models.Model):
    """A step of an agency's transition to TCVN ISO 9001:2015."""

    class Kind(models.TextChoices):
        STAFF_TRAINED = "trained", _("Staff trained on the 2015 version")
        CONSULTANT_ENGAGED = "consultant", _("Consultant engaged")
        DOCUMENTS_CONVERTED = "documents", _("Documents converted")
        INTERNAL_AUDIT = "audit", _("Internal audit on 2015")
        MANAGEMENT_REVIEW = "review", _("Management review")
        REANNOUNCED = "reannounced", _("Re-announced on 2015")

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("agency"))
    kind = models.CharField(_("milestone"), max_length=16, choices=Kind.choices)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    document = _document(_("evidence"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("transition milestone")
        verbose_name_plural = _("transition milestones")
        constraints = [models.UniqueConstraint(fields=["agency", "kind"], name="milestone_once_per_agency")]
        indexes = [models.Index(fields=["kind", "date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"


class ConsultantContract(models.Model):
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="consultant_contracts", verbose_name=_("agency")
    )
    consultant = models.CharField(_("consultant"), max_length=300)
    contract_number = models.CharField(_("contract number"), max_length=100, blank=True)
    signed_on = models.DateField(_("signed on"))
    value_vnd = models.PositiveBigIntegerField(_("value (VND)"))
    funding_decision = models.CharField(
        _("funding decision"), max_length=100, blank=True, help_text=_("e.g. 2323/QĐ-UBND")
    )
    document = _document(_("contract"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-signed_on"]
        verbose_name = _("consultant contract")
        verbose_name_plural = _("consultant contracts")

    def __str__(self) -> str:
        return f"{self.consultant} · {self.signed_on:%d/%m/%Y}"


class DashboardSnapshot(models.Model):
    """The province dashboard's figures for a day, computed by a job (refresh_dashboards) so that a
    province of thousands of agencies reads them instead of counting on every visit. Never shown when
    older than DASHBOARD_MAX_AGE_MINUTES: the page then counts afresh and saves the result."""

    province = models.ForeignKey("agencies.Province", on_delete=models.CASCADE, related_name="+")
    on = models.DateField()
    figures = models.JSONField()
    computed_at = models.DateTimeField()
    took_ms = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["province", "on"], name="one_snapshot_a_day")]

    def __str__(self) -> str:
        return f"{self.province_id} {self.on} {self.computed_at:%H:%M}"
