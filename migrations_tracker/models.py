"""Each agency's quality management system, the editions of the standard and the transitions between them.

Everything here belongs to one agency (directly or through a process), so scoping is the registry's:
`agencies.selectors.visible_agencies`. Legal documents, training courses and transition campaigns belong
to a province; the editions of the standard are one national list.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from agencies.models import Agency, Document, Province, User

NONE = "none"  # the code that stands for "no edition yet" in links and counts


class Edition(models.Model):
    """An edition of TCVN ISO 9001 (or an amendment of one): the national list, kept as data.

    Records name an edition by its `code` (links say `?version=2015`), so a code never changes once used."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_FORCE = "in_force", _("In force")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    code = models.SlugField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Short and permanent, used in links: e.g. 2015, 2015-amd1, 2026."),
    )
    title_vi = models.CharField(_("Vietnamese title"), max_length=200, help_text=_("e.g. TCVN ISO 9001:2015"))
    title_en = models.CharField(_("English title"), max_length=200, help_text=_("e.g. TCVN ISO 9001:2015"))
    iso_edition = models.CharField(_("ISO edition it follows"), max_length=60, help_text=_("e.g. ISO 9001:2015"))
    published_on = models.DateField(_("published on"), null=True, blank=True)
    amendment_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        verbose_name=_("amendment of"),
        help_text=_("Set for an amendment (e.g. Amd 1:2024 of the 2015 edition): no re-announcement is needed."),
    )
    check_question = models.CharField(
        _("what agencies confirm"),
        max_length=300,
        blank=True,
        help_text=_("For an amendment: the yes/no question each agency answers."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.IN_FORCE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["published_on", "code"]
        verbose_name = _("edition of the standard")
        verbose_name_plural = _("editions of the standard")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "vi").startswith("en") else self.title_vi

    @property
    def is_amendment(self) -> bool:
        return self.amendment_of_id is not None


def _edition(verbose_name, **options) -> models.ForeignKey:
    """A record's edition, stored as the edition's code."""
    return models.ForeignKey(
        Edition,
        to_field="code",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=verbose_name,
        limit_choices_to={"amendment_of__isnull": True},
        **options,
    )


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
    edition = _edition(_("standard applied"), null=True, blank=True)
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
    edition = _edition(_("standard"))
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
        return f"{self.decision_number} ({self.edition})"


# A procedure's code in the national database of administrative procedures: 1.001612.000.00.00.H01.
NATIONAL_CODE = RegexValidator(
    r"^[0-9]\.[0-9]{6}\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$",
    _("A national code looks like 1.001612.000.00.00.H01."),
)


def is_national_code(text: str) -> bool:
    try:
        NATIONAL_CODE(text)
    except ValidationError:
        return False
    return True


class AdministrativeProcedure(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="procedures", verbose_name=_("agency"))
    code = models.CharField(_("code"), max_length=50)
    national_code = models.CharField(
        _("national code"),
        max_length=30,
        blank=True,
        validators=[NATIONAL_CODE],
        help_text=_("Its code in the national database of administrative procedures, e.g. 1.001612.000.00.00.H01."),
    )
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
            ),
            models.UniqueConstraint(
                fields=["agency", "national_code"],
                condition=~Q(national_code=""),
                name="procedure_national_code_unique_in_agency",
                violation_error_message=_("This agency already has a procedure with this national code."),
            ),
        ]
        indexes = [models.Index(fields=["national_code"], name="procedure_national_code")]

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
    edition = _edition(_("against edition"), null=True, blank=True)
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


class Campaign(models.Model):
    """A transition a province's DOST runs: from one or more editions to another, by a deadline."""

    province = models.ForeignKey(
        Province, on_delete=models.CASCADE, related_name="campaigns", verbose_name=_("province")
    )
    from_editions = models.ManyToManyField(
        Edition, related_name="+", verbose_name=_("from editions"), limit_choices_to={"amendment_of__isnull": True}
    )
    to_edition = models.ForeignKey(
        Edition,
        to_field="code",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("to edition"),
        limit_choices_to={"amendment_of__isnull": True},
    )
    opened_on = models.DateField(_("opened on"))
    deadline = models.DateField(_("deadline"))
    basis = models.CharField(
        _("set by"), max_length=300, blank=True, help_text=_("The document that sets the deadline.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["opened_on", "pk"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "to_edition"],
                name="one_transition_to_an_edition",
                violation_error_message=_("The province already has a transition to this edition."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("opened_on")),
                name="transition_deadline_after_opening",
                violation_error_message=_("The deadline cannot come before the opening."),
            ),
        ]

    def __str__(self) -> str:
        return _("Transition to %(edition)s") % {"edition": self.to_edition}

    def get_absolute_url(self) -> str:
        return reverse("qms:campaign", args=[self.pk])


class Step(models.Model):
    """A milestone of a campaign, as DOST defines it (the agencies' `Milestone` rows record reaching it)."""

    class CompletedBy(models.TextChoices):
        NOTHING = "", _("Recorded by hand")
        ANNOUNCEMENT = "announcement", _("An announcement on the target edition")
        INTERNAL_AUDIT = "audit", _("An internal audit against the target edition")
        MANAGEMENT_REVIEW = "review", _("A management review against the target edition")
        CONTRACT = "contract", _("A consultant contract for this transition")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps", verbose_name=_("transition"))
    key = models.SlugField(_("code"), max_length=30, help_text=_("Short, used in links: e.g. trained."))
    name_vi = models.CharField(_("Vietnamese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    completed_by = models.CharField(
        _("completed automatically by"), max_length=16, choices=CompletedBy.choices, default="", blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["campaign", "order", "pk"]
        verbose_name = _("transition milestone")
        verbose_name_plural = _("transition milestones")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "key"],
                name="step_key_unique_in_campaign",
                violation_error_message=_("This transition already has a milestone with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class Milestone(models.Model):
    """An agency reaching a step of a transition."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("agency"))
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="milestones", verbose_name=_("milestone"))
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    document = _document(_("evidence"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("milestone reached")
        verbose_name_plural = _("milestones reached")
        constraints = [models.UniqueConstraint(fields=["agency", "step"], name="milestone_once_per_agency")]
        indexes = [models.Index(fields=["step", "date"])]

    def __str__(self) -> str:
        return f"{self.step} {self.date:%d/%m/%Y}"


class AmendmentCheck(models.Model):
    """An agency's answer to an amendment that needs no re-announcement (e.g. Amd 1:2024: climate change)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="amendment_checks", verbose_name=_("agency")
    )
    edition = models.ForeignKey(
        Edition,
        to_field="code",
        on_delete=models.PROTECT,
        related_name="checks",
        verbose_name=_("amendment"),
        limit_choices_to={"amendment_of__isnull": False},
    )
    considered = models.BooleanField(_("done"), default=False)
    checked_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    document = _document(_("evidence"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-checked_on", "pk"]
        verbose_name = _("amendment check")
        verbose_name_plural = _("amendment checks")
        constraints = [models.UniqueConstraint(fields=["agency", "edition"], name="one_check_per_amendment")]

    def __str__(self) -> str:
        return f"{self.edition} · {self.checked_on:%d/%m/%Y}"


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
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("for the transition"),
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
