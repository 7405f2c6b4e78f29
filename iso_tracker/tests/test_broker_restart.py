"""Jobs across a Redis restart (issue 12), on a Redis server the test owns, configured as the deploy recipe
configures it (deploy/redis/iso-tracker.conf), and workers started with the systemd units' own commands
and restarted as their `Restart=` / `RestartSec=` say: no job is lost, a busy worker is back within
seconds, each reminder goes out once."""

import datetime
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from inspections import services as inspections
from inspections import tasks as inspection_tasks
from inspections.models import AnnualReport, ReportFile
from iso_tracker.celery import app
from iso_tracker.tests.smtp_sink import SmtpSink
from iso_tracker.tests.workers import database_url
from notifications import services as notifications
from notifications import tasks as notification_tasks
from notifications.models import Reminder

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy/systemd"
D = datetime.date

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to restart one of its own"),
]


class OwnRedis:
    """A redis-server of the test's own, with the deploy recipe's settings, that the test can kill."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                str(ROOT / "deploy/redis/iso-tracker.conf"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
            ],
            stdout=open(self.folder / "redis.log", "a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], check=False, capture_output=True, text=True
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError((self.folder / "redis.log").read_text())

    def stop(self, sig=signal.SIGTERM) -> None:
        self.process.send_signal(sig)
        self.process.wait(timeout=30)

    def crash_and_restart(self) -> None:
        time.sleep(1.2)  # the recipe flushes the append-only file every second
        self.stop(signal.SIGKILL)
        self.start()


@pytest.fixture
def own_redis(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = OwnRedis(tmp_path, port)
    server.start()
    yield server
    server.stop()


def unit(name: str) -> dict[str, str]:
    """The [Service] settings of a deploy unit."""
    text = (UNITS / f"iso-tracker-{name}.service").read_text()
    return dict(re.findall(r"^(\w+)=(.*)$", text, re.MULTILINE))


def unit_command(name: str) -> list[str]:
    """The unit's ExecStart, run from this checkout's virtualenv instead of /opt/iso-tracker."""
    args = shlex.split(unit(name)["ExecStart"].replace("%%", "%"))
    assert args[0] == "/opt/iso-tracker/.venv/bin/celery", args
    return [sys.executable, "-m", "celery", *args[1:]]


class Supervised:
    """A unit's command, restarted as its Restart= and RestartSec= say (what systemd does)."""

    def __init__(self, name: str, log: Path, env: dict[str, str]):
        settings = unit(name)
        assert settings["Restart"] in ("always", "on-failure"), settings
        self.delay = float(settings["RestartSec"])
        self.command, self.log, self.env = unit_command(name), log, env
        self.starts: list[float] = []
        self.exits: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=open(self.log, "a"), stderr=subprocess.STDOUT
            )
            self.starts.append(time.monotonic())
            while self.process.poll() is None and not self._stop.is_set():
                time.sleep(0.1)
            if self._stop.is_set():
                return
            self.exits.append((time.monotonic(), self.process.returncode))
            time.sleep(self.delay)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _env(redis: OwnRedis, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis.url,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "iso_tracker.test_settings",
        **extra,
    }


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

    with Supervised("reports", tmp_path / "reports.log", _env(own_redis)):
        made = _wait(lambda: ReportFile.objects.get(pk=item.pk).status == "ready", 90)
    assert made, (tmp_path / "reports.log").read_text()[-3000:]


@pytest.mark.django_db(transaction=True)
def test_a_busy_jobs_worker_is_back_within_seconds_after_redis_restarts_and_nothing_is_lost_or_doubled(
    tmp_path, own_redis, settings, province, dost, agency, secretary, leader
):
    for user in (secretary, dost, leader):
        user.email = f"{user.username}@caobang.gov.vn"
        user.save()
    inspections.round_open(province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10), actor=dost)
    notifications.run_daily(on=D(2026, 11, 27))
    expected = Reminder.objects.count()
    settings.REMINDER_LEASE_SECONDS = 3
    with SmtpSink(delay=0.5) as sink:
        env = _env(own_redis, **sink.env(), REMINDER_LEASE_SECONDS="3")
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
