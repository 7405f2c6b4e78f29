"""Benchmark: the province's dashboards under load, as deployed — p50 / p95 at 8 connections.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/iso_tracker .venv/bin/python bench/dashboards_load.py \\
        [--agencies 77 10000] [--connections 8] [--seconds 40]

For each size, a province with the QMS history of bench/qms_dashboard.py, and for the year 2026 an
inspection of every third agency (two findings each, half of them closed) and a reporting round with a
self-report from every other agency. gunicorn serves it with deploy/gunicorn.conf.py and production
settings (DEBUG off, TLS from a throw-away certificate standing in for nginx); N connections, each signed in
as DOST staff with its own keep-alive HTTPS connection, ask one after the other, without pause, for the
QMS dashboard (`/qms/`) and the year's inspections (`/inspections/?year=2026`) for the given time, after
one request of each to warm the workers. Goal (issue 16): p95 ≤ 200 ms at 8 connections and 10,000
agencies on a 2-core machine. Prints one line per page and size.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from harness import analyze, figure, test_database

ROOT = Path(__file__).resolve().parents[1]
D = datetime.date
PASSWORD = "Tai-thu-2026!"  # noqa: S105  (an account of a throw-away benchmark database)
PAGES = {"QMS dashboard": "/qms/", "inspections of the year": "/inspections/?year=2026"}


def build(count: int, code: str | None = None, name: str = "Tỉnh Thử tải"):
    """The province, its history and its year 2026; returns the DOST account's username."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from qms_dashboard import build as build_history

    from agencies.models import Agency, Province, User
    from inspections.models import Finding, Inspection, ReportingRound, SelfReport

    code = code or f"P{count}"
    province = Province.objects.create(code=code, name=name)
    build_history(province, count)
    agencies = list(Agency.objects.filter(province=province).order_by("pk"))
    Inspection.objects.bulk_create(
        (
            Inspection(
                province=province,
                agency=agency,
                year=2026,
                mode="onsite" if n % 2 else "dossier",
                start_date=D(2026, 4, 1) + datetime.timedelta(days=n % 180),
                team="Đoàn kiểm tra số 1",
            )
            for n, agency in enumerate(agencies[::3])
        ),
        batch_size=2000,
    )
    Finding.objects.bulk_create(
        (
            Finding(
                inspection=inspection,
                agency_id=inspection.agency_id,
                item=f"4.{k}",
                severity="minor",
                description="Chưa cập nhật danh mục tài liệu bên ngoài.",
                due_on=D(2026, 9, 30),
                status="closed" if k else "open",
            )
            for inspection in Inspection.objects.filter(province=province)
            for k in range(2)
        ),
        batch_size=2000,
    )
    rounds = ReportingRound.objects.create(
        province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10)
    )
    SelfReport.objects.bulk_create(
        (SelfReport(round=rounds, agency=agency, status="submitted") for agency in agencies[::2]), batch_size=2000
    )
    username = f"dost{code}"
    hasher = PBKDF2PasswordHasher()  # what the production settings check
    hashed = hasher.encode(PASSWORD, hasher.salt())
    User.objects.create(username=username, role="dost", province=province, password=hashed)
    return username


class Session:
    """One signed-in keep-alive HTTPS connection (cookies kept by hand: they are `__Host-` and Secure)."""

    def __init__(self, port: int, username: str):
        context = ssl._create_unverified_context()  # noqa: S323  (our own self-signed certificate on loopback)
        self.connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=60)
        self.cookies: dict[str, str] = {}
        self.origin = f"https://localhost:{port}"
        page = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
        status, _ = self.request("POST", "/accounts/login/", body)
        assert status == 302, f"sign-in refused ({status})"

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Referer": self.origin + path}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def get(self, path: str) -> bytes:
        status, data = self.request("GET", path)
        assert status == 200, (path, status)
        return data


def load(port: int, username: str, connections: int, seconds: float, pages=None) -> dict[str, list[float]]:
    """Each of `connections` signed in as `username`, asking for `pages` (name: path) in turn for `seconds`;
    the times of each page in ms."""
    pages = pages or PAGES
    sessions = [Session(port, username) for _ in range(connections)]
    for path in pages.values():
        for session in sessions:
            session.get(path)  # each worker's first request of the page (its caches, its templates)
    times: dict[str, list[float]] = {name: [] for name in pages}
    errors: list[str] = []
    stop_at = time.monotonic() + seconds

    def run(session: Session, offset: int) -> None:
        names = list(pages)
        n = offset
        while time.monotonic() < stop_at:
            name = names[n % len(names)]
            began = time.perf_counter()
            try:
                session.get(pages[name])
            except Exception as exc:  # counted, not fatal: the figure says how many
                errors.append(repr(exc))
                continue
            times[name].append((time.perf_counter() - began) * 1000)
            n += 1

    threads = [threading.Thread(target=run, args=(s, i)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(f"  {len(errors)} errors, the first: {errors[0]}", flush=True)
    return times


def serve(env: dict[str, str], work: Path, port: int) -> subprocess.Popen:
    from load_test import self_signed_certificate

    self_signed_certificate(work)
    command = [str(Path(sys.executable).parent / "gunicorn"), "--config", str(ROOT / "deploy/gunicorn.conf.py")]
    command += ["--certfile", str(work / "cert.pem"), "--keyfile", str(work / "key.pem")]
    command += ["iso_tracker.wsgi:application"]
    web = subprocess.Popen(command, env=env, cwd=ROOT, stdout=open(work / "web.log", "w"), stderr=subprocess.STDOUT)
    context = ssl._create_unverified_context()  # noqa: S323
    for _ in range(240):
        try:
            connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=5)
            connection.request("GET", "/accounts/login/")
            if connection.getresponse().status == 200:
                return web
        except OSError:
            pass
        time.sleep(0.5)
    web.terminate()
    raise SystemExit("gunicorn did not come up: " + (work / "web.log").read_text()[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[77, 10000])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=40)
    args = parser.parse_args()
    from load_test import free_port, production_env

    with test_database():
        from django.db import connection

        from iso_tracker.tests.workers import database_url

        if connection.vendor != "postgresql":
            raise SystemExit("gunicorn's workers must share the database: set DATABASE_URL to PostgreSQL")
        users = {count: build(count) for count in args.agencies}
        analyze()
        connection.close()
        work = Path(tempfile.mkdtemp(prefix="iso-dash-"))
        port = free_port()
        env = production_env(port, database_url(), work)
        env.pop("REDIS_URL", None)  # nothing is queued by these pages; the embedded queue is enough
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
        )
        web = serve(env, work, port)
        try:
            print(f"database: {connection.vendor}; {args.connections} connections, {args.seconds:.0f} s a size")
            print(f"{'agencies':>9} {'page':<26} {'requests':>9} {'p50 ms':>7} {'p95 ms':>7} {'goal':>6} {'ratio':>6}")
            for count, username in users.items():
                times = load(port, username, args.connections, args.seconds)
                for name, values in times.items():
                    p50 = statistics.median(values)
                    p95 = statistics.quantiles(values, n=20)[-1]
                    print(
                        f"{count:>9} {name:<26} {len(values):>9} {p50:>7.0f} {p95:>7.0f} {200:>6} {p95 / 200:>6.2f}",
                        flush=True,
                    )
                    figure(f"{name}: p95 at {args.connections} connections", round(p95), 200, "ms", agencies=count)
        finally:
            web.terminate()
            web.wait(timeout=30)


if __name__ == "__main__":
    main()
