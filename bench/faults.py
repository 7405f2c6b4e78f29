"""Fault bench: the deploy topology under faults, and what each fault costs in lost, duplicated and stuck
work and in recovery time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/faults.py
        [--relay-delay 0.5] [--only cron,killed,redis,render] [--postgres-restart]

The topology of deploy/: its own PostgreSQL database (created and dropped), its own Redis configured as
deploy/redis/iso-tracker.conf configures it, an SMTP relay that records every message and takes its time
(`--relay-delay` seconds a message), and the jobs worker, the reports worker and beat started from the
systemd units' own ExecStart and restarted as their Restart=/RestartSec= say; production settings
(DEBUG off) and the production schedule and leases (delivery every 30 s, 30 s reminder lease, 45 s render
lease). The Cao Bằng demo gives about 90 reminders a run.

Faults:
- cron: `manage.py send_reminders` from cron through the slow relay while beat's delivery runs beside it;
- killed: the jobs worker killed (SIGKILL, pool included) in the middle of a delivery;
- redis: Redis restarted in the middle of a delivery;
- render: the reports worker's pool process killed in the middle of the annual report's PDF;
- postgres (`--postgres-restart`, needs pg_ctlcluster and root): PostgreSQL restarted mid-delivery.

For each: reminders, lost (never arrived), duplicated (arrived more than once, by Message-ID), counted
(repeats the jobs page shows), stuck (not sent, job runs left "running", renders not ready) and the
seconds from the fault until work resumed and until everything was done.
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iso_tracker.tests.smtp_sink import SmtpSink  # noqa: E402
from iso_tracker.tests.topology import OwnRedis, Supervised  # noqa: E402

SWEEP_DAY = "2026-11-27"  # the demo's first reminder day (an open round, deadlines near)
LIMIT = 300  # seconds a fault may take to be worked off before its work counts as stuck


def say(message: str) -> None:
    print(f"[faults] {message}", flush=True)


class Topology:
    def __init__(self, admin_url: str, relay_delay: float):
        parsed = urllib.parse.urlsplit(admin_url)
        self.db_name = f"iso_faults_{secrets.token_hex(4)}"
        self.admin_url = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
        self.database_url = urllib.parse.urlunsplit(parsed._replace(path=f"/{self.db_name}"))
        self.data = Path(tempfile.mkdtemp(prefix="iso-faults-"))
        self.redis = OwnRedis(self.data)
        self.sink = SmtpSink(delay=relay_delay)
        self.units: dict[str, Supervised] = {}

    def env(self) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "iso_tracker.settings",
            "DEBUG": "false",
            "SECRET_KEY": self.secret,
            "SEED_DEMO_PASSWORD": secrets.token_urlsafe(16),
            "ALLOWED_HOSTS": "localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "DATA_DIR": str(self.data),
            "SITE_URL": "https://iso.caobang.gov.vn",
            "SCHEDULE_REMINDERS": "0 0 1 1 *",  # the sweep is the bench's to start
            **self.sink.env(),
        }

    def __enter__(self) -> Topology:
        import psycopg

        self.secret = secrets.token_urlsafe(50)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.redis.start()
        self.sink.__enter__()
        os.environ.update(self.env())  # this process reads the same database
        for step in (["migrate", "-v0"], ["seed_demo", "--quiet-logins", "--allow-production"]):
            say(" ".join(step))
            self.manage(*step)
        import django

        django.setup()
        for name in ("worker", "reports", "beat"):
            unit = Supervised(name, self.data / f"{name}.log", self.env(), data_dir=self.data)
            self.units[name] = unit.__enter__()
        return self

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), check=check, capture_output=True, text=True
        )

    def __exit__(self, *exc) -> None:
        for unit in self.units.values():
            unit.__exit__(None, None, None)
        self.sink.__exit__(None, None, None)
        self.redis.stop()
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        shutil.rmtree(self.data, ignore_errors=True)


def fresh_reminders(topology: Topology) -> int:
    """Forget earlier runs' reminders and claim the day's again (not sent)."""
    from notifications.models import JobRun, Reminder, ReminderSettings

    Reminder.objects.all().delete()
    JobRun.objects.all().delete()
    ReminderSettings.objects.update(swept_on=None)
    with topology.sink._lock:
        topology.sink.messages.clear()
    topology.manage("send_reminders", "--date", SWEEP_DAY, "--no-delivery")
    return Reminder.objects.count()


def outcome(topology: Topology, fault_at: float, label: str) -> dict:
    """Wait until every reminder is sent (or LIMIT), then count."""
    from django.utils import timezone

    from notifications.models import JobRun, Reminder
    from notifications.services import message_id

    fault_wall = timezone.now() - datetime.timedelta(seconds=time.monotonic() - fault_at)
    # a message the relay was answering at the fault still arrives: it is not work resuming
    time.sleep(max(0.0, fault_at + topology.sink.delay + 0.5 - time.monotonic()))
    arrivals_before = len(topology.sink.messages)
    resumed = done = None
    deadline = fault_at + LIMIT
    while time.monotonic() < deadline:
        now = time.monotonic()
        if resumed is None and len(topology.sink.messages) > arrivals_before:
            resumed = now - fault_at
        if not Reminder.objects.exclude(status="sent").exists():
            done = now - fault_at
            break
        time.sleep(0.2)
    time.sleep(2)  # a late duplicate shows itself
    ids = topology.sink.message_ids()
    reminders = list(Reminder.objects.select_related("recipient"))
    expected = {message_id(r) for r in reminders if r.recipient.email}
    return {
        "fault": label,
        "reminders": len(reminders),
        "lost": len(expected - set(ids)),
        "duplicated": sum(n - 1 for n in ids.values()),
        "counted": sum(r.repeats for r in reminders),
        # not sent, or a run still "running" that beat after the fault (one that died before it shows as
        # failed on the jobs page once silent for 3 minutes: not stuck)
        "stuck": sum(r.status != "sent" for r in reminders)
        + JobRun.objects.filter(status="running", heartbeat_at__gt=fault_wall).count(),
        "resumed": resumed,
        "done": done,
    }


def wait_arrivals(topology: Topology, n: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(topology.sink.messages) < n:
        time.sleep(0.05)
    if len(topology.sink.messages) < n:
        raise SystemExit(f"no delivery started within {seconds} s; see {topology.data}/worker.log")


def fault_cron(topology: Topology) -> dict:
    from notifications.models import JobRun, Reminder, ReminderSettings
    from notifications.services import SWEEP

    Reminder.objects.all().delete()
    JobRun.objects.all().delete()
    ReminderSettings.objects.update(swept_on=None)
    with topology.sink._lock:
        topology.sink.messages.clear()
    started = time.monotonic()
    cron = subprocess.Popen(
        [sys.executable, "manage.py", "send_reminders", "--date", SWEEP_DAY],
        cwd=ROOT,
        env=topology.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while cron.poll() is None and not JobRun.objects.filter(job=SWEEP, status="done").exists():
        time.sleep(0.1)  # its sweep first, then its delivery
    result = outcome(topology, started, "cron beside beat, slow relay")
    cron.wait(timeout=LIMIT)
    result["resumed"] = None  # no fault to resume from: the time is the whole delivery
    return result


def fault_killed(topology: Topology) -> dict:
    fresh_reminders(topology)
    wait_arrivals(topology, 10)
    topology.units["worker"].kill()
    return outcome(topology, time.monotonic(), "jobs worker killed mid-delivery")


def fault_redis(topology: Topology) -> dict:
    fresh_reminders(topology)
    wait_arrivals(topology, 10)
    topology.redis.stop()
    topology.redis.start()
    return outcome(topology, time.monotonic(), "Redis restarted mid-delivery")


def fault_postgres(topology: Topology) -> dict:
    fresh_reminders(topology)
    wait_arrivals(topology, 10)
    clusters = subprocess.run(["pg_lsclusters", "-h"], check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["pg_ctlcluster", clusters[0], clusters[1], "restart"], check=True)
    from django.db import connections

    connections.close_all()
    return outcome(topology, time.monotonic(), "PostgreSQL restarted mid-delivery")


def fault_render(topology: Topology) -> dict:
    from agencies.models import User
    from inspections.models import AnnualReport, ReportFile
    from inspections.reports import services

    dost = User.objects.filter(role=User.Role.DOST).first()
    report = services.report_for(province=dost.province, year=2019)
    ReportFile.objects.filter(report__in=AnnualReport.objects.all()).delete()
    item = services.generate(report=report, kind="pdf", actor=dost)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and ReportFile.objects.get(pk=item.pk).status != "running":
        time.sleep(0.05)
    time.sleep(0.5)  # in the middle of the PDF
    for pid in topology.units["reports"].children():
        os.kill(pid, 9)
    fault_at = time.monotonic()
    done = None
    while time.monotonic() < fault_at + LIMIT:
        if ReportFile.objects.get(pk=item.pk).status == "ready":
            done = time.monotonic() - fault_at
            break
        time.sleep(0.2)
    rows = ReportFile.objects.filter(report=report, format="pdf")
    return {
        "fault": "render killed mid-PDF",
        "reminders": "",
        "lost": 0 if rows.exists() else 1,
        "duplicated": rows.count() - 1,
        "counted": "",
        "stuck": rows.exclude(status="ready").count(),
        "resumed": None,
        "done": done,
    }


FAULTS = {"cron": fault_cron, "killed": fault_killed, "redis": fault_redis, "render": fault_render}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--relay-delay", type=float, default=0.5)
    parser.add_argument("--only", default=",".join(FAULTS))
    parser.add_argument("--postgres-restart", action="store_true")
    args = parser.parse_args()
    chosen = [FAULTS[name] for name in args.only.split(",")]
    if args.postgres_restart:
        chosen.append(fault_postgres)
    admin = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not admin.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at a PostgreSQL server (the bench creates its own database)")
    results = []
    with Topology(admin, args.relay_delay) as topology:
        for fault in chosen:
            say(fault.__name__)
            results.append(fault(topology))
            say(str(results[-1]))
    seconds = lambda value: "—" if value is None else f"{value:.1f}"  # noqa: E731
    print()
    print(f"relay delay {args.relay_delay} s a message")
    print("| fault | reminders | lost | duplicated | counted as sent again | stuck | resumed after s | done after s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['fault']} | {r['reminders']} | {r['lost']} | {r['duplicated']} | {r['counted']} | {r['stuck']} "
            f"| {seconds(r['resumed'])} | {seconds(r['done'])} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
