"""The daily sweep and the delivery of reminders.

The sweep claims what fell due with one INSERT … ON CONFLICT DO NOTHING per batch on a unique key, and
gives each new reminder its in-app notification; delivery claims one reminder at a time with a
conditional UPDATE, so two workers never send the same message. A failed send is retried later with a
growing delay (kept in the database, not in the broker); a reminder stuck "sending" by a worker that
died is released after a lease and sent again."""

from __future__ import annotations

import datetime
import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from agencies.models import Province, User

from .models import JobRun, Kind, Notification, Reminder, ReminderSettings
from .rules import candidates

log = logging.getLogger(__name__)
SWEEP, DELIVER = "send_reminders", "deliver_reminders"
BATCH = 1000
SEND_BATCH = 200
MAX_ATTEMPTS = 5
LEASE = datetime.timedelta(minutes=10)
TRANSIENT = (OSError,)  # smtplib.SMTPException and connection errors are OSErrors


def settings_for(province: Province) -> ReminderSettings:
    return ReminderSettings.objects.get_or_create(province=province)[0]


def run_daily(*, on: datetime.date, actor: User | None = None) -> JobRun:
    """Claim every reminder due on `on` in every province (running it twice claims nothing more)."""
    run = JobRun.objects.create(job=SWEEP, swept_on=on, triggered_by=actor)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for province in Province.objects.all():
                run.claimed += _claim(province, on)
        run.status = JobRun.Status.DONE
    except Exception as exc:
        run.status, run.error = JobRun.Status.FAILED, repr(exc)
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
    return run


def _claim(province: Province, on: datetime.date) -> int:
    before = Reminder.objects.filter(province=province).count()
    batch: list[Reminder] = []
    for c in candidates(province, on, settings_for(province)):
        batch.append(
            Reminder(
                kind=c.kind,
                key=c.key,
                recipient_id=c.recipient_id,
                province=province,
                title=c.title[:300],
                body="\n".join(line for line in c.lines if line),
                url=c.url,
                swept_on=on,
            )
        )
        if len(batch) >= BATCH:
            _insert(batch)
            batch = []
    _insert(batch)
    fresh = (
        Reminder.objects.filter(province=province)  # also any that a crashed sweep left without one
        .filter(~Exists(Notification.objects.filter(reminder=OuterRef("pk"))))
        .values_list("pk", "recipient_id", "title", "body", "url")
    )
    for chunk in _chunks(fresh.iterator(chunk_size=BATCH), BATCH):  # memory stays one batch, whatever the total
        Notification.objects.bulk_create(
            [
                Notification(user_id=user, reminder_id=pk, title=title, body=body, url=url)
                for pk, user, title, body, url in chunk
            ],
            ignore_conflicts=True,
        )
    return Reminder.objects.filter(province=province).count() - before


def _chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(batch: list[Reminder]) -> None:
    if batch:
        with transaction.atomic():
            Reminder.objects.bulk_create(batch, ignore_conflicts=True)


def _claim_batch(ids: list[int]) -> list[Reminder]:
    """Take the reminders of `ids` that nobody holds: one conditional UPDATE stamps them with this run's
    token, then the token tells which ones were ours (another worker's are left alone)."""
    token, now = uuid.uuid4(), timezone.now()
    (
        Reminder.objects.filter(pk__in=ids, status=Reminder.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now))
        .update(status=Reminder.Status.SENDING, claimed_at=now, claim=token)
    )
    return list(Reminder.objects.filter(claim=token).select_related("recipient").order_by("pk"))


def deliver(*, limit: int | None = None, actor: User | None = None) -> JobRun:
    """Send the reminders waiting for e-mail, a batch at a time over one SMTP connection; release those a
    dead worker left half-sent. A failed message waits 2, 4, 8… minutes before the next try."""
    run = JobRun.objects.create(job=DELIVER, triggered_by=actor)
    now = timezone.now()
    Reminder.objects.filter(status=Reminder.Status.SENDING, claimed_at__lt=now - LEASE).update(
        status=Reminder.Status.PENDING, claimed_at=None, claim=None
    )
    waiting = (
        Reminder.objects.filter(status=Reminder.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = list(waiting[:limit] if limit else waiting)
    connection = get_connection()
    try:
        for start in range(0, len(ids), SEND_BATCH):
            batch = _claim_batch(ids[start : start + SEND_BATCH])
            for reminder in batch:
                _deliver_one(reminder, connection, run)
    finally:
        connection.close()
    run.status, run.finished_at = JobRun.Status.DONE, timezone.now()
    run.save()
    return run


def _deliver_one(reminder: Reminder, connection, run: JobRun) -> None:
    """Send one message and record the outcome at once, so that a worker killed after it loses nothing and
    repeats at most the one message it was sending."""
    try:
        _send(reminder, connection)
    except TRANSIENT as exc:
        reminder.attempts += 1
        reminder.last_error = repr(exc)[:2000]
        reminder.claim = None
        if reminder.attempts >= MAX_ATTEMPTS:
            reminder.status = Reminder.Status.FAILED
            run.failed += 1
        else:
            reminder.status = Reminder.Status.PENDING
            reminder.claimed_at = timezone.now() + datetime.timedelta(minutes=2**reminder.attempts)
        log.warning("reminder %s not sent (attempt %s): %s", reminder.pk, reminder.attempts, exc)
        connection.close()  # a broken connection is opened again for the next message
    else:
        reminder.status, reminder.sent_at, reminder.claim = Reminder.Status.SENT, timezone.now(), None
        reminder.attempts += 1
        run.sent += 1
    reminder.save(update_fields=["status", "sent_at", "attempts", "last_error", "claimed_at", "claim"])


def render_email(reminder: Reminder) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a reminder, in Vietnamese, with absolute links."""
    context = {
        "reminder": reminder,
        "lines": reminder.body.splitlines(),
        "link": f"{settings.SITE_URL.rstrip('/')}{reminder.url}" if reminder.url else settings.SITE_URL,
        "site": settings.SITE_URL,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("notifications/emails/reminder-subject.txt", context).strip()
        text = render_to_string("notifications/emails/reminder-body.txt", context)
        html = render_to_string("notifications/emails/reminder-body.html", context)
    return subject, text, html


def _send(reminder: Reminder, connection) -> None:
    if not reminder.recipient.email:
        return  # in-app only
    subject, text, html = render_email(reminder)
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [reminder.recipient.email], connection=connection
    )
    message.attach_alternative(html, "text/html")
    if reminder.kind == Kind.MONTHLY_SUMMARY:
        _attach_summary(message, reminder)
    message.send()


def _attach_summary(message: EmailMultiAlternatives, reminder: Reminder) -> None:
    """Leadership's monthly summary carries the summary PDF; without it the e-mail still goes."""
    from inspections.reports.summary import summary_pdf

    try:
        message.attach(
            f"tom-tat-HTQLCL-{reminder.swept_on:%Y-%m}.pdf", summary_pdf(reminder.province), "application/pdf"
        )
    except Exception:  # a rendering problem must not hold back the message
        log.exception("summary PDF for reminder %s could not be made", reminder.pk)


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    notifications = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        notifications = notifications.filter(pk=notification_id)
    return notifications.update(read_at=timezone.now())
