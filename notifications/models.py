"""Reminders sent once each (a unique key in the database, not hope), in-app notifications, the
province's reminder settings, and the record of every job run."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Province, User


class Kind(models.TextChoices):
    REPORT_OPENED = "report_opened", _("Self-report round opened")
    REPORT_DUE = "report_due", _("Self-report due soon")
    REPORT_OVERDUE = "report_overdue", _("Self-report overdue")
    REPORT_RETURNED = "report_returned", _("Self-report returned for revision")
    ACTION_DUE = "action_due", _("Corrective action due soon")
    ACTION_OVERDUE = "action_overdue", _("Corrective action overdue")
    ACTION_REJECTED = "action_rejected", _("Corrective action not accepted")
    AUDIT_DUE = "audit_due", _("Internal audit or management review due")
    REVISION_DUE = "revision_due", _("Legal revision nearing or past its limit")
    REANNOUNCE = "reannounce", _("Re-announcement missing after a scope change")
    TRANSITION_DUE = "transition_due", _("Transition milestones left before its deadline")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest for DOST")
    MONTHLY_SUMMARY = "monthly_summary", _("Monthly summary for leadership")


DIGESTS = (Kind.WEEKLY_DIGEST, Kind.MONTHLY_SUMMARY)


class Reminder(models.Model):
    """One message to one person. `key` names what it is about and at which stage, so the same reminder
    can be claimed only once, however often and by however many workers the sweep runs."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    key = models.CharField(_("subject"), max_length=200)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("recipient"))
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"))
    url = models.CharField(max_length=300, blank=True)
    swept_on = models.DateField(_("sweep of"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True, help_text="The delivery run that holds the reminder.")
    in_flight = models.BooleanField(
        default=False,
        help_text="Handed to the mail server and its outcome not recorded yet: a send after this is a repeat.",
    )
    repeats = models.PositiveSmallIntegerField(
        _("sent again"), default=0, help_text="Sends repeated because the outcome of an earlier one was lost."
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["kind", "key", "recipient"], name="reminder_once")]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"


class Notification(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user"))
    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, related_name="notification")
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"))
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


def default_kinds() -> list[str]:
    return list(Kind.values)


class ReminderSettings(models.Model):
    """What a DOST administrator can change: which reminders run, their lead times, their hour, and who
    receives the weekly digest."""

    province = models.OneToOneField(Province, on_delete=models.CASCADE, related_name="reminder_settings")
    enabled = models.JSONField(_("reminders that run"), default=default_kinds)
    report_lead_days = models.CharField(_("self-report: days before the deadline"), max_length=50, default="14,7,1")
    action_lead_days = models.CharField(_("corrective action: days before the deadline"), max_length=50, default="14,3")
    revision_lead_days = models.PositiveSmallIntegerField(_("legal revision: days before the limit"), default=14)
    hour = models.PositiveSmallIntegerField(_("hour they go out"), default=7)
    digest_recipients = models.ManyToManyField(User, blank=True, related_name="+", verbose_name=_("weekly digest to"))
    revision = models.PositiveIntegerField(
        default=0, help_text="Incremented by every save; a save based on an older revision is refused."
    )
    swept_on = models.DateField(
        _("last day swept"),
        null=True,
        blank=True,
        editable=False,
        help_text="The day the scheduled sweep last took this province (once a day, at its hour).",
    )

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self) -> str:
        return str(self.province)

    @staticmethod
    def _days(text: str) -> list[int]:
        return sorted({int(x) for x in text.replace(" ", "").split(",") if x.isdigit()}, reverse=True)

    @property
    def report_days(self) -> list[int]:
        return self._days(self.report_lead_days)

    @property
    def action_days(self) -> list[int]:
        return self._days(self.action_lead_days)


class DigestOptOut(models.Model):
    """A user who does not want the digests (deadline reminders cannot be turned off)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="digest_opt_out")

    def __str__(self) -> str:
        return str(self.user)


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Ending(models.TextChoices):
        TIME_LIMIT = "time_limit", _("Stopped at its time limit; the rest goes out with the next run.")
        DIED = "died", _("Stopped without finishing: its worker died or lost the database.")

    job = models.CharField(_("job"), max_length=64)
    swept_on = models.DateField(_("for the day"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    claimed = models.PositiveIntegerField(_("new reminders"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    repeated = models.PositiveIntegerField(
        _("sent again"), default=0, help_text="Messages sent again, with the same Message-ID, after a lost outcome."
    )
    error = models.TextField(_("error"), blank=True)
    ending = models.CharField(_("how it ended"), max_length=16, choices=Ending.choices, blank=True)
    triggered_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="The last sign of life of a running job; long silent means it died."
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["job", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%d/%m/%Y %H:%M}"

    @property
    def died(self) -> bool:
        """Still "running" but silent for longer than any run lives: its worker died (see `dead_runs`)."""
        return self.status == self.Status.RUNNING and (self.heartbeat_at or self.started_at) < silent_since()


SILENCE = datetime.timedelta(minutes=3)  # a running job beats at least this often


def silent_since() -> datetime.datetime:
    return timezone.now() - SILENCE


def dead_runs():
    """Runs still marked "running" whose worker died (killed, the database gone before they could finish)."""
    return JobRun.objects.filter(status=JobRun.Status.RUNNING).filter(
        models.Q(heartbeat_at__lt=silent_since()) | models.Q(heartbeat_at__isnull=True, started_at__lt=silent_since())
    )
