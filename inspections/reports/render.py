"""The annual report as PDF (WeasyPrint), Excel (openpyxl) and Word (python-docx), from one dictionary.

WeasyPrint fetches nothing from outside: its URL fetcher serves only the app's own static files, and
refuses every other URL the way WeasyPrint expects, so that it logs and skips that one resource (a stray
image) and the document is still made. Every cell of the Excel version goes through
`iso_tracker.spreadsheets.safe_cell`, so that an agency named "=…" is text, not a formula; Word has
no formulas."""

from __future__ import annotations

import functools
import io
import logging
import subprocess
import tempfile
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation

from agencies.templatetags.iso import dotted
from iso_tracker.spreadsheets import safe_cell, safe_row

from .data import headings

STATIC_PREFIX = "static:"
logger = logging.getLogger(__name__)


MIME = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


class URLRefused(ValueError):
    """WeasyPrint asked for something other than one of the app's own static files."""


def _static_file(url: str) -> Path:
    """The file `static:<path>` names among the app's static files; URLRefused for any other URL."""
    if not url.startswith(STATIC_PREFIX):
        raise URLRefused(f"WeasyPrint may not fetch {url!r}")
    try:
        found = finders.find(url[len(STATIC_PREFIX) :].lstrip("/"))
    except SuspiciousFileOperation as exc:  # a path that climbs out of the static folders
        raise URLRefused(f"WeasyPrint may not fetch {url!r}") from exc
    if not found or Path(found).suffix not in MIME:
        raise URLRefused(f"no static file {url!r}")
    return Path(found)


@functools.cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        """WeasyPrint 70's URL fetcher, narrowed to `static:<path>`. Any other URL (file:, http:, data:…)
        raises URLRefused, which WeasyPrint logs before it skips that resource (fail_on_errors off);
        nothing is ever opened. `served` and `refused` list what it was asked for."""

        def __init__(self):
            super().__init__(allowed_protocols=(), fail_on_errors=False)
            self.served: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            try:
                path = _static_file(url)
            except URLRefused:
                self.refused.append(url)
                logger.warning("The PDF leaves out %s: only the app's static files are fetched.", url[:200])
                raise
            self.served.append(url)
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": MIME[path.suffix]})

    return StaticFilesFetcher


def safe_url_fetcher():
    """A new URL fetcher for one document: serves the app's static files, refuses everything else."""
    return _fetcher_class()()


ANNEX_CHUNK = 1500  # agencies an annex part holds: bounds the memory WeasyPrint keeps for laying out pages


def render_html(figures: dict, narrative: dict, *, include_annex: bool = True) -> str:
    with translation.override("vi"):
        return render_to_string(
            "inspections/pdf/annual_report.html",
            {
                "f": figures,
                "n": narrative,
                "headings": headings(figures),
                "rows": section_rows(figures),
                "include_annex": include_annex,
            },
        )


def _document(html: str, url_fetcher=None):
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=url_fetcher or safe_url_fetcher(), base_url=STATIC_PREFIX).render()


def html_to_pdf(html: str, *, url_fetcher=None) -> bytes:
    """`html` as PDF; its resources come through `url_fetcher` (a new safe_url_fetcher() unless given)."""
    return _document(html, url_fetcher).write_pdf()


def render_pdf(figures: dict, narrative: dict, out) -> None:
    """The report as PDF. A long annex is laid out in parts of ANNEX_CHUNK agencies, each written to its
    own file and joined (pdfunite), page numbers carried on, so memory stays that of one part."""
    annex = figures["annex"]
    if len(annex) <= ANNEX_CHUNK:
        _document(render_html(figures, narrative)).write_pdf(out)
        return
    with tempfile.TemporaryDirectory(prefix="iso-report-") as folder:
        parts, next_page = [], 1
        body = _document(render_html(figures, narrative, include_annex=False))
        next_page += len(body.pages)
        parts.append(Path(folder) / "000.pdf")
        body.write_pdf(parts[-1])
        del body
        for number, start in enumerate(range(0, len(annex), ANNEX_CHUNK), start=1):
            with translation.override("vi"):
                html = render_to_string(
                    "inspections/pdf/annex_part.html",
                    {
                        "f": figures,
                        "rows": annex[start : start + ANNEX_CHUNK],
                        "heading": start == 0,
                        "first_page": next_page,
                    },
                )
            part = _document(html)
            next_page += len(part.pages)
            parts.append(Path(folder) / f"{number:03d}.pdf")
            part.write_pdf(parts[-1])
            del part
        joined = Path(folder) / "report.pdf"
        subprocess.run(["pdfunite", *map(str, parts), str(joined)], check=True, capture_output=True)
        out.write(joined.read_bytes())


