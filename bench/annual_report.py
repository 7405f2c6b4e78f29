"""Benchmark: the annual report PDF (and Excel) at 77, 1,000 and 10,000 agencies — time and peak memory,
against WeasyPrint's own cost for a plain table of the same rows on the same pages.

    .venv/bin/python bench/annual_report.py [--agencies 77 1000 10000]

Each size is rendered in a fresh process so that peak memory (RSS) is that of one report. The plain table:
every row of the report (its sections' figures, then the annex of every agency) as one bare HTML table in
the same font and the same page size, no header, no page numbers, laid out by WeasyPrint in documents of
ANNEX_CHUNK rows (one document at 10,000 agencies would need 1.7 GB); its cost per page is WeasyPrint's
own, the goal is ≤ 1.2× it. At the smallest size the `annual_report` command is also timed from the shell
(Django's start included; goal under 3 s at 77 agencies).
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import analyze, figure, test_database

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
        if count <= 1000:  # both warm (fontconfig and the font files loaded once a process), best of 3
            render_bytes("pdf", figures, {})
            plain_table(figures)
        tries = 3 if count <= 1000 else 1
        pdf_seconds = plain_seconds = float("inf")
        for _ in range(tries):
            start = time.perf_counter()
            pdf = render_bytes("pdf", figures, {})
            pdf_seconds = min(pdf_seconds, time.perf_counter() - start)
            seconds, plain_pages = plain_table(figures)
            plain_seconds = min(plain_seconds, seconds)
        start = time.perf_counter()
        render_bytes("xlsx", figures, {})
        xlsx_seconds = time.perf_counter() - start
        pages = _pages(pdf)
        command_seconds = time_command(province, 2026) if count <= 100 else None
    return {
        "plain_s": round(plain_seconds, 2),
        "plain_pages": plain_pages,
        "command_s": command_seconds and round(command_seconds, 2),
        "agencies": count,
        "data_s": round(data_seconds, 2),
        "pdf_s": round(pdf_seconds, 2),
        "xlsx_s": round(xlsx_seconds, 1),
        "pages": pages,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def one_plan(count: int) -> dict:
    """The plan (Mẫu 19) of every agency of a province of `count`, as the reports worker makes it: time, pages
    and the process's peak memory (goal under 500 MB at 10,000 agencies)."""
    with test_database():
        from agencies.models import Agency, Province
        from inspections.documents import write_plan_pdf
        from inspections.models import InspectionPlan, PlanEntry

        province = Province.objects.create(code="B", name="Tỉnh thử")
        Agency.objects.bulk_create(
            Agency(
                province=province,
                code=f"A{n:05d}",
                name=f"Phòng Văn hóa - Thông tin xã thử số {n}",
                category="commune_office",
            )
            for n in range(count)
        )
        plan = InspectionPlan.objects.create(province=province, year=2026)
        PlanEntry.objects.bulk_create(
            (
                PlanEntry(plan=plan, agency=agency, proposed_mode=mode, mode=mode, team="Đoàn kiểm tra số 1")
                for n, agency in enumerate(Agency.objects.filter(province=province))
                for mode in ["onsite" if n % 3 == 0 else "dossier"]
            ),
            batch_size=2000,
        )
        analyze()
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            start = time.perf_counter()
            write_plan_pdf(plan, handle)
            seconds = time.perf_counter() - start
            handle.flush()
            handle.seek(0)
            pages = _pages(handle.read())
    return {
        "agencies": count,
        "plan_s": round(seconds, 1),
        "plan_pages": pages,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _pages(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


PLAIN = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><style>
@font-face {{ font-family: "ISO Serif"; src: url("static:fonts/liberation-serif/LiberationSerif-Regular.ttf"); }}
@font-face {{ font-family: "ISO Serif"; font-weight: bold;
  src: url("static:fonts/liberation-serif/LiberationSerif-Bold.ttf"); }}
@page {{ size: A4 landscape; margin: 18mm 15mm 15mm 20mm; }}
body {{ font-family: "ISO Serif", serif; font-size: 10pt; }}
table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border: 0.5pt solid #000; padding: 1mm 1.5mm; vertical-align: top; }}
</style></head><body><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"""


def plain_table(figures: dict) -> tuple[float, int]:
    """WeasyPrint's own cost for the report's rows as a bare table: (seconds, pages)."""
    from html import escape

    from weasyprint import HTML

    from inspections.reports.render import ANNEX_CHUNK, STATIC_PREFIX, safe_url_fetcher, section_rows

    width = len(figures["annex_headers"])
    rows = [[label, value] + [""] * (width - 2) for rows in section_rows(figures).values() for label, value in rows]
    rows += [list(row) for row in figures["annex"]]
    head = "".join(f"<th>{escape(str(h))}</th>" for h in figures["annex_headers"])
    seconds = pages = 0
    for start in range(0, len(rows), ANNEX_CHUNK):
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
            for row in rows[start : start + ANNEX_CHUNK]
        )
        began = time.perf_counter()
        html = PLAIN.format(head=head, body=body)
        document = HTML(string=html, url_fetcher=safe_url_fetcher(), base_url=STATIC_PREFIX).render()
        document.write_pdf()
        seconds += time.perf_counter() - began
        pages += len(document.pages)
    return seconds, pages


def time_command(province, year: int) -> float:
    """`manage.py annual_report` as a DOST member would run it, in a new process (Django's start included)."""
    import os

    from django.db import connection

    from iso_tracker.tests.workers import database_url

    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "iso_tracker.settings"}
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    connection.close()
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, str(HERE.parent / "manage.py"), "annual_report", "--year", str(year)]
        command += ["--province", province.code, "--output", f"{folder}/report.pdf"]
        began = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[77, 1000, 10000])
    parser.add_argument("--plan", action="store_true", help="also the plan (Mẫu 19) at each size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-plan", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    if args.one_plan:
        print(json.dumps(one_plan(args.one_plan)))
        return
    print(
        f"{'agencies':>9} {'figures s':>10} {'PDF s':>7} {'pages':>6} {'s/page':>7} {'plain s':>8} {'pages':>6} "
        f"{'s/page':>7} {'ratio':>6} {'command s':>10} {'xlsx s':>7} {'peak MB':>8}"
    )
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
        ours, plain = r["pdf_s"] / r["pages"], r["plain_s"] / r["plain_pages"]

        figure(
            "annual report PDF: cost a page against a plain table",
            round(ours / plain, 2),
            1.2,
            "×",
            agencies=r["agencies"],
        )
        figure("annual report PDF: peak memory", r["peak_mb"], 500, "MB", agencies=r["agencies"])
        if r["command_s"]:
            figure("annual_report command (Django's start included)", r["command_s"], 3, "s", agencies=r["agencies"])
        print(
            f"{r['agencies']:>9} {r['data_s']:>10} {r['pdf_s']:>7} {r['pages']:>6} {ours:>7.3f} {r['plain_s']:>8} "
            f"{r['plain_pages']:>6} {plain:>7.3f} {ours / plain:>6.2f} {r['command_s'] or '':>10} {r['xlsx_s']:>7} "
            f"{r['peak_mb']:>8}",
            flush=True,
        )
    if args.plan:
        print(f"\n{'agencies':>9} {'plan s':>7} {'pages':>6} {'peak MB':>8}")
        for count in args.agencies:
            command = [sys.executable, str(HERE / "annual_report.py"), "--one-plan", str(count)]
            r = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
            print(f"{r['agencies']:>9} {r['plan_s']:>7} {r['plan_pages']:>6} {r['peak_mb']:>8}", flush=True)
            figure("plan PDF (Mẫu 19): peak memory", r["peak_mb"], 500, "MB", agencies=r["agencies"])


if __name__ == "__main__":
    main()
