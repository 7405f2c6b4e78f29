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
import hashlib
import logging
import time
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connections, transaction
from django.db.models import Case, Exists, OuterRef, Q, When
from django.template.loader import render_to_string
from django.utils import timezone, translation

from agencies.models import Province, User
from iso_tracker.concurrency import EditConflict
from iso_tracker.permissions import require

from .models import JobRun, Kind, Notification, Reminder, ReminderSettings, dead_runs
from .rules import candidates

log = logging.getLogger(__name__)
SWEEP, DELIVER = "send_reminders", "deliver_reminders"
BATCH = 1000
CLAIM_BATCH = 50  # held at a time by a delivery run
MAX_ATTEMPTS = 5
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


@transaction.atomic
def settings_save(form, *, actor: User) -> ReminderSettings:
    """Save a province's reminder settings from a valid SettingsForm, unless someone saved them after this
    user opened the form (its `revision`; none when there were no settings yet): then EditConflict."""
    require(actor, "reminders.manage")
    setting = form.instance
    current = ReminderSettings.objects.select_for_update().filter(province=setting.province_id).first()
    if current is not None and current.revision != form.cleaned_data.get("revision"):
        raise EditConflict
    if current is not None:
        setting.pk, setting.swept_on = current.pk, current.swept_on
    setting.revision = (current.revision if current else 0) + 1
    return form.save()


def run_daily(*, on: datetime.date, actor: User | None = None, provinces: Iterable[Province] | None = None) -> JobRun:
    """Claim every reminder due on `on` in `provinces` (default: every province), whatever the hour;
    running it twice claims nothing more."""
    close_dead_runs()
    run = JobRun.objects.create(job=SWEEP, swept_on=on, triggered_by=actor, heartbeat_at=timezone.now())
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for province in Province.objects.all() if provinces is None else provinces:
                run.claimed += _claim(province, on, run)
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


def _claim(province: Province, on: datetime.date, run: JobRun) -> int:
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
            _beat(run)
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


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)


def _beat(run: JobRun) -> None:
    """A sign of life of a running job (see `JobRun.died`)."""
    run.heartbeat_at = timezone.now()
    JobRun.objects.filter(pk=run.pk).update(heartbeat_at=run.heartbeat_at)


def close_dead_runs() -> int:
    """Mark as failed the runs whose worker died while they were "running"."""
    return dead_runs().update(status=JobRun.Status.FAILED, finished_at=timezone.now(), ending=JobRun.Ending.DIED)


def _claim_batch(ids: list[int], token: uuid.UUID) -> list[Reminder]:
    """Take the reminders of `ids` that nobody holds: one conditional UPDATE stamps them with this run's
    token, then the token tells which ones were ours (another worker's are left alone)."""
    now = timezone.now()
    (
        Reminder.objects.filter(pk__in=ids, status=Reminder.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now))
        .update(status=Reminder.Status.SENDING, claimed_at=now, claim=token)
    )
    return list(_held(token, ids).select_related("recipient").order_by("pk"))


def _held(token: uuid.UUID, ids: list[int]):
    """What this run holds of `ids` (by primary key: no scan for the token)."""
    return Reminder.objects.filter(pk__in=ids, claim=token, status=Reminder.Status.SENDING)


def _release(token: uuid.UUID, ids: list[int]) -> int:
    """Give back, for the next run, what this run holds of `ids` and has not handed to the mail server."""
    return _held(token, ids).filter(in_flight=False).update(status=Reminder.Status.PENDING, claimed_at=None, claim=None)