def render_xlsx(figures: dict, narrative: dict, out) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = book.create_sheet("Tổng hợp")
    summary.append([safe_cell(f"Báo cáo kết quả áp dụng HTQLCL năm {figures['year']}: {figures['province']}")])
    titles = headings(figures)
    for key, rows in section_rows(figures).items():
        summary.append([safe_cell(titles[key])])
        for label, value in rows:
            summary.append(safe_row([label, value]))
    annex = book.create_sheet("Phụ lục")
    annex.append(safe_row(figures["annex_headers"]))
    for row in figures["annex"]:
        annex.append(safe_row(row))
    book.save(out)


def render_docx(figures: dict, narrative: dict, out) -> None:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    document.add_paragraph(
        f"UBND TỈNH {figures['province'].upper()}\nSỞ KHOA HỌC VÀ CÔNG NGHỆ\nSố: {narrative.get('number') or '…'}"
    )
    document.add_heading(f"BÁO CÁO\nKết quả áp dụng, duy trì HTQLCL theo TCVN ISO 9001 năm {figures['year']}", level=1)
    titles = headings(figures)
    for key, rows in section_rows(figures).items():
        document.add_heading(titles[key], level=2)
        table = document.add_table(rows=0, cols=2)
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = str(label), str(dotted(value))
    for key in ("assessment", "difficulties", "proposals"):
        document.add_heading(titles[key], level=2)
        document.add_paragraph(narrative.get(key) or "")
    document.add_heading("Phụ lục: Danh sách cơ quan", level=2)
    annex = document.add_table(rows=1, cols=len(figures["annex_headers"]))
    for cell, header in zip(annex.rows[0].cells, figures["annex_headers"], strict=True):
        cell.text = header
    for row in figures["annex"]:
        for cell, value in zip(annex.add_row().cells, row, strict=True):
            cell.text = str(value)
    document.save(out)


def section_rows(f: dict) -> dict[str, list[tuple[str, object]]]:
    """The figures of sections I–VI as (label, value) rows, shared by the Excel and Word versions."""
    reports = f["reports"]
    return {
        "population": [
            ("Tổng số cơ quan áp dụng HTQLCL", f["total"]),
            *[(f"  {k}", n) for k, n in f["by_category"]],
            *[
                row
                for k, n, announced in f.get("by_obligation", [])
                for row in [(f"Thuộc diện {k.lower()} áp dụng", n), ("  trong đó đã công bố", announced)]
            ],
            *[(f"Sắp xếp tổ chức trong năm: {k}", n) for k, n in f["changes"]],
        ],
        "transition": [
            *[(f"Công bố theo {k}" if k != "chưa công bố" else "Chưa công bố", n) for k, n in f["announced"]],
            *[
                (f"{prefix}Đã chuyển đổi: {label}", f"{done}/{total}")
                for t in f["transitions"]
                for prefix in [f"{t['title']} (hạn {t['deadline']}) — " if len(f["transitions"]) > 1 else ""]
                for label, total, done in t["rows"]
            ],
            ("Quyết định công bố trong năm", f["announcements_in_year"]),
        ],
        "reports": [
            ("Số cơ quan phải báo cáo", reports["asked"]),
            ("Đã nộp", reports["submitted"]),
            ("Được chấp nhận", reports["accepted"]),
            ("Trả lại để bổ sung", reports["returned"]),
        ],
        "inspections": [
            ("Số cơ quan được kiểm tra", f["inspected"]),
            ("  Kiểm tra tại trụ sở", f["onsite"]),
            ("  Kiểm tra qua hồ sơ", f["dossier"]),
            *[(f"Kết luận: {k}", n) for k, n in f["by_conclusion"]],
        ],
        "findings": [
            ("Số điểm không phù hợp", f["findings_total"]),
            *[(f"  {k}", n) for k, n in f["by_severity"]],
            *[(f"Tình trạng: {k}", n) for k, n in f["by_status"]],
            ("Quá hạn khắc phục", f["findings_overdue"]),
            ("Hành động khắc phục không được chấp nhận", f["actions_rejected"]),
        ],
        "money": [
            (f"Kinh phí thuê tư vấn trong kỳ, {f['period_start']}–{f['as_of']} (đồng)", f["spent"]),
            (f"Kinh phí thuê tư vấn lũy kế đến {f['as_of']} (đồng)", f["spent_to_date"]),
            ("Vượt mức chi tối đa", len(f["over_cap"])),
            ("Lượt cán bộ được đào tạo", f["trained"]),
        ],
    }


RENDERERS = {"pdf": render_pdf, "xlsx": render_xlsx, "docx": render_docx}


def render_bytes(kind: str, figures: dict, narrative: dict) -> bytes:
    buffer = io.BytesIO()
    RENDERERS[kind](figures, narrative, buffer)
    return buffer.getvalue()


def render_template_pdf(template: str, context: dict) -> bytes:
    """A short document (a plan, a decision, minutes) from its template, with the same print CSS."""
    with translation.override("vi"):
        html = render_to_string(template, context)
    return html_to_pdf(html)
