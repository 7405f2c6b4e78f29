"""The agency registry through time, and the users who work on it.

An `Agency` is one identity that keeps its history across renames and transfers. Its dated
timeline lives in `AgencyVersion` rows (name, category, parent and locality, each valid over
[valid_from, valid_to)); the `Agency` row carries the latest of them for fast current lookups and
is kept in step by `agencies.services`. Merges, splits and dissolutions end an identity and are
recorded as a `Reorganisation` that points from predecessors to successors.
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

DEFAULT_DOST_NAME = "Sở Khoa học và Công nghệ"


class Province(models.Model):
    class ReportingPeriod(models.TextChoices):
        CALENDAR = "calendar", _("Calendar year (1 January to 31 December)")
        DECREE_09 = "decree_09", _("Decree 09/2019/NĐ-CP (15 December of the year before to 14 December)")

    code = models.CharField(_("code"), max_length=8, unique=True, help_text=_("Statistical code, e.g. 04"))
    name = models.CharField(_("name"), max_length=100)
    reporting_period = models.CharField(
        _("reporting period"),
        max_length=12,
        choices=ReportingPeriod.choices,
        default=ReportingPeriod.CALENDAR,
        help_text=_("The days the figures of a year's annual report cover."),
    )
    # The issuing body in the header of the documents (Decree 30/2020/NĐ-CP) and its address.
    dost_name = models.CharField(
        _("DOST's name in documents"),
        max_length=200,
        default=DEFAULT_DOST_NAME,
        help_text=_("The issuing body in the header of the PDF and Word documents."),
    )
    dost_address = models.CharField(_("DOST's address"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name

    def renamed_issuer(self) -> dict:
        """{"issuer": its DOST's name} for the fingerprint of a document that prints it, when it is not the
        default (only then: the documents of a province that kept it keep their fingerprints)."""
        return {} if self.dost_name == DEFAULT_DOST_NAME else {"issuer": self.dost_name}


class Category(models.TextChoices):
    """The six categories of agencies applying a QMS (seed fact F5)."""

    PROVINCIAL_AGENCY = "provincial_agency", _("Provincial specialised agency")
    PROVINCIAL_UNIT = "provincial_unit", _("Unit under a provincial agency")
    DISTRICT_PC = "district_pc", _("District People's Committee")
    DISTRICT_OFFICE = "district_office", _("District specialised office")
    COMMUNE_PC = "commune_pc", _("Commune People's Committee")
    CENTRAL_AGENCY = "central_agency", _("Central agency in the province")
    # The two-level local government from 1 July 2025 (Law 72/2025/QH15, Decree 118/2025/NĐ-CP).
    COMMUNE_LEVEL_PC = "commune_level_pc", _("Commune-level People's Committee (commune, ward, special zone)")
    COMMUNE_OFFICE = "commune_office", _("Specialised office of a commune-level People's Committee")
    SERVICE_CENTRE = "service_centre", _("Public administrative service centre")


class Obligation(models.TextChoices):
    """Whether applying a QMS is compulsory for an agency or only encouraged."""

    MANDATORY = "mandatory", _("Mandatory")
    ENCOURAGED = "encouraged", _("Encouraged")


# Decision 19/2014/QĐ-TTg (still cited in 2025): mandatory for provincial bodies and the former district
# level, encouraged for communes. It holds in every province for every category it has recorded no rule of
# its own for (`ApplicationRule`). The public administrative service centres are administrative bodies of
# the province (Decree 118/2025/NĐ-CP): mandatory unless the province decides otherwise.
DEFAULT_RULE_BASIS = "Quyết định 19/2014/QĐ-TTg"
DEFAULT_OBLIGATION = {
    Category.PROVINCIAL_AGENCY: Obligation.MANDATORY,
    Category.PROVINCIAL_UNIT: Obligation.MANDATORY,
    Category.DISTRICT_PC: Obligation.MANDATORY,
    Category.DISTRICT_OFFICE: Obligation.MANDATORY,
    Category.COMMUNE_PC: Obligation.ENCOURAGED,
    Category.CENTRAL_AGENCY: Obligation.MANDATORY,
    Category.COMMUNE_LEVEL_PC: Obligation.ENCOURAGED,
    Category.COMMUNE_OFFICE: Obligation.ENCOURAGED,
    Category.SERVICE_CENTRE: Obligation.MANDATORY,
}


class EndReason(models.TextChoices):
    MERGED = "merged", _("Merged")
    SPLIT = "split", _("Split")
    DISSOLVED = "dissolved", _("Dissolved")


def valid_on(date: datetime.date, prefix: str = "") -> Q:
    """Rows whose half-open period [valid_from, valid_to) contains `date` (None = unbounded)."""
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": date})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": date})
    )


class Agency(models.Model):
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("province")
    )
    code = models.CharField(_("code"), max_length=32)
    # The current state, mirrored from the latest AgencyVersion by the services.
    name = models.CharField(_("name"), max_length=255)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent agency"),
    )
    locality = models.CharField(_("locality"), max_length=120, blank=True)
    established_on = models.DateField(
        _("established on"),
        null=True,
        blank=True,
        help_text=_("Leave empty if the agency existed before the registry's records begin."),
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True, help_text=_("First day it no longer exists."))
    end_reason = models.CharField(_("end reason"), max_length=16, choices=EndReason.choices, blank=True)

    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    secretary_name = models.CharField(_("ISO secretary"), max_length=120, blank=True)
    secretary_phone = models.CharField(_("ISO secretary's phone"), max_length=40, blank=True)
    secretary_email = models.EmailField(_("ISO secretary's e-mail"), blank=True)
    note = models.TextField(
        _("note"),
        blank=True,
        help_text=_("What a reader of the registry should know, e.g. that a name is illustrative."),
    )

    # Counts the saves of the agency, so that an edit started from an older one is refused, not lost.
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["province", "code"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "code"],
                name="agency_code_unique_in_province",
                violation_error_message=_("An agency with this code already exists in the province."),
            ),
        ]
        indexes = [models.Index(fields=["province", "category"]), models.Index(fields=["province", "ended_on"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("agencies:detail", args=[self.pk])

    def is_active_on(self, date: datetime.date | None = None) -> bool:
        date = date or timezone.localdate()
        return (self.established_on is None or self.established_on <= date) and (
            self.ended_on is None or self.ended_on > date
        )

    @property
    def is_active(self) -> bool:
        return self.is_active_on()


class AgencyVersion(models.Model):
    """One period of an agency's life during which its name, category, parent and locality held."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="versions", verbose_name=_("agency"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("First day it no longer holds."))
    name = models.CharField(_("name"), max_length=255)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    parent = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="child_versions",
        verbose_name=_("parent agency"),
    )
    locality = models.CharField(_("locality"), max_length=120, blank=True)
    reorganisation = models.ForeignKey(
        "Reorganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_versions",
        verbose_name=_("opened by"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["agency", "valid_from"]
        verbose_name = _("agency version")
        verbose_name_plural = _("agency versions")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="agencyversion_period_not_empty",
            ),
        ]
        indexes = [models.Index(fields=["agency", "valid_from"]), models.Index(fields=["valid_to"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from or '…'} – {self.valid_to or '…'})"


class Reorganisation(models.Model):
    class Kind(models.TextChoices):
        MERGE = "merge", _("Merge")
        SPLIT = "split", _("Split")
        RENAME = "rename", _("Rename")
        TRANSFER = "transfer", _("Transfer to another parent")
        DISSOLUTION = "dissolution", _("Dissolution")

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="reorganisations", verbose_name=_("province")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    decision_number = models.CharField(_("decision number"), max_length=100, help_text=_("e.g. 897/NQ-UBTVQH14"))
    decision_date = models.DateField(_("decision date"))
    effective_date = models.DateField(_("effective date"))
    note = models.TextField(_("note"), blank=True)
    predecessors = models.ManyToManyField(Agency, related_name="reorganisations_out", verbose_name=_("predecessors"))
    successors = models.ManyToManyField(
        Agency, related_name="reorganisations_in", blank=True, verbose_name=_("successors")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_date", "-pk"]
        verbose_name = _("reorganisation")
        verbose_name_plural = _("reorganisations")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.decision_number}"

    def get_absolute_url(self) -> str:
        return reverse("agencies:reorganisation_detail", args=[self.pk])


class ApplicationRule(models.Model):
    """A province's rule for one category, from a date until its next rule for that category: whether
    applying a QMS is mandatory or encouraged. Without one, DEFAULT_OBLIGATION holds."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="application_rules", verbose_name=_("province")
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    obligation = models.CharField(_("applying a QMS is"), max_length=12, choices=Obligation.choices)
    valid_from = models.DateField(_("from"))
    basis = models.CharField(
        _("decided by"), max_length=200, help_text=_("The document that sets it, e.g. Quyết định 19/2014/QĐ-TTg")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["province", "category", "valid_from"]
        verbose_name = _("rule of who must apply")
        verbose_name_plural = _("rules of who must apply")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "category", "valid_from"],
                name="application_rule_one_per_day",
                violation_error_message=_("This category already has a rule from that day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.get_obligation_display()} ({self.valid_from})"


class Handover(models.Model):
    """A decision on one thing an ended unit carried: handed to a successor, or closed with the unit.
    Nothing may stay attached to an ended unit without one (see `agencies.handover`)."""

    class Kind(models.TextChoices):
        PROFILE = "profile", _("QMS profile and its announcement")
        PROCEDURE = "procedure", _("Administrative procedure")
        PROCESS = "process", _("Process")
        STAFF = "staff", _("Staff member and roles")
        FINDING = "finding", _("Open finding and its corrective actions")
        SELF_REPORT = "self_report", _("Self-report not submitted or returned")
        DOCUMENT = "document", _("Uploaded file")
        ACCOUNT = "account", _("ISO secretary's account")

    class Outcome(models.TextChoices):
        MOVED = "moved", _("Handed to a successor")
        CLOSED = "closed", _("Closed with the unit")

    from_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="handed_over", verbose_name=_("ended unit")
    )
    to_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="taken_over",
        verbose_name=_("successor"),
    )
    kind = models.CharField(_("what"), max_length=16, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    label = models.CharField(_("item"), max_length=255)
    outcome = models.CharField(_("decision"), max_length=8, choices=Outcome.choices)
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["from_agency", "kind", "label"]
        verbose_name = _("hand-over decision")
        verbose_name_plural = _("hand-over decisions")
        constraints = [
            models.UniqueConstraint(fields=["from_agency", "kind", "object_id"], name="one_decision_per_item"),
        ]
        indexes = [models.Index(fields=["kind", "object_id"])]

    def __str__(self) -> str:
        return f"{self.label} → {self.to_agency or self.get_outcome_display()}"


class User(AbstractUser):
    class Role(models.TextChoices):
        DOST = "dost", _("DOST staff")
        LEADERSHIP = "leadership", _("Provincial leadership")
        SECRETARY = "secretary", _("ISO secretary")
        # The Ministry of Science and Technology (its standards commission): reads every province, writes
        # nothing. It belongs to no province; the one it looks at is chosen on the national dashboard.
        MINISTRY = "ministry", _("Ministry staff (every province, read only)")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("province")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("agency")
    )
    # The province's identity provider's subject ("sub") of this account, stored at its first single
    # sign-on (agencies.sso); empty until then.
    oidc_subject = models.CharField(_("single sign-on identity"), max_length=255, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_subject"], condition=~models.Q(oidc_subject=""), name="one_account_per_sso_identity"
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.role in (self.Role.DOST, self.Role.LEADERSHIP) and not self.province_id:
            raise ValidationError({"province": _("DOST staff and leadership belong to a province.")})
        if self.role == self.Role.MINISTRY and (self.province_id or self.agency_id):
            raise ValidationError({"province": _("Ministry staff read every province and belong to none.")})
        if self.role == self.Role.SECRETARY:
            if not self.agency_id:
                raise ValidationError({"agency": _("An ISO secretary belongs to an agency.")})
            if self.province_id and self.agency.province_id != self.province_id:
                raise ValidationError({"agency": _("The agency is in another province.")})

    def save(self, *args, **kwargs) -> None:
        # A Ministry account looks at one province at a time (iso_tracker.middleware sets it for the
        # request); it never belongs to one.
        viewing = self.province_id if self.role == self.Role.MINISTRY else None
        if viewing is not None:
            self.province_id = None
        try:
            super().save(*args, **kwargs)
        finally:
            if viewing is not None:
                self.province_id = viewing

    def get_full_name(self) -> str:
        """Vietnamese order: family and middle names (last_name) before the given name (first_name)."""
        return f"{self.last_name} {self.first_name}".strip()


class ApiToken(models.Model):
    """A personal API token (issue 18): made and revoked by its owner on their profile page, shown once,
    kept only as its SHA-256 digest; it acts as its owner (the same scopes and rules as the web), read
    only if so made, until it expires or is revoked."""

    PREFIX = "isot_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100, help_text=_("What it is for, e.g. the e-ISO software."))
    lookup = models.CharField(max_length=12, editable=False)  # shown in the list: which token this is
    digest = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(_("read only"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}{self.lookup}…)"

    @staticmethod
    def digest_of(token: str) -> str:
        import hashlib

        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str, read_only: bool, expires_at: datetime.datetime) -> tuple[ApiToken, str]:
        """A new token and its text, which is shown once and never stored."""
        import secrets

        lookup = secrets.token_hex(4)
        text = f"{cls.PREFIX}{lookup}_{secrets.token_urlsafe(32)}"
        token = cls.objects.create(
            user=user, name=name, lookup=lookup, digest=cls.digest_of(text), read_only=read_only, expires_at=expires_at
        )
        return token, text

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


def _document_path(instance: Document, filename: str) -> str:
    # A server-generated name: the uploader's file name is kept only as data, never as a path.
    return f"documents/{instance.agency_id}/{instance.uuid.hex}"


class Document(models.Model):
    """An uploaded evidence file of one agency. Stored under MEDIA_ROOT, which is never served directly:
    it is downloaded only through `agencies:document`, which checks the user may see the agency."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="documents", verbose_name=_("agency"))
    file = models.FileField(upload_to=_document_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        "User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("uploaded by")
    )

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("agencies:document", args=[self.uuid])


class DataStamp(models.Model):
    """The database's own mark of change: a trigger on each table of an area (the registry: agencies and
    their versions) adds a row with a new random token on every write, whatever made it (a form, an
    import's bulk insert, a shell). Figures computed from an area are cached under its latest token
    (agencies.stamps), so they never outlive a change. Old rows are pruned by the dashboards job."""

    area = models.CharField(max_length=32)
    token = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["area", "-id"], name="datastamp_latest")]

    def __str__(self) -> str:
        return f"{self.area} {self.token}"
