"""The annual report as PDF (WeasyPrint), Excel (openpyxl) and Word (python-docx), from one dictionary.

WeasyPrint fetches nothing from outside: its URL fetcher serves only the app's own static files, and
refuses every other URL the way WeasyPrint expects, so that it logs and skips that one resource (a stray
image) and the document is still made. Every cell of the Excel version goes through
`iso_tracker.spreadsheets.safe_cell`, so that an agency named "=…" is text, not a formula; Word has
no formulas."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agencies.models import DEFAULT_DOST_NAME
from agencies.templatetags.iso import dotted
from iso_tracker.spreadsheets import safe_cell, safe_row

from .data import NOT_ANNOUNCED, headings

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


def _in_vietnamese(render):
    """The documents are Vietnamese, whoever asked for them and in whatever language they work."""

    @functools.wraps(render)
    def wrapper(*args, **kwargs):
        with translation.override("vi"):
            return render(*args, **kwargs)

    return wrapper


class Parts:
    """The parts of a long document, each kept in `folder` as soon as it is made (with its number of pages
    in `pages.json`), so that a render killed or stopped midway resumes where it was: a part already made
    is not made again. `on_part(done, total)` is told after each part; `before_part()` may raise to stop
    between parts (the render's time budget). `Parts.temporary` keeps them only while one render runs."""

    def __init__(self, folder: Path, total: int, on_part=None, before_part=None):
        self.folder, self.total = folder, total
        self.on_part, self.before_part = on_part, before_part
        self.folder.mkdir(parents=True, exist_ok=True)
        self.index = self.folder / "pages.json"
        self.pages: dict[str, int] = json.loads(self.index.read_text()) if self.index.exists() else {}

    def done(self) -> int:
        return len(self.pages)

    def add(self, number: int, make) -> int:
        """Part `number` (from 0): made by `make()` (a rendered document) unless it is already there; its
        number of pages."""
        name = f"{number:03d}"
        if name in self.pages and (self.folder / f"{name}.pdf").exists():
            return self.pages[name]
        if self.before_part is not None:
            self.before_part()
        document = make()
        pages = len(document.pages)
        partial = self.folder / f"{name}.part"
        document.write_pdf(partial)
        del document
        partial.replace(self.folder / f"{name}.pdf")  # a part is there whole or not at all
        self.pages[name] = pages
        self.index.write_text(json.dumps(self.pages))
        if self.on_part is not None:
            self.on_part(len(self.pages), self.total)
        return pages

    @classmethod
    @contextlib.contextmanager
    def temporary(cls, total: int):
        """Parts kept only while one render runs (a plan, a report made outside the reports worker)."""
        with tempfile.TemporaryDirectory(prefix="iso-pdf-") as folder:
            yield cls(Path(folder), total)

    def join(self, out) -> None:
        files = [str(self.folder / f"{number:03d}.pdf") for number in range(self.total)]
        if len(files) == 1:
            with open(files[0], "rb") as handle:
                shutil.copyfileobj(handle, out)
            return
        joined = self.folder / "joined.pdf"
        subprocess.run(["pdfunite", *files, str(joined)], check=True, capture_output=True)
        with open(joined, "rb") as handle:
            shutil.copyfileobj(handle, out)


def pdf_parts(figures: dict) -> int:
    """How many parts a document with an annex (the annual report, the national report) is laid out in: the
    body, then the annex in parts of ANNEX_CHUNK."""
    annex = len(figures["annex"])
    return 1 if annex <= ANNEX_CHUNK else 1 + -(-annex // ANNEX_CHUNK)


def annexed_pdf(figures: dict, out, body, *, parts: Parts | None = None) -> None:
    """A document whose body (`body(include_annex)`: its HTML) ends with the annex of `figures["annex"]`. A
    long annex is laid out in parts of ANNEX_CHUNK agencies, each written to its own file and joined
    (pdfunite), page numbers carried on, so memory stays that of one part. With `parts` (the reports
    worker), each part is kept as it is made and a render resumes where it stopped."""
    annex = figures["annex"]
    if parts is None:
        if len(annex) <= ANNEX_CHUNK:
            _document(body(True)).write_pdf(out)
            return
        with Parts.temporary(pdf_parts(figures)) as parts:
            annexed_pdf(figures, out, body, parts=parts)
        return
    if parts.total == 1:
        parts.add(0, lambda: _document(body(True)))
        parts.join(out)
        return
    next_page = 1 + parts.add(0, lambda: _document(body(False)))
    for number, start in enumerate(range(0, len(annex), ANNEX_CHUNK), start=1):

        def make(start=start, first_page=next_page):
            html = render_to_string(
                "inspections/pdf/annex_part.html",
                {
                    "f": figures,
                    "rows": annex[start : start + ANNEX_CHUNK],
                    "heading": start == 0,
                    "first_page": first_page,
                },
            )
            return _document(html)

        next_page += parts.add(number, make)
    parts.join(out)


@_in_vietnamese
def render_pdf(figures: dict, narrative: dict, out, *, parts: Parts | None = None) -> None:
    """The report as PDF, its annex in parts when long (`annexed_pdf`)."""
    annexed_pdf(figures, out, lambda annex: render_html(figures, narrative, include_annex=annex), parts=parts)


@_in_vietnamese
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


DOCX_FONT = "Times New Roman"  # the Times-metric face Word has; the PDF ships its metric twin (Liberation Serif 2)
RECIPIENTS = ["UBND tỉnh (b/c);", "Bộ Khoa học và Công nghệ;", "Lưu: VT, TĐC."]


def _docx_font(run_or_style, size: float | None = None, *, bold=None, italic=None) -> None:
    """One face for every script: Word picks the font of a run by script (ascii, hAnsi, cs, eastAsia);
    Vietnamese letters such as ế or ự are "hAnsi", so all four are set."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = DOCX_FONT
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if italic is not None:
        font.italic = italic
    properties = run_or_style.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    for script in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(script), DOCX_FONT)


def _docx_lines(cell, lines: list[tuple[str, dict]], align) -> None:
    """Fill a cell with lines, each (text, run format), centred or not."""
    cell.paragraphs[0].text = ""
    for index, (text, fmt) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = align
        paragraph.paragraph_format.space_after = 0
        _docx_font(paragraph.add_run(text), **fmt)


def _docx_no_borders(table) -> None:
    from docx.oxml.ns import qn

    borders = table._tbl.tblPr.makeelement(qn("w:tblBorders"), {})
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(borders.makeelement(qn(f"w:{edge}"), {qn("w:val"): "nil"}))
    table._tbl.tblPr.append(borders)


def _docx_repeat_header(row) -> None:
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    properties.append(properties.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
    properties.append(properties.makeelement(qn("w:cantSplit"), {qn("w:val"): "true"}))


def _docx_grid(document, rows: list[list[str]], widths_cm: list[float], size: float, header: bool = False):
    """A bordered table (Word's "Table Grid") with fixed column widths, so no word is split across lines."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    table = document.add_table(rows=0, cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for number, values in enumerate(rows):
        row = table.add_row()
        if header and number == 0:
            _docx_repeat_header(row)
        for cell, value, width in zip(row.cells, values, widths_cm, strict=True):
            cell.width = Cm(width)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = 0
            _docx_font(paragraph.add_run(str(value)), size, bold=header and number == 0)
    return table


@_in_vietnamese
def render_docx(figures: dict, narrative: dict, out) -> None:
    """The report as an A4 administrative document (Decree 30/2020/NĐ-CP) to edit in Word: issuing body,
    national motto, number, place and date, title, bordered tables, "Nơi nhận" and the signature block;
    the annex on landscape pages with its header row repeated. Not final (no number or signer): "DỰ THẢO"."""
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    center, left, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.JUSTIFY
    document = Document()
    _docx_font(document.styles["Normal"], 13)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)

    def paragraph(text: str = "", align=justify, *, size=13, bold=False, italic=False, indent=True):
        item = document.add_paragraph()
        item.alignment = align
        item.paragraph_format.space_after = Pt(4)
        if indent and align == justify:
            item.paragraph_format.first_line_indent = Cm(1)
        _docx_font(item.add_run(text), size, bold=bold, italic=italic)
        return item

    if not (narrative.get("number") and narrative.get("signer")):
        paragraph("DỰ THẢO", WD_ALIGN_PARAGRAPH.RIGHT, bold=True)
    header = document.add_table(rows=1, cols=2)
    _docx_no_borders(header)
    header.autofit = False
    for cell, width in zip(header.rows[0].cells, (6.5, 10.0), strict=True):
        cell.width = Cm(width)
    province = figures["province"]
    _docx_lines(
        header.rows[0].cells[0],
        [
            (f"UBND TỈNH {province.upper()}", {"size": 12}),
            (figures.get("issuer", DEFAULT_DOST_NAME).upper(), {"size": 12, "bold": True}),
            ("───────", {"size": 12}),
            (f"Số: {narrative.get('number') or '……/BC-SKHCN'}", {"size": 13}),
        ],
        center,
    )
    _docx_lines(
        header.rows[0].cells[1],
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"size": 12, "bold": True}),
            ("Độc lập - Tự do - Hạnh phúc", {"size": 13, "bold": True}),
            ("───────────────", {"size": 12}),
            (f"{province}, ngày …… tháng …… năm {figures['year']}", {"size": 13, "italic": True}),
        ],
        center,
    )
    paragraph("")
    paragraph("BÁO CÁO", center, size=14, bold=True)
    paragraph(
        "Kết quả áp dụng, duy trì và cải tiến Hệ thống quản lý chất lượng theo TCVN\u00a0ISO\u00a09001 "
        f"tại các cơ quan hành chính nhà nước trên địa bàn tỉnh {province} năm {figures['year']}",
        center,
        bold=True,
    )
    paragraph(
        "Thực hiện Quyết định số 19/2014/QĐ-TTg và Thông tư số 26/2014/TT-BKHCN, "
        f"{figures.get('issuer', DEFAULT_DOST_NAME)} báo cáo "
        f"Ủy ban nhân dân tỉnh kết quả năm {figures['year']} (số liệu từ ngày {figures['period_start']} đến ngày "
        f"{figures['as_of']}) như sau:"
    )
    titles = headings(figures)
    for key, rows in section_rows(figures).items():
        paragraph(titles[key], left, bold=True, indent=False)
        _docx_grid(document, [[str(label), str(dotted(value))] for label, value in rows], [12.5, 4.0], 12)
    for key in ("assessment", "difficulties", "proposals"):
        paragraph(titles[key], left, bold=True, indent=False)
        for line in (narrative.get(key) or "…").splitlines() or ["…"]:
            paragraph(line)
    paragraph("")
    signature = document.add_table(rows=1, cols=2)
    _docx_no_borders(signature)
    _docx_lines(
        signature.rows[0].cells[0],
        [("Nơi nhận:", {"size": 12, "bold": True, "italic": True}), *[(f"- {r}", {"size": 11}) for r in RECIPIENTS]],
        left,
    )
    _docx_lines(
        signature.rows[0].cells[1],
        [
            (narrative.get("signer_title") or "GIÁM ĐỐC", {"size": 13, "bold": True}),
            *[("", {"size": 13})] * 4,
            (narrative.get("signer") or "", {"size": 13, "bold": True}),
        ],
        center,
    )

    annex_section = document.add_section(WD_SECTION.NEW_PAGE)
    annex_section.orientation = WD_ORIENT.LANDSCAPE
    annex_section.page_width, annex_section.page_height = Cm(29.7), Cm(21.0)
    annex_section.top_margin, annex_section.bottom_margin = Cm(1.8), Cm(1.5)
    annex_section.left_margin, annex_section.right_margin = Cm(2), Cm(1.5)
    paragraph("PHỤ LỤC: DANH SÁCH CƠ QUAN", center, bold=True)
    headers = figures["annex_headers"]
    usable = 29.7 - 2 - 1.5
    weights = [2.0 if i == 0 else (5.0 if i == 1 else 2.4) for i in range(len(headers))]
    widths = [round(usable * w / sum(weights), 2) for w in weights]
    _docx_grid(document, [headers, *figures["annex"]], widths, 10, header=True)
    document.save(out)


