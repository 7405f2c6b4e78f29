"""One row per audited event: a request or job that wrote to the database, a sign-in or sign-out,
a failed or locked-out sign-in, and a refused access. Rows are only ever added."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        WRITE = "write", _("Change")
        REFUSED = "refused", _("Refused access")
        LOGIN = "login", _("Signed in")
        LOGOUT = "logout", _("Signed out")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOCKED_OUT = "locked_out", _("Locked out")
        JOB = "job", _("Background job")
        COMMAND = "command", _("Management command")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept as text too: the name attempted at a failed sign-in, or the job's name; survives the user.
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    # The province the event belongs to (the actor's), so that each DOST sees its own province's trail.
    province = models.ForeignKey(
        "agencies.Province", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(_("address"), max_length=500, blank=True)
    view = models.CharField(_("page"), max_length=120, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # For writes: rows written per table, e.g. {"agencies_agency": {"insert": 77}}.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["province", "-at"]), models.Index(fields=["actor", "-at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        at = f"{self.at:%Y-%m-%d %H:%M:%S}" if self.at else "(not saved)"
        return f"{at} {self.kind} {self.actor_name} {self.path}"

    @property
    def rows_written(self) -> int:
        return sum(sum(ops.values()) for ops in self.changes.values())
