"""The daily sweep and the delivery of reminders.

The sweep claims what fell due with one INSERT … ON CONFLICT DO NOTHING per batch on a unique key, and
gives each new reminder its in-app notification; the scheduled sweep takes each province once a day, once
the province's own hour has come (local time). Delivery claims one reminder at a time with a
conditional UPDATE, so two workers never send the same message. A send that failed for a transient
reason (the mail server) is retried later with a growing delay (kept in the database, not in the
broker); a message that can never be sent (a header with a line break, a malformed address…) is marked
failed with its reason at once and the others go on; a reminder stuck "sending" by a worker that died is
released after a lease and sent again."""

from __future__ import annotations

import datetime
import logging
import unicodedata
import uuid
from collections.abc import Iterable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, When
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
TITLE_MAX = 300  # Reminder.title
SUBJECT_MAX = 180  # characters of an e-mail subject, "[ISO Tracker] " included


def one_line(text: str, limit: int | None = None) -> str:
    """`text` as one line: line breaks, other control characters and runs of white space become one space;
    cut at `limit` characters with an ellipsis. For user text that ends up in a title or a mail header."""
    spaced = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    line = " ".join(spaced.split())
    if limit is not None and len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def settings_for(province: Province) -> ReminderSettings:
    return ReminderSettings.objects.get_or_create(province=province)[0]


def run_daily(*, on: datetime.date, actor: User | None = None, provinces: Iterable[Province] | None = None) -> JobRun:
    """Claim every reminder due on `on` in `provinces` (default: every province), whatever the hour;
    running it twice claims nothing more."""
    run = JobRun.objects.create(job=SWEEP, swept_on=on, triggered_by=actor)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for province in Province.objects.all() if provinces is None else provinces:
                run.claimed += _claim(province, on)
        run.status = JobRun.Status.DONE
    except BaseException as exc:  # whatever stopped it, the run is finished, never left "running"
        run.status, run.error = JobRun.Status.FAILED, repr(exc)[:2000]
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
    return run


def provinces_to_sweep(*, on: datetime.date, hour: int | None = None) -> list[Province]:
    """The provinces whose daily sweep for `on` has not run yet and whose reminder hour has come by `hour`
    (the local hour now; None: whatever their hour)."""
    due = []
    for province in Province.objects.order_by("pk"):
        setting = settings_for(province)
        if setting.swept_on != on and (hour is None or setting.hour <= hour):
            due.append(province)
    return due


def sweep_due(*, on: datetime.date, hour: int | None = None, actor: User | None = None) -> JobRun | None:
    """The scheduled sweep: each province once for the day `on`, once its own hour has come (`hour`, see
    `provinces_to_sweep`). Called every hour, it takes each province at its hour, catches up on the next
    call if one was missed, and does nothing more once every province is swept. None: nothing was due."""
    provinces = provinces_to_sweep(on=on, hour=hour)
    if not provinces:
        return None
    run = run_daily(on=on, actor=actor, provinces=provinces)  # raises if it failed: then retried next time
    ReminderSettings.objects.filter(province__in=provinces).update(swept_on=on)
    return run


def sweep_scheduled(*, now: datetime.datetime, actor: User | None = None) -> JobRun | None:
    """`sweep_due` for the day and hour that `now` is in the site's time zone (TIME_ZONE, Vietnam)."""
    local = timezone.localtime(now)
    return sweep_due(on=local.date(), hour=local.hour, actor=actor)


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
                title=one_line(c.title, TITLE_MAX),  # user text (a process code…) may hold line breaks
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
    dead worker left half-sent. A transient failure waits 2, 4, 8… minutes before the next try; a message
    that cannot be sent is marked failed and the others go on. The run is always finished, never left
    "running": failed, with the error, if something unexpected stopped it."""
    run = JobRun.objects.create(job=DELIVER, triggered_by=actor)
    try:
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
        run.status = JobRun.Status.DONE
    except BaseException as exc:  # a time limit, the database…: the claimed rest is released after LEASE
        run.status, run.error = JobRun.Status.FAILED, repr(exc)[:2000]
        raise
    finally:
        run.finished_at = timezone.now()
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
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: stop here (this message is released after LEASE)
    except Exception as exc:  # this message cannot be sent (BadHeaderError, a malformed address…): never retried
        reminder.attempts += 1
        reminder.status, reminder.last_error, reminder.claim = Reminder.Status.FAILED, repr(exc)[:2000], None
        run.failed += 1
        log.error("reminder %s cannot be sent: %s", reminder.pk, exc)
        connection.close()  # in case it broke off in the middle of a message
    else:
        reminder.status, reminder.sent_at, reminder.claim = Reminder.Status.SENT, timezone.now(), None
        reminder.attempts += 1
        reminder.last_error = ""  # delivered: no longer listed among the messages not delivered
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
        # one line, whatever the title holds (a header must not break); the template does not escape it
        subject = one_line(render_to_string("notifications/emails/reminder-subject.txt", context), SUBJECT_MAX)
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


def job_overview(job: str, beat_key: str, *, now: datetime.datetime | None = None):
    """A job's last five runs and when beat runs it next (None when it is not scheduled)."""
    from iso_tracker.celery import app as celery_app

    now = now or timezone.now()
    runs = list(JobRun.objects.filter(job=job)[:5])
    entry = celery_app.conf.beat_schedule.get(beat_key)
    return runs, (now + entry["schedule"].remaining_estimate(now) if entry else None)


def undelivered(province: Province, limit: int = 20):
    """The province's messages not delivered (yet): failed ones first, then those waiting for a retry."""
    return (
        Reminder.objects.filter(province=province)
        .exclude(last_error="")
        .exclude(status=Reminder.Status.SENT)
        .select_related("recipient")
        .order_by(Case(When(status=Reminder.Status.FAILED, then=0), default=1), "-pk")[:limit]
    )
