"""Every figure of issue 16 in one run: pages, dashboards under load, documents and reminders at 10,000
agencies, each printed as measured / goal / ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/iso_tracker .venv/bin/python bench/scale.py [--agencies 10000]

Runs, one after the other (each builds its province of N agencies in a throw-away database, and the
smaller ones it compares with), and prints their own tables as they go:
- registry_list.py: the list side by side with a bare one-query list, and a page at N against one at 77;
- pickers.py: the forms with an agency field, whose HTML must not grow with the province;
- dashboards_load.py: the QMS dashboard and the year's inspections under gunicorn as deployed, p95 at 8
  connections;
- annual_report.py --plan: the annual report's PDF against WeasyPrint's own cost for a plain table of the
  same rows, its memory, the `annual_report` command at 77 agencies, and the plan's (Mẫu 19) memory;
- reminders.py: the daily sweep and delivery, and SQL statements an e-mail.
Then the table of every figure. About 10 minutes on a 2-core machine; PostgreSQL is needed (gunicorn's
workers share the database).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=40, help="load time of each size of the dashboards")
    parser.add_argument("--only", help="comma-separated: registry,pickers,dashboards,documents,reminders")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (gunicorn's workers share the database)")
    n = str(args.agencies)
    steps = {
        "registry": ["registry_list.py", "--agencies", n],
        "pickers": ["pickers.py", "--agencies", "77", n],
        "dashboards": ["dashboards_load.py", "--agencies", "77", n, "--seconds", str(args.seconds)],
        "documents": ["annual_report.py", "--agencies", "77", n, "--plan"],
        "reminders": ["reminders.py", "--agencies", n],
    }
    chosen = args.only.split(",") if args.only else list(steps)
    figures = Path(tempfile.mkstemp(prefix="iso-figures-", suffix=".jsonl")[1])
    env = {**os.environ, "BENCH_FIGURES": str(figures)}
    started = time.monotonic()
    failed = []
    for name in chosen:
        print(f"\n== {name}: {' '.join(steps[name])}", flush=True)
        began = time.monotonic()
        done = subprocess.run([sys.executable, str(HERE / steps[name][0]), *steps[name][1:]], env=env, check=False)
        print(f"== {name}: {time.monotonic() - began:.0f} s", flush=True)
        if done.returncode:
            failed.append(name)
    rows = [json.loads(line) for line in figures.read_text(encoding="utf-8").splitlines() if line.strip()]
    figures.unlink()
    print(f"\nissue 16, {args.agencies:,} agencies, {time.monotonic() - started:.0f} s in all")
    print(f"{'figure':<66} {'agencies':>8} {'measured':>9} {'goal':>8} {'ratio':>6}  ")
    over = 0
    for row in rows:
        measured, goal = row["measured"], row["goal"]
        ratio = goal / measured if row["at_least"] else measured / goal
        ok = ratio <= 1
        over += not ok
        sign = "≥" if row["at_least"] else "≤"
        unit = row["unit"]
        print(
            f"{row['figure']:<66} {row['agencies'] or '':>8} {measured:>8}{unit:<1} {sign}{goal:>6}{unit:<1}"
            f" {ratio:>6.2f}  {'ok' if ok else 'OVER'}"
        )
    print(f"{len(rows) - over} of {len(rows)} figures within their goal" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