def section_rows(f: dict) -> dict[str, list[tuple[str, object]]]:
    """The figures of sections I–VI as (label, value) rows in the active language, shared by the web page
    and the Excel and Word versions (rendered in Vietnamese)."""
    reports = f["reports"]
    not_announced = str(NOT_ANNOUNCED)
    return {
        "population": [
            (_("Agencies applying a QMS"), f["total"]),
            *[(f"  {k}", n) for k, n in f["by_category"]],
            *[
                row
                for k, n, announced in f.get("by_obligation", [])
                for row in [
                    (_("Where applying is %(obligation)s") % {"obligation": k.lower()}, n),
                    (_("  of which announced"), announced),
                ]
            ],
            *[(_("Reorganisations in the year: %(kind)s") % {"kind": k}, n) for k, n in f["changes"]],
        ],
        "transition": [
            *[
                (_("Announced on %(edition)s") % {"edition": k} if k != not_announced else _("Not announced"), n)
                for k, n in f["announced"]
            ],
            *[
                (prefix + _("Transitioned: %(label)s") % {"label": label}, f"{done}/{total}")
                for t in f["transitions"]
                for prefix in [
                    _("%(title)s (due %(deadline)s) — ") % {"title": t["title"], "deadline": t["deadline"]}
                    if len(f["transitions"]) > 1
                    else ""
                ]
                for label, total, done in t["rows"]
            ],
            (_("Announcement decisions in the year"), f["announcements_in_year"]),
        ],
        "reports": [
            (_("Agencies asked to report"), reports["asked"]),
            (pgettext("annual report", "Submitted"), reports["submitted"]),
            (pgettext("annual report", "Accepted"), reports["accepted"]),
            (pgettext("annual report", "Returned for completion"), reports["returned"]),
        ],
        "inspections": [
            (_("Agencies inspected"), f["inspected"]),
            (_("  Inspected on site"), f["onsite"]),
            (_("  Inspected by dossier"), f["dossier"]),
            *[(_("Conclusion: %(conclusion)s") % {"conclusion": k}, n) for k, n in f["by_conclusion"]],
        ],
        "findings": [
            (pgettext("annual report", "Nonconformities"), f["findings_total"]),
            *[(f"  {k}", n) for k, n in f["by_severity"]],
            *[(_("Status: %(status)s") % {"status": k}, n) for k, n in f["by_status"]],
            (_("Corrective action overdue"), f["findings_overdue"]),
            (_("Corrective actions not accepted"), f["actions_rejected"]),
        ],
        "money": [
            (
                _("Consultants paid in the period, %(start)s–%(end)s (VND)")
                % {"start": f["period_start"], "end": f["as_of"]},
                f["spent"],
            ),
            (_("Consultants paid to %(date)s (VND)") % {"date": f["as_of"]}, f["spent_to_date"]),
            (_("Over the spending cap"), len(f["over_cap"])),
            (_("Staff trained (attendances)"), f["trained"]),
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