def deliver(
    *, limit: int | None = None, actor: User | None = None, time_limit: float | None = None, record_idle: bool = True
) -> JobRun | None:
    """Send the reminders waiting for e-mail, over one SMTP connection, each exactly once as far as the
    database lets us know it: a run holds a few messages at a time under a short lease that it renews as it
    works (a run that died is taken over once the lease has run out: `REMINDER_LEASE_SECONDS`; a message
    already handed to the mail server after twice that), checks that each message is still its own just
    before handing it to the mail server, and records the outcomes right after the server's answers, one
    statement a window of messages (see `WINDOW_SECONDS`). A send whose outcome was lost (the database went
    away) is repeated with the same Message-ID and counted. A transient failure waits 2, 4, 8… minutes
    before the next try; a message that cannot be sent is marked failed and the others go on. `time_limit`
    (seconds, default the task's soft time limit): no message is started after it; what is left goes back
    to the queue at once. `record_idle`: record a run even when nothing was waiting (the schedule runs
    often and records only runs that found work). The run is always finished, never left "running"."""
    close_dead_runs()
    now = timezone.now()
    # Held past the lease: the run died or is too slow. A message already handed to the mail server waits
    # twice as long (its exchange may still be under way on a loaded machine) before it is sent again.
    Reminder.objects.filter(status=Reminder.Status.SENDING).filter(
        Q(in_flight=False, claimed_at__lt=now - lease()) | Q(in_flight=True, claimed_at__lt=now - 2 * lease())
    ).update(status=Reminder.Status.PENDING, claimed_at=None, claim=None)
    waiting = (
        Reminder.objects.filter(status=Reminder.Status.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = list(waiting[:limit] if limit else waiting)
    if not ids and not record_idle:
        return None
    run = JobRun.objects.create(job=DELIVER, triggered_by=actor, heartbeat_at=now)
    token = uuid.uuid4()
    budget = settings.CELERY_TASK_SOFT_TIME_LIMIT if time_limit is None else time_limit
    stop_at = _clock() + budget - lease().total_seconds() / 2  # leave time to record and give back
    renewed = _clock()
    held: list[int] = []  # the batch this run holds
    outcomes: list[_Outcome] = []  # the last window's, recorded with the next window's claim
    connection = None
    try:
        # the SMTP exchange of one message ends before its hold does
        connection = get_connection(timeout=min(settings.EMAIL_TIMEOUT, lease().total_seconds() * 2 / 3))
        size = 1  # messages handed to the mail server per recorded step (see WINDOW_SECONDS)
        for start in range(0, len(ids), CLAIM_BATCH):
            if _clock() >= stop_at:
                run.ending = JobRun.Ending.TIME_LIMIT
                break
            held = ids[start : start + CLAIM_BATCH]
            batch = _claim_batch(held, token)
            while batch:
                if _clock() >= stop_at:
                    run.ending = JobRun.Ending.TIME_LIMIT
                    break
                if _clock() - renewed >= lease().total_seconds() / 3:  # still alive: keep what we hold
                    _held(token, held).update(claimed_at=timezone.now())
                    _beat(run)
                    renewed = _clock()
                window, batch = batch[:size], batch[size:]
                mine = _take(window, token, outcomes, run)
                outcomes, began = [], _clock()
                for reminder in window:
                    if reminder.pk in mine:
                        outcomes.append(_send(reminder, connection))
                size = _window_size(_clock() - began, len(outcomes))
            _record(outcomes, run)
            outcomes = []
            _release(token, held)
        run.status = JobRun.Status.DONE
    except BaseException as exc:  # a time limit, the database…: what is held is given back when possible
        run.status, run.error = JobRun.Status.FAILED, repr(exc)[:2000]
        raise
    finally:
        if connection is not None:
            connection.close()
        run.finished_at = timezone.now()
        try:
            _record(outcomes, run)  # messages answered just before a time limit or an error
            _release(token, held)
            run.save()
        except Exception:  # the database is gone: the lease hands the rest over, the run shows as died
            log.exception("delivery run %s could not be recorded", run.pk)
    return run


def _clock() -> float:
    return time.monotonic()


def message_id(reminder: Reminder) -> str:
    """The same Message-ID every time this reminder is sent, so a repeated send shows once in a mailbox."""
    digest = hashlib.sha256(f"{reminder.kind}|{reminder.key}|{reminder.recipient_id}".encode()).hexdigest()[:16]
    domain = (urlsplit(settings.SITE_URL).hostname or "localhost").strip(".") or "localhost"
    return f"<reminder.{reminder.pk}.{digest}@{domain}>"


@dataclass
class _Outcome:
    """What the mail server answered for one message, to be recorded."""

    reminder: Reminder
    error: BaseException | None = None  # None: sent (or in-app only)
    final: bool = False  # the error can never go away: not retried
    repeat: bool = False  # an earlier send's outcome was lost: this one may be a second copy


# The previous window's outcomes (sent) and the next window's claim check, in one statement: the first
# rows by their ids, the others only if this run still holds them. {sent}, {repeated}, {handed}, {window}
# are "id IN (%s, …)" (or a condition that is never true).
TAKE_SQL = """
UPDATE {table} SET
    status = CASE WHEN {sent} THEN %s ELSE status END,
    sent_at = CASE WHEN {sent} THEN %s ELSE sent_at END,
    attempts = CASE WHEN {sent} THEN attempts + 1 ELSE attempts END,
    repeats = CASE WHEN {repeated} THEN repeats + 1 ELSE repeats END,
    last_error = CASE WHEN {sent} THEN '' ELSE last_error END,
    claim = CASE WHEN {sent} THEN NULL ELSE claim END,
    in_flight = CASE WHEN {handed} THEN %s ELSE %s END,
    claimed_at = CASE WHEN {sent} THEN claimed_at ELSE %s END
WHERE {sent} OR ({window} AND claim = %s AND status = %s)
"""


def _ids_in(ids: list[int]) -> tuple[str, list[int]]:
    if not ids:
        return "1 = 0", []
    return f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)


# A delivery run hands the mail server a window of messages between two records: one statement records
# the previous window's outcomes and marks the next window handed over. The window holds as many messages
# as the last ones sent in WINDOW_SECONDS, at most MAX_WINDOW: through a mail server that takes its time
# (a relay over the network) one message, so a run cut off repeats at most that one; through a fast local
# relay up to MAX_WINDOW, so the database is not the bottleneck (issue 16: under 0.2 statements an e-mail).
WINDOW_SECONDS = 0.025
MAX_WINDOW = 20


def _window_size(elapsed: float, sent: int) -> int:
    if not sent:
        return 1
    if elapsed <= 0:
        return MAX_WINDOW
    return max(1, min(MAX_WINDOW, int(WINDOW_SECONDS * sent / elapsed)))


def _take(window: list[Reminder], token: uuid.UUID, previous: list[_Outcome], run: JobRun) -> set[int]:
    """Record the previous window's outcomes, right after their answers, and check which reminders of
    `window` are still this run's (a run slower than its lease has been taken over: then the other run sends
    them), marking them handed to the mail server: after a crash from here on each is known to be possibly
    sent, and a later send repeats it with the same Message-ID and counts it. One UPDATE of all those rows,
    so one commit a window; a failed send (rare) is recorded on its own. Returns the ids still this run's."""
    failed = [outcome for outcome in previous if outcome.error is not None]
    for outcome in failed:
        _record_failure(outcome.reminder, run, outcome.error, final=outcome.final)
    sent = [outcome for outcome in previous if outcome.error is None]
    ids = [reminder.pk for reminder in window]
    handed = [reminder.pk for reminder in window if reminder.recipient.email]
    if not sent and not ids:
        return set()
    sent_sql, sent_ids = _ids_in([outcome.reminder.pk for outcome in sent])
    repeated_sql, repeated_ids = _ids_in([outcome.reminder.pk for outcome in sent if outcome.repeat])
    handed_sql, handed_ids = _ids_in(handed)
    window_sql, window_ids = _ids_in(ids)
    # Raw SQL: the same UPDATE built with the ORM's Case/When costs more CPU than the send (4 ms a message).
    db = connections[Reminder.objects.db]
    claim = Reminder._meta.get_field("claim").get_db_prep_value(token, db)
    stamp = db.ops.adapt_datetimefield_value(timezone.now())
    sql = TAKE_SQL.format(
        table=db.ops.quote_name(Reminder._meta.db_table),
        sent=sent_sql,
        repeated=repeated_sql,
        handed=handed_sql,
        window=window_sql,
    )
    params = [
        *(sent_ids, Reminder.Status.SENT),
        *(sent_ids, stamp),
        sent_ids,
        repeated_ids,
        sent_ids,
        sent_ids,
        *(handed_ids, True, False),
        *(sent_ids, stamp),
        *(sent_ids, window_ids, claim, Reminder.Status.SENDING),
    ]
    flat = []
    for param in params:
        flat.extend(param if isinstance(param, list) else [param])
    with db.cursor() as cursor:
        cursor.execute(sql, flat)
        count = cursor.rowcount
    run.sent += len(sent)
    run.repeated += sum(outcome.repeat for outcome in sent)
    if count - len(sent) == len(ids):
        return set(ids)
    return set(_held(token, ids).values_list("pk", flat=True))  # some were taken over meanwhile


def _send(reminder: Reminder, connection) -> _Outcome:
    repeat = reminder.in_flight
    try:
        message = _message(reminder, connection)
        if message is not None:
            message.send()
    except TRANSIENT as exc:  # the mail server: retried later
        connection.close()  # a broken connection is opened again for the next message
        return _Outcome(reminder, exc)
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: stop here (this message is taken over after the lease)
    except Exception as exc:  # this message cannot be sent (BadHeaderError, a malformed address…): never retried
        connection.close()  # in case it broke off in the middle of a message
        return _Outcome(reminder, exc, final=True)
    return _Outcome(reminder, repeat=repeat)


def _record(outcomes: list[_Outcome], run: JobRun) -> None:
    """Record the outcomes of a window, with nothing to claim after it."""
    if outcomes:
        _take([], None, outcomes, run)


def _record_failure(reminder: Reminder, run: JobRun, exc: BaseException, *, final: bool) -> None:
    attempts = reminder.attempts + 1
    final = final or attempts >= MAX_ATTEMPTS
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.FAILED if final else Reminder.Status.PENDING,
        attempts=attempts,
        last_error=repr(exc)[:2000],
        claim=None,
        in_flight=False,
        claimed_at=None if final else timezone.now() + datetime.timedelta(minutes=2**attempts),
    )
    if final:
        run.failed += 1
        log.error("reminder %s cannot be sent: %s", reminder.pk, exc)
    else:
        log.warning("reminder %s not sent (attempt %s): %s", reminder.pk, attempts, exc)


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


def _message(reminder: Reminder, connection) -> EmailMultiAlternatives | None:
    """The e-mail of a reminder (None: the recipient has no address, the reminder is in-app only)."""
    if not reminder.recipient.email:
        return None
    subject, text, html = render_email(reminder)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [reminder.recipient.email],
        connection=connection,
        headers={"Message-ID": message_id(reminder)},
    )
    message.attach_alternative(html, "text/html")
    if reminder.kind == Kind.MONTHLY_SUMMARY:
        _attach_summary(message, reminder)
    return message


def _attach_summary(message: EmailMultiAlternatives, reminder: Reminder) -> None:
    """Leadership's monthly summary carries the summary PDF (the one the reports job made for the data as
    it is, if there is one: every leader of the province gets the same file); without it the e-mail still
    goes."""
    from inspections.reports.services import summary_bytes

    try:
        message.attach(
            f"tom-tat-HTQLCL-{reminder.swept_on:%Y-%m}.pdf", summary_bytes(reminder.province), "application/pdf"
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
