"""Benchmark: one deployment for the whole country (issue 17) — 34 provinces of 300 agencies each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/iso_tracker .venv/bin/python bench/national.py \\
        [--provinces 34] [--agencies 300] [--seconds 30]

Each province gets the ten years of QMS history of bench/qms_dashboard.py and the year 2026 of
bench/dashboards_load.py (inspections, findings, self-reports): about 10,000 agencies in all. Measured:
- a province's dashboard and registry list (its DOST, in-process, median of 15) with that province alone in
  the database, then with all 34 (goal: ratio ≤ 1.2);
- the national dashboard under gunicorn as deployed (production settings, TLS), 8 connections of Ministry
  staff asking without pause (goal: p95 ≤ 200 ms), after one request each to count the provinces;
- the national report's PDF (every province, the annex of every agency), made as the reports worker makes
  it, in a process of its own: time and peak memory (goal: under 3 minutes and 1.5 GiB).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import analyze, figure, measure, signed_in_client, test_database

ROOT = Path(__file__).resolve().parents[1]
PROVINCE_PAGES = {"province dashboard": "/qms/", "registry list": "/agencies/"}
REPORT = """
import io, resource, time
from inspections.reports import national
started = time.perf_counter()
out = io.BytesIO()
national.render_pdf(national.figures(2026), out)
took = time.perf_counter() - started
print("REPORT", round(took, 1), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, len(out.getvalue()))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-report", action="store_true", help="leave out the national report's PDF")
    args = parser.parse_args()
    from dashboards_load import build, load, serve
    from load_test import free_port, production_env

    with test_database():
        from django.contrib.auth.hashers import PBKDF2PasswordHasher
        from django.db import connection

        from agencies.models import User
        from iso_tracker.tests.workers import database_url

        if connection.vendor != "postgresql":
            raise SystemExit("gunicorn's workers must share the database: set DATABASE_URL to PostgreSQL")
        first = build(args.agencies, code="T01", name="Tỉnh thử 1")
        analyze()
        dost = signed_in_client(User.objects.get(username=first))
        alone = {name: measure(dost, url, {}, args.repeat)[0] for name, url in PROVINCE_PAGES.items()}
        for n in range(2, args.provinces + 1):
            build(args.agencies, code=f"T{n:02d}", name=f"Tỉnh thử {n}")
        analyze()
        together = {name: measure(dost, url, {}, args.repeat)[0] for name, url in PROVINCE_PAGES.items()}
        total = User.objects.filter(role="dost").count() * args.agencies
        print(f"database: {connection.vendor}; {args.provinces} provinces × {args.agencies} agencies ≈ {total:,}")
        print(f"{'page (its DOST, in-process)':<30} {'alone ms':>9} {'with all ms':>12} {'ratio':>6}")
        for name in PROVINCE_PAGES:
            ratio = together[name] / alone[name]
            print(f"{name:<30} {alone[name]:>9.1f} {together[name]:>12.1f} {ratio:>6.2f}", flush=True)
            figure(f"{name}: with {args.provinces} provinces against alone", round(ratio, 2), 1.2, "×", agencies=total)

        hasher = PBKDF2PasswordHasher()  # what the production settings check
        hashed = hasher.encode("Tai-thu-2026!", hasher.salt())
        User.objects.create(username="bo-khcn", role=User.Role.MINISTRY, password=hashed)
        connection.close()
        work = Path(tempfile.mkdtemp(prefix="iso-national-"))
        port = free_port()
        env = production_env(port, database_url(), work)
        env.pop("REDIS_URL", None)
        collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
        subprocess.run(collect, env=env, cwd=ROOT, check=True)
        web = serve(env, work, port)
        try:
            times = load(port, "bo-khcn", args.connections, args.seconds, {"national dashboard": "/qms/national/"})
        finally:
            web.terminate()
            web.wait(timeout=30)
        values = times["national dashboard"]
        p50, p95 = statistics.median(values), statistics.quantiles(values, n=20)[-1]
        print(f"national dashboard, {args.connections} connections: {len(values)} requests", end=", ")
        print(f"p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        figure(f"national dashboard: p95 at {args.connections} connections", round(p95), 200, "ms", agencies=total)

        if args.no_report:
            return
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v0", "-c", REPORT],
            check=False,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("REPORT")), None)
        if line is None:
            raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
        _label, seconds, peak_mb, size = line.split()
        print(f"national report PDF: {seconds} s, peak {peak_mb} MB, {int(size) / 1e6:.1f} MB file")
        figure("national report PDF: time", float(seconds), 180, "s", agencies=total)
        figure("national report PDF: peak memory", int(peak_mb), 1536, "MB", agencies=total)


if __name__ == "__main__":
    main()
