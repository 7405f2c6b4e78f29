"""Exercise the deploy recipe on this machine, as far as it allows without systemd or nginx:
start the ExecStart commands of deploy/systemd/*.service (gunicorn, the jobs worker, the reports
worker, beat) against a real PostgreSQL and Redis, then, as a browser behind nginx would, sign in,
open pages, run a job from the jobs page, make the annual report PDF and download it, and wait for
beat to start a scheduled job on its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python deploy/smoke.py

It creates (and drops) its own database, and uses Redis database 3, emptied first.
"""

from __future__ import annotations

import datetime
import http.client
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zoneinfo
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
UNITS = ["iso-tracker-web", "iso-tracker-worker", "iso-tracker-reports", "iso-tracker-beat"]
PASSWORD = secrets.token_urlsafe(16)  # the demo's accounts get a new password in a production install


def say(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exec_start(unit: str, data_dir: Path) -> list[str]:
    """The unit's ExecStart, with the install paths mapped onto this checkout."""
    text = (ROOT / "deploy/systemd" / f"{unit}.service").read_text()
    line = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE).group(1)
    line = line.replace("/opt/iso-tracker", str(ROOT)).replace("/var/lib/iso-tracker", str(data_dir))
    line = line.replace("%%h", socket.gethostname())
    return shlex.split(line)


