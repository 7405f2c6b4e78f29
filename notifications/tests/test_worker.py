"""Reminders through real Celery workers on the configured broker (Redis in CI, the embedded file-system
queue otherwise): two workers, the sweep queued twice at once, each message sent once."""

import datetime
import time
from pathlib import Path

import pytest

from inspections import services as inspections
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
def test_a_worker_killed_in_the_middle_of_delivery_loses_nothing_and_repeats_nothing(
    tmp_path, province, dost, agency, secretary
):
    import signal

    from django.utils import timezone

    from notifications import services

    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    inspections.round_open(province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10), actor=dost)
    services.run_daily(on=D(2026, 11, 27))
    expected = Reminder.objects.filter(recipient=secretary).count()
    outbox = tmp_path / "mail"
    mail = {"EMAIL_BACKEND": "notifications.tests.slow_backend.EmailBackend", "EMAIL_FILE_PATH": str(outbox)}

    def start(name):
        return start_worker(tmp_path / f"{name}.log", name, **mail)

    first = start("first")
    try:
        tasks.deliver.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Reminder.objects.filter(recipient=secretary, status="sent").exists():
            time.sleep(0.1)
        assert Reminder.objects.filter(recipient=secretary, status="sent").exists(), (
            tmp_path / "first.log"
        ).read_text()
    finally:
        first.send_signal(signal.SIGKILL)  # in the middle of the batch
        first.wait(timeout=30)
    assert Reminder.objects.filter(recipient=secretary).exclude(status="sent").exists()  # some were cut off
    # the lease of the dead worker's claim runs out; the next delivery takes them up
    Reminder.objects.filter(status="sending").update(claimed_at=timezone.now() - services.LEASE * 2)
    second = start("second")
    try:
        tasks.deliver.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Reminder.objects.exclude(status="sent").exists():
            time.sleep(0.2)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert not Reminder.objects.exclude(status="sent").exists(), (tmp_path / "second.log").read_text()
    messages = sum(p.read_text().count("To: thuky@caobang.gov.vn") for p in outbox.glob("*.log"))
    assert messages == expected  # every reminder exactly once
