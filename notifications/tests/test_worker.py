"""Reminders through real Celery workers on the configured broker (Redis in CI, the embedded file-system
queue otherwise): two workers, the sweep queued twice at once, each message sent once."""

import datetime
import time
from pathlib import Path

import pytest

from inspections import services as inspections
from iso_tracker.tests.smtp_sink import SmtpSink
from iso_tracker.tests.workers import start_worker
from notifications import tasks
from notifications.models import JobRun, Reminder

ROOT = Path(__file__).resolve().parents[2]
D = datetime.date


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_two_sweeps_one_message_each(tmp_path, province, dost, agency, secretary):
    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    inspections.round_open(province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10), actor=dost)
    outbox = tmp_path / "mail"
    mail = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(outbox)}
    workers = [start_worker(tmp_path / f"worker{n}.log", f"w{n}", **mail) for n in range(2)]
    try:
        for _ in range(2):
            tasks.sweep.delay(date_iso="2026-11-27", force=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            done = JobRun.objects.filter(job="send_reminders", status="done").count() == 2
            if done and not Reminder.objects.exclude(status="sent").exists() and Reminder.objects.exists():
                break
            time.sleep(0.5)
        logs = "\n".join(p.read_text() for p in tmp_path.glob("worker*.log"))
        assert JobRun.objects.filter(job="send_reminders", status="done").count() == 2, logs
        assert not Reminder.objects.exclude(status="sent").exists(), logs
        time.sleep(2)  # let any duplicate delivery show itself
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    to_secretary = Reminder.objects.filter(recipient=secretary).count()
    sent = [p.read_text() for p in outbox.glob("*.log")] if outbox.exists() else []
    messages = sum(text.count("To: thuky@caobang.gov.vn") for text in sent)
    assert to_secretary >= 2 and messages == to_secretary


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_delivery_is_taken_over_by_itself_and_nothing_is_lost_or_doubled(
    tmp_path, reminders_due, settings
):
    """Through a real, slow SMTP server: the worker is killed while it delivers; the schedule's next runs
    (a worker of their own) take over what it held once its lease has run out. Every reminder arrives;
    a message the server took just before the kill may arrive twice, then with the same Message-ID and
    counted as sent again."""
    import signal

    from notifications import services

    expected = reminders_due.count()
    settings.REMINDER_LEASE_SECONDS = 3
    with SmtpSink(delay=0.5) as sink:
        env = {**sink.env(), "REMINDER_LEASE_SECONDS": "3"}
        first = start_worker(tmp_path / "first.log", "first", **env)
        try:
            tasks.deliver.delay()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(sink.messages) < 2:
                time.sleep(0.05)
            assert len(sink.messages) >= 2, (tmp_path / "first.log").read_text()
        finally:
            first.send_signal(signal.SIGKILL)  # in the middle of the batch
            first.wait(timeout=30)
        killed = time.monotonic()
        assert Reminder.objects.filter(status="sending").exists()  # it held some when it died
        second = start_worker(tmp_path / "second.log", "second", **env)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and Reminder.objects.exclude(status="sent").exists():
                tasks.deliver.delay()  # the schedule, every 2 s here (every 30 s in production)
                time.sleep(2)
            recovered = time.monotonic() - killed
        finally:
            second.terminate()
            second.wait(timeout=30)
        assert not Reminder.objects.exclude(status="sent").exists(), (tmp_path / "second.log").read_text()
        time.sleep(1)  # let a late duplicate show itself
        ids = sink.message_ids()
    assert len(ids) == expected  # lost 0
    repeats = sum(Reminder.objects.values_list("repeats", flat=True))
    # duplicated 0 but the one cut off, and that one counted (counted as "may have gone" even if it had not)
    assert sum(ids.values()) - len(ids) <= repeats <= 1
    assert sum(JobRun.objects.filter(job=services.DELIVER).values_list("repeated", flat=True)) == repeats
    assert recovered < 60


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_cron_delivery_through_a_slow_relay_beside_the_schedule_sends_each_message_once(
    tmp_path, province, dost, agency, secretary, leader, settings
):
    """`send_reminders` from cron takes longer than its lease (a relay taking its time over each message)
    while the schedule's delivery keeps running: the cron run never sends what the other took over."""
    import subprocess
    import sys

    from iso_tracker.tests.workers import worker_env
    from notifications import services

    for user in (secretary, dost, leader):
        user.email = f"{user.username}@caobang.gov.vn"
        user.save()
    inspections.round_open(province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10), actor=dost)
    settings.REMINDER_LEASE_SECONDS = 2
    with SmtpSink(delay=0.6) as sink:
        env = worker_env(**sink.env(), REMINDER_LEASE_SECONDS="2")
        cron = subprocess.Popen(
            [sys.executable, "manage.py", "send_reminders", "--date", "2026-11-27"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = sink.host, sink.port, False
        while cron.poll() is None:
            services.deliver(record_idle=False)  # the schedule, beside it
            time.sleep(0.3)
        output = cron.stdout.read()
        assert cron.returncode == 0, output
        services.deliver(record_idle=False)
        ids = sink.message_ids()
    expected = Reminder.objects.count()
    assert expected >= 6 and not Reminder.objects.exclude(status="sent").exists(), output
    assert len(ids) == expected and set(ids.values()) == {1}, ids  # lost 0, duplicated 0
    assert not sum(Reminder.objects.values_list("repeats", flat=True))