class Browser:
    """A browser behind nginx: HTTPS as far as Django knows (X-Forwarded-Proto), cookies kept by hand
    because they are Secure and __Host- prefixed."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://localhost:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict | None = None, referer: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": f"localhost:{self.port}", "X-Forwarded-Proto": "https", "X-Real-IP": "203.0.113.7"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            fields = {"csrfmiddlewaretoken": self.cookies.get("__Host-csrftoken", ""), **fields}
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = self.origin + (referer or path)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response, content

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict, referer: str | None = None):
        return self.request("POST", path, fields, referer)


def wait_for(what: str, check, timeout: float, processes) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode} while waiting for {what}")
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"Timed out waiting for {what}")


def main() -> int:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/3"
    parsed = urllib.parse.urlsplit(base)
    name = f"iso_smoke_{secrets.token_hex(4)}"
    admin_url = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
    database_url = urllib.parse.urlunsplit(parsed._replace(path=f"/{name}"))
    data_dir = Path(tempfile.mkdtemp(prefix="iso-smoke-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "iso_tracker.settings",
        "DEBUG": "false",
        "SEED_DEMO_PASSWORD": PASSWORD,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost",
        "CSRF_TRUSTED_ORIGINS": f"https://localhost:{port}",
        "SITE_URL": f"https://localhost:{port}",
        "USE_X_REAL_IP": "true",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "CACHE_URL": redis.rsplit("/", 1)[0] + "/4",  # the cache in a database of its own, as in production
        "DATA_DIR": str(data_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(data_dir / "mail"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        # Beat must show it schedules by itself within the test: delivery every minute.
        "SCHEDULE_DELIVERY": "* * * * *",
    }
    python = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
    processes: dict[str, subprocess.Popen] = {}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(["redis-cli", "-u", redis, "FLUSHDB"], check=True, capture_output=True)
    logs = {}
    try:
        for step in (
            ["migrate", "-v0"],
            ["collectstatic", "--noinput", "-v0"],
            ["seed_demo", "--quiet-logins", "--allow-production"],
        ):
            say("manage.py " + " ".join(step))
            subprocess.run([python, "manage.py", *step], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        for unit in UNITS:
            command = exec_start(unit, data_dir)
            say(f"{unit}: {' '.join(command)}")
            logs[unit] = open(data_dir / f"{unit}.log", "w")
            processes[unit] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[unit], stderr=subprocess.STDOUT)

        browser = Browser(port)
        wait_for("gunicorn", lambda: _up(browser), 60, processes)
        response, page = browser.get("/accounts/login/")
        assert response.status == 200, response.status
        assert "Đăng nhập" in page.decode(), "the login page is not in Vietnamese"
        policy = response.getheader("Content-Security-Policy")
        assert "'nonce-" in policy and "frame-ancestors 'none'" in policy, policy
        assert response.getheader("Strict-Transport-Security", "").startswith("max-age="), "no HSTS"
        assert "__Host-csrftoken" in browser.cookies
        static, css = browser.get("/static/css/app.css")
        assert static.status == 200 and b".app-navbar" in css, static.status
        say("login page served by gunicorn with CSP, HSTS and __Host- cookies; static file served")

        response, _ = browser.post("/accounts/login/", {"username": "dost", "password": PASSWORD})
        assert response.status == 302, f"login failed: {response.status}"
        response, page = browser.get("/qms/")
        assert response.status == 200 and "Cao Bằng" in page.decode(), response.status
        say("signed in as dost; the QMS dashboard answers")

        with psycopg.connect(database_url, autocommit=True) as db:
            response, body = browser.post(
                "/notifications/jobs/", {"job": "send_reminders"}, referer="/notifications/jobs/"
            )
            assert response.status == 302, (response.status, body.decode()[:3000])
            wait_for(
                "the reminder sweep started from the jobs page",
                lambda: db.execute(
                    "SELECT 1 FROM notifications_jobrun WHERE job = 'send_reminders' AND status = 'done' "
                    "AND triggered_by_id IS NOT NULL"
                ).fetchone(),
                120,
                processes,
            )
            say("a job queued from the web page was run by the worker")

            response, _ = browser.post("/inspections/reports/2019/generate/", {"format": "pdf"})
            assert response.status == 302, response.status
            row = wait_for(
                "the annual report PDF from the reports worker",
                lambda: db.execute(
                    "SELECT f.id FROM inspections_reportfile f WHERE f.format = 'pdf' AND f.status = 'ready'"
                ).fetchone(),
                240,
                processes,
            )
            response, pdf = browser.get(f"/inspections/reports/files/{row[0]}/")
            assert response.status == 200 and pdf.startswith(b"%PDF"), response.status
            assert "attachment" in response.getheader("Content-Disposition", "")
            say(f"the reports worker made the annual report PDF ({len(pdf):,} bytes), downloaded as an attachment")

            beat_log = data_dir / "iso-tracker-beat.log"
            wait_for(
                "beat to send the delivery job on its own (it is due every minute here)",
                lambda: "Sending due task reminders-deliver" in beat_log.read_text(),
                130,
                processes,
            )
            line = next(x for x in beat_log.read_text().splitlines() if "Sending due task reminders-deliver" in x)
            stamp = re.match(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", line).group(1)
            # Django sets the processes' local time to TIME_ZONE, so the log's times are Vietnam's.
            local = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
            sent = datetime.datetime.fromisoformat(stamp).replace(tzinfo=local) - datetime.timedelta(seconds=1)
            worker_log = data_dir / "iso-tracker-worker.log"

            def ran_after_beat() -> bool:
                # A delivery that finds nothing to send records no run: the worker's log shows it ran.
                pattern = r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d).*notifications\.tasks\.deliver\[.*succeeded"
                for x in worker_log.read_text().splitlines():
                    done = re.match(pattern, x)
                    if done and datetime.datetime.fromisoformat(done.group(1)).replace(tzinfo=local) >= sent:
                        return True
                return False

            wait_for("the worker to run the job beat sent", ran_after_beat, 60, processes)
            say("beat scheduled the delivery job and the worker ran it")
            audit = db.execute(
                "SELECT count(*) FROM audit_auditevent WHERE ip_address = '203.0.113.7' AND actor_name = 'dost'"
            ).fetchone()[0]
            assert audit >= 3, f"the audit trail should hold the client's address behind the proxy ({audit})"
            say("the audit trail holds the client's address passed by the proxy")
        say("OK")
        return 0
    finally:
        for process in processes.values():
            process.terminate()
        for unit, process in processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            logs[unit].close()
            if process.returncode not in (0, -15):
                say(f"{unit} log:\n" + (data_dir / f"{unit}.log").read_text()[-3000:])
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _up(browser: Browser) -> bool:
    try:
        response, _ = browser.get("/accounts/login/")
    except OSError:
        return False
    return response.status == 200


if __name__ == "__main__":
    sys.exit(main())
