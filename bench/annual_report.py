"""Benchmark: the annual report PDF (and Excel) at 77, 1,000 and 10,000 agencies — time and peak memory.

    .venv/bin/python bench/annual_report.py [--agencies 77 1000 10000]

Each size is rendered in a fresh process so that peak memory (RSS) is that of one report.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import analyze, test_database

HERE = Path(__file__).resolve().parent


def one(count: int) -> dict:
    with test_database():
        from qms_dashboard import build

        from agencies.models import Province
        from inspections.reports.data import annual_figures
        from inspections.reports.render import render_bytes

        province = Province.objects.create(code="B", name="Tỉnh thử")
        build(province, count)
        analyze()
        start = time.perf_counter()
        figures = annual_figures(province, 2026)
        data_seconds = time.perf_counter() - start
        start = time.perf_counter()
        pdf = render_bytes("pdf", figures, {})
        pdf_seconds = time.perf_counter() - start
        start = time.perf_counter()
        render_bytes("xlsx", figures, {})
        xlsx_seconds = time.perf_counter() - start
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return {
        "agencies": count,
        "data_s": round(data_seconds, 2),
        "pdf_s": round(pdf_seconds, 1),
        "xlsx_s": round(xlsx_seconds, 1),
        "pages": pages,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[77, 1000, 10000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(f"{'agencies':>9} {'figures s':>10} {'PDF s':>7} {'pages':>6} {'xlsx s':>7} {'peak MB':>8}")
    for count in args.agencies:
        out = (
            subprocess.run(
                [sys.executable, str(HERE / "annual_report.py"), "--one", str(count)],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"{r['agencies']:>9} {r['data_s']:>10} {r['pdf_s']:>7} {r['pages']:>6} {r['xlsx_s']:>7} {r['peak_mb']:>8}"
        )


if __name__ == "__main__":
    main()
