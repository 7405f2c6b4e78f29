"""Inspections of Circular 26/2014/TT-BKHCN. So far: the agencies' yearly self-reports (reporting rounds).

Plans, inspections, findings and corrective actions follow (issue 4, still open)."""

from __future__ import annotations

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
