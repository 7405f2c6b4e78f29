"""Background jobs: the session clean-up job, run inline and by a real Celery worker."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from agencies.tasks import clear_expired_sessions
from iso_tracker.tests.workers import start_worker

ROOT = Path(__file__).resolve().parents[2]


def _sessions():
    now = timezone.now()
    Session.objects.create(session_key="cu" + "x" * 30, session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="moi" + "y" * 29, session_data="", expire_date=now + timedelta(days=1))


@pytest.mark.django_db
def test_clear_expired_sessions_twice_is_harmless():
    _sessions()
    clear_expired_sessions.apply()
    clear_expired_sessions.apply()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["moi" + "y" * 29]


def test_every_periodic_job_expires_before_its_next_run():
    from iso_tracker.celery import app

    app.loader.import_default_modules()  # what a worker does at start: the apps' tasks are discovered
    for name, entry in app.conf.beat_schedule.items():
        assert entry["options"]["expires"] < 24 * 60 * 60, name
        assert entry["task"] in app.tasks, name


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_from_the_configured_broker(tmp_path):
    """Redis when REDIS_URL is set (CI), the embedded file-system broker otherwise."""
    _sessions()
    worker = start_worker(tmp_path / "worker.log")
    try:
        clear_expired_sessions.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Session.objects.count() != 1:
            time.sleep(0.5)
        assert Session.objects.count() == 1, (tmp_path / "worker.log").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    broker = "redis" if settings.REDIS_URL else "filesystem"
    assert settings.CELERY_BROKER_URL.startswith(broker)


def test_the_same_job_is_a_management_command(db):
    _sessions()
    call_command("clearsessions")
    assert Session.objects.count() == 1
