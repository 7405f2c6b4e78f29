"""Load test of the deadline week on the production stack: gunicorn (deploy/gunicorn.conf.py, TLS
here in place of nginx), the jobs and reports workers and beat, PostgreSQL and Redis, production
settings. Locust (bench/requirements.txt) drives it on loopback for a bounded time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/load_test.py [--agencies 10000] [--secretaries 3000] [--users 8] [--minutes 2]

The data (a province of N agencies with ten years of history, as bench/qms_dashboard.py builds it,
S secretary accounts and an open reporting round) is built once into the database `iso_load` and
kept; each run starts with no self-report. Meanwhile DOST asks for the annual report PDF, which the
reports worker renders at low priority (Nice=10, as in its systemd unit). At the end every submission
the server accepted must be in the database, submitted.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
PASSWORD = "Tai-thu-2026!"  # noqa: S105  (accounts of a throw-away benchmark database)
PROVINCE = "LT"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(agencies: int, secretaries: int) -> None:
    """Runs in a child process with the load database's settings."""
    import django

    django.setup()
    import datetime

    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from agencies.models import Agency, Province, User
    from inspections.models import ReportingRound

    sys.path.insert(0, str(ROOT / "bench"))
    province = Province.objects.filter(code=PROVINCE).first()
    if province is None:
        from qms_dashboard import build as build_history

        print(f"building {agencies} agencies with ten years of history (once)", flush=True)
        province = Province.objects.create(code=PROVINCE, name="Tỉnh Thử tải")
        build_history(province, agencies)
        User.objects.create(
            username="dost", role="dost", province=province, password=make_password(PASSWORD), first_name="DOST"
        )
        today = datetime.date.today()
        ReportingRound.objects.create(
            province=province, year=today.year, opened_on=today, deadline=today + datetime.timedelta(days=7)
        )
    have = User.objects.filter(role="secretary", agency__province=province).count()
    if have < secretaries:
        hashed = make_password(PASSWORD)
        ids = list(
            Agency.objects.filter(province=province).order_by("pk").values_list("pk", flat=True)[have:secretaries]
        )
        User.objects.bulk_create(
            [
                User(username=f"tk{have + i}", role="secretary", agency_id=pk, province=province, password=hashed)
                for i, pk in enumerate(ids)
            ],
            batch_size=1000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def production_env(port: int, database_url: str, work: Path, **extra: str) -> dict[str, str]:
    """The environment of the production stack on loopback: production settings, TLS on `port` (a
    self-signed certificate standing in for nginx), data under `work`; `extra` adds variables."""
    origin = f"https://localhost:{port}"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "iso_tracker.settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost",
        "CSRF_TRUSTED_ORIGINS": origin,
        "SITE_URL": origin,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(work),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def self_signed_certificate(work: Path) -> None:
    """work/cert.pem and work/key.pem for localhost, valid a day."""
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=10000)
    parser.add_argument("--secretaries", type=int, default=3000)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--no-report", action="store_true", help="do not render the annual report meanwhile")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.agencies, args.secretaries)
        return 0

    subprocess.run([PY, "-m", "pip", "install", "-q", "-r", str(ROOT / "bench/requirements.txt")], check=True)
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parsed = urllib.parse.urlsplit(base)
    admin_url = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
    database_url = urllib.parse.urlunsplit(parsed._replace(path="/iso_load"))
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/4"
    work = Path(tempfile.mkdtemp(prefix="iso-load-"))
    port = free_port()
    host = f"https://localhost:{port}"
    # requests prefers these variables to `verify=False`; our certificate is self-signed.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(name, None)
    env = production_env(port, database_url, work, REDIS_URL=redis)
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'iso_load'").fetchone():
            conn.execute('CREATE DATABASE "iso_load"')
    subprocess.run(["redis-cli", "-u", redis, "FLUSHDB"], check=True, capture_output=True)
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    started = time.monotonic()
    subprocess.run(
        [PY, __file__, "--build", "--agencies", str(args.agencies), "--secretaries", str(args.secretaries)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    print(f"data ready in {time.monotonic() - started:.0f} s", flush=True)

    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(
            "DELETE FROM inspections_selfreport WHERE round_id IN (SELECT r.id FROM inspections_reportinground r "
            "JOIN agencies_province p ON p.id = r.province_id WHERE p.code = %s)",
            [PROVINCE],
        )
        db.execute("DELETE FROM inspections_reportfile")
        round_id = db.execute(
            "SELECT r.id FROM inspections_reportinground r JOIN agencies_province p ON p.id = r.province_id "
            "WHERE p.code = %s",
            [PROVINCE],
        ).fetchone()[0]
        accounts = db.execute(
            "SELECT u.username, u.agency_id FROM agencies_user u JOIN agencies_agency a ON a.id = u.agency_id "
            "JOIN agencies_province p ON p.id = a.province_id WHERE p.code = %s AND u.role = 'secretary' "
            "ORDER BY u.id LIMIT %s",
            [PROVINCE, args.secretaries],
        ).fetchall()
        agencies = db.execute(
            "SELECT count(*) FROM agencies_agency a JOIN agencies_province p ON p.id = a.province_id WHERE p.code = %s",
            [PROVINCE],
        ).fetchone()[0]
    (work / "secretaries.txt").write_text("".join(f"{u} {a}\n" for u, a in accounts), encoding="utf-8")
    submitted_file = work / "submitted.txt"
    submitted_file.touch()

    self_signed_certificate(work)
    venv = Path(PY).parent
    processes = {
        "web": [
            str(venv / "gunicorn"),
            "--config",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "--certfile",
            str(work / "cert.pem"),
            "--keyfile",
            str(work / "key.pem"),
            "iso_tracker.wsgi:application",
        ],
        "worker": [
            str(venv / "celery"),
            "-A",
            "iso_tracker",
            "worker",
            "--queues",
            "celery",
            "--concurrency",
            "2",
            "--hostname",
            "jobs@load",
            "--loglevel",
            "WARNING",
        ],
        "reports": [
            "nice",
            "-n",
            "10",
            str(venv / "celery"),
            "-A",
            "iso_tracker",
            "worker",
            "--queues",
            "reports",
            "--concurrency",
            "1",
            "--hostname",
            "reports@load",
            "--loglevel",
            "WARNING",
        ],
        "beat": [
            str(venv / "celery"),
            "-A",
            "iso_tracker",
            "beat",
            "--schedule",
            str(work / "beat"),
            "--loglevel",
            "WARNING",
        ],
    }
    running = {
        name: subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=open(work / f"{name}.log", "w"), stderr=subprocess.STDOUT)
        for name, cmd in processes.items()
    }
    try:
        _wait_up(port)
        subprocess.run(
            [
                *manage,
                "shell",
                "-v0",
                "-c",
                "from migrations_tracker.tasks import refresh_dashboards; refresh_dashboards()",
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )
        if not args.no_report:
            _ask_for_report(port, host)
        keys = (
            subprocess.run(
                [
                    *manage,
                    "shell",
                    "-v0",
                    "-c",
                    "from inspections.sections import SECTION_KEYS; print(','.join(SECTION_KEYS))",
                ],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        load_env = {
            **env,
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_ROUND": str(round_id),
            "LOAD_SECRETARIES": str(work / "secretaries.txt"),
            "LOAD_SUBMITTED": str(submitted_file),
            "LOAD_SECTIONS": keys,
            "LOAD_PAGES": str(max(1, agencies // 50)),
        }
        seconds = int(args.minutes * 60)
        subprocess.run(
            [
                str(venv / "locust"),
                "-f",
                str(ROOT / "bench/locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{seconds}s",
                "--host",
                host,
                "--csv",
                str(work / "load"),
                "--only-summary",
                "--stop-timeout",
                "30",
                "--loglevel",
                "WARNING",
            ],
            env=load_env,
            cwd=ROOT,
            check=False,
        )
        with psycopg.connect(database_url) as db:
            in_db = {
                r[0]
                for r in db.execute(
                    "SELECT agency_id FROM inspections_selfreport WHERE round_id = %s AND status = 'submitted'",
                    [round_id],
                ).fetchall()
            }
            report = db.execute("SELECT status, finished_at - created_at FROM inspections_reportfile").fetchall()
        accepted = [int(x) for x in submitted_file.read_text().split()]
        lost = set(accepted) - in_db
        print_table(work / "load_stats.csv", agencies, len(accounts), args.users, seconds)
        print(
            f"submissions accepted by the server: {len(accepted)}; submitted in the database: {len(in_db)}; "
            f"lost: {len(lost)}"
        )
        print(f"annual report during the run: {report or 'not asked'}")
        return 1 if lost or len(accepted) != len(in_db) else 0
    finally:
        for process in running.values():
            process.terminate()
        for process in running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_up(port: int) -> None:
    import ssl
    import urllib.request

    context = ssl._create_unverified_context()  # noqa: S323  (our own self-signed certificate on loopback)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"https://localhost:{port}/accounts/login/", context=context, timeout=5)
            return
        except Exception:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not come up")


def _ask_for_report(port: int, host: str) -> None:
    """Sign in as DOST and ask for the year's annual report PDF, as from the report page."""
    import requests
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    session = requests.Session()
    session.verify = False
    session.get(f"{host}/accounts/login/")
    token = session.cookies.get("__Host-csrftoken")
    session.post(
        f"{host}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "dost", "password": PASSWORD},
        headers={"Referer": f"{host}/accounts/login/"},
        allow_redirects=False,
    )
    year = time.localtime().tm_year
    response = session.post(
        f"{host}/inspections/reports/{year}/generate/",
        data={"csrfmiddlewaretoken": session.cookies.get("__Host-csrftoken"), "format": "pdf"},
        headers={"Referer": f"{host}/inspections/reports/{year}/"},
        allow_redirects=False,
    )
    print(f"annual report {year} asked for: {response.status_code}", flush=True)


def print_table(stats: Path, agencies: int, secretaries: int, users: int, seconds: int) -> None:
    print(f"\n{agencies:,} agencies, {secretaries:,} secretary accounts, {users} concurrent users, {seconds} s")
    print(f"{'request':<24} {'count':>7} {'fail':>5} {'req/s':>7} {'median':>7} {'p95':>6} {'p99':>6} {'max':>7}")
    with open(stats, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["Name"] if row["Name"] != "Aggregated" else "all requests"
            print(
                f"{name:<24} {row['Request Count']:>7} {row['Failure Count']:>5} {float(row['Requests/s']):>7.1f} "
                f"{row['50%']:>7} {row['95%']:>6} {row['99%']:>6} {float(row['Max Response Time']):>7.0f}"
            )


if __name__ == "__main__":
    sys.exit(main())
