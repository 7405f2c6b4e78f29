"""Jobs across a Redis restart (issue 12), on a Redis server the test owns, configured as the deploy recipe
configures it (deploy/redis/iso-tracker.conf), and workers started with the systemd units' own commands
and restarted as their `Restart=` / `RestartSec=` say: no job is lost, a busy worker is back within
seconds, each reminder goes out once."""

import shutil
import time

import pytest

from inspections import tasks as inspection_tasks
from inspections.models import AnnualReport, ReportFile
from iso_tracker.celery import app
from iso_tracker.tests.smtp_sink import SmtpSink
from iso_tracker.tests.topology import OwnRedis, Supervised
from iso_tracker.tests.workers import worker_env
from notifications import tasks as notification_tasks
from notifications.models import Reminder

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to restart one of its own"),
]


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _queue(task, redis: OwnRedis, *args, **kwargs) -> None:
    with app.connection_for_write(redis.url) as connection:
        task.apply_async(args, kwargs, connection=connection)


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_a_queued_render_survives_a_redis_crash_and_the_reports_unit_makes_it(tmp_path, own_redis, province):
    report = AnnualReport.objects.create(province=province, year=2019)
    item = ReportFile.objects.create(report=report, format="pdf", data_hash="x")
    _queue(inspection_tasks.render_report_file, own_redis, item.pk)  # no worker yet: the job waits in Redis

    own_redis.crash_and_restart()  # killed, not stopped: only the append-only file keeps the job

    with Supervised("reports", tmp_path / "reports.log", worker_env(own_redis.url)):
        made = _wait(lambda: ReportFile.objects.get(pk=item.pk).status == "ready", 90)
    assert made, (tmp_path / "reports.log").read_text()[-3000:]


@pytest.mark.django_db(transaction=True)
def test_a_busy_jobs_worker_is_back_within_seconds_after_redis_restarts_and_nothing_is_lost_or_doubled(
    tmp_path, own_redis, settings, province, reminders_due
):
    expected = reminders_due.count()
    settings.REMINDER_LEASE_SECONDS = 3
    with SmtpSink(delay=0.5) as sink:
        env = worker_env(own_redis.url, **sink.env(), REMINDER_LEASE_SECONDS="3")
        with Supervised("worker", tmp_path / "worker.log", env) as worker:
            _queue(notification_tasks.deliver, own_redis)
            assert _wait(lambda: len(sink.messages) >= 1, 60), (tmp_path / "worker.log").read_text()[-3000:]
            own_redis.stop()  # restarted while the worker is busy delivering
            own_redis.start()
            restarted = time.monotonic()

            def all_sent():
                if Reminder.objects.exclude(status="sent").exists():
                    _queue(notification_tasks.deliver, own_redis)  # the schedule's next runs
                    return False
                return True

            assert _wait(all_sent, 90), (tmp_path / "worker.log").read_text()[-3000:]
            # back within seconds: either it kept running, or its unit started it again at once
            assert all(at - restarted < worker.delay + 5 for at in worker.starts[1:])
            assert worker.process.poll() is None  # running now
            # and it still takes new jobs
            item = ReportFile.objects.create(
                report=AnnualReport.objects.create(province=province, year=2019), format="xlsx", data_hash="x"
            )
            with Supervised("reports", tmp_path / "reports.log", env):
                _queue(inspection_tasks.render_report_file, own_redis, item.pk)
                assert _wait(lambda: ReportFile.objects.get(pk=item.pk).status == "ready", 60)
        time.sleep(1)  # a late duplicate would show itself
        ids = sink.message_ids()
    assert len(ids) == expected  # lost 0
    repeats = sum(Reminder.objects.values_list("repeats", flat=True))
    assert sum(ids.values()) - len(ids) <= repeats <= 1  # duplicated 0 but one cut off, and counted
