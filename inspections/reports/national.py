"""The national report (issue 17): the year's figures of every province, issued by the Ministry's unit, as
PDF (Decree 30 layout, the agencies of every province in an annex laid out in parts), .xlsx (a sheet of
provinces, a sheet of every agency) and .docx; rendered on the reports queue once per version of the data.

Each province's row is its own annual report's figures (`annual_figures`, the same numbers its DOST
reports), so the national total is their sum. A province that has not closed its year (its reporting
period still running, or its annual report not issued: no number or signer) is marked, never left out or
counted as zero; one with no agency in the year (it joined later) is marked as having no data. The
Ministry's number, assessment and signer (`NationalReport`) make it final: without a number and a signer
it is a draft ("DỰ THẢO").
"""

from __future__ import annotations

import hashlib
import io

from django.template.loader import render_to_string
from django.utils import timezone

from agencies import stamps
from agencies.models import Province
from iso_tracker.spreadsheets import safe_cell, safe_row

from ..models import AnnualReport, NationalReport
from .data import annual_figures, period
from .render import Parts, _docx_font, _docx_grid, _docx_no_borders, _in_vietnamese, annexed_pdf

ISSUER_TOP = "Bộ Khoa học và Công nghệ"
ISSUER = "Ủy ban Tiêu chuẩn Đo lường Chất lượng Quốc gia"
PLACE = "Hà Nội"
# The columns of the provinces' table (PDF, Word, the first sheet), after the province's name.
COLUMNS = (
    ("total", "Số cơ quan"),
    ("mandatory", "Bắt buộc"),
    ("encouraged", "Khuyến khích"),
    ("announced", "Đã công bố"),
    ("onsite", "Kiểm tra tại trụ sở"),
    ("dossier", "Kiểm tra qua hồ sơ"),
    ("submitted", "Tự báo cáo đã nộp"),
    ("findings_total", "Phát hiện"),
    ("findings_overdue", "Quá hạn khắc phục"),
    ("spent", "Kinh phí tư vấn (đ)"),
)


def _issued(year: int) -> dict[int, bool]:
    return {
        report.province_id: bool(report.number and report.signer)
        for report in AnnualReport.objects.filter(year=year).only("province_id", "number", "signer")
    }


def province_states(year: int) -> list[tuple[Province, bool]]:
    """Every province, by name, and whether it has closed `year`: its reporting period is over and its
    annual report is issued (a number and a signer)."""
    today, issued = timezone.localdate(), _issued(year)
    return [
        (province, period(province, year)[1] < today and issued.get(province.pk, False))
        for province in Province.objects.order_by("name")
    ]


def narrative(year: int) -> dict:
    """The Ministry's part of the report of `year` (empty until it is written)."""
    return (NationalReport.objects.filter(year=year).first() or NationalReport(year=year)).narrative()


def version(year: int) -> str | None:
    """The version of the data the national report of `year` is made from (the data's tokens, each
    province's name, issuing body and period, whether its report is issued, the Ministry's text, and today,
    since a period may end): the report is made once per version. None when the database has no stamps."""
    tokens = [stamps.token(area) for area in (stamps.REGISTRY, stamps.INSPECTIONS, stamps.QMS)]
    if None in tokens:
        return None
    provinces = Province.objects.order_by("pk").values_list("pk", "name", "dost_name", "reporting_period")
    issued = sorted(_issued(year).items())
    text = sorted(narrative(year).items())
    payload = f"{year}|{'|'.join(tokens)}|{list(provinces)}|{issued}|{text}|{timezone.localdate().isoformat()}"
    return hashlib.sha256(payload.encode()).hexdigest()


def figures(year: int) -> dict:
    """Every province's row and the national total, and the agencies of every province for the annex."""
    rows, annex, headers = [], [], None
    for province, closed in province_states(year):
        own = annual_figures(province, year, language="vi")
        obligations = [total for _label, total, _then in own["by_obligation"]]  # mandatory, encouraged
        values = {
            "total": own["total"],
            "mandatory": obligations[0],
            "encouraged": obligations[1],
            "announced": sum(n for _label, n in own["announced"][:-1]),
            "onsite": own["onsite"],
            "dossier": own["dossier"],
            "submitted": own["reports"]["submitted"],
            "findings_total": own["findings_total"],
            "findings_overdue": own["findings_overdue"],
            "spent": own["spent"],
        }
        rows.append(
            {"province": province.name, "code": province.code, "closed": closed, "empty": not own["total"]}
            | {"values": [values[key] for key, _label in COLUMNS], "as_of": own["as_of"]}
        )
        headers = headers or ["Tỉnh, thành phố", *own["annex_headers"]]
        annex += [[province.name, *row] for row in own["annex"]]
    for row in rows:  # (*) figures so far, (**) no data: the province had no agency in the year
        row["mark"] = "" if row["closed"] else "(**)" if row["empty"] else "(*)"
    total = [sum(row["values"][i] for row in rows) for i in range(len(COLUMNS))]
    return {
        "year": year,
        "made_on": timezone.localdate().strftime("%d/%m/%Y"),
        "columns": [label for _key, label in COLUMNS],
        "rows": rows,
        "total": total,
        "open": [row["province"] for row in rows if not row["closed"] and not row["empty"]],
        "empty": [row["province"] for row in rows if row["empty"]],
        "n": narrative(year),
        "annex_headers": headers or ["Tỉnh, thành phố"],
        "annex": annex,
    }


def _context(national: dict) -> dict:
    rows = [row | {"cells": _cells(row)} for row in national["rows"]]
    return {
        "f": national | {"rows": rows},
        "n": national["n"],
        "notes": notes(national),
        "sections": [(heading, national["n"].get(key) or "") for heading, key in SECTIONS],
        "issuer_top": ISSUER_TOP,
        "issuer": ISSUER,
        "place": PLACE,
    }


@_in_vietnamese
def render_pdf(national: dict, out, *, parts: Parts | None = None) -> None:
    """The national report as PDF; the annex of every agency in parts when long (`annexed_pdf`)."""

    def body(annex: bool) -> str:
        return render_to_string("inspections/pdf/national_report.html", _context(national) | {"include_annex": annex})

    annexed_pdf(national, out, body, parts=parts)


@_in_vietnamese
def render_xlsx(national: dict, out) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Các tỉnh")
    sheet.append([safe_cell(f"Tình hình áp dụng HTQLCL theo TCVN ISO 9001 năm {national['year']}")])
    sheet.append(safe_row(["Tỉnh, thành phố", *national["columns"], "Đã chốt số liệu năm"]))
    for row in national["rows"]:
        state = "có" if row["closed"] else "chưa có dữ liệu" if row["empty"] else "chưa"
        sheet.append(safe_row([row["province"], *row["values"], state]))
    sheet.append(safe_row(["Toàn quốc", *national["total"], ""]))
    agencies = book.create_sheet("Các cơ quan")
    agencies.append(safe_row(national["annex_headers"]))
    for row in national["annex"]:
        agencies.append(safe_row(row))
    book.save(out)


@_in_vietnamese
def render_docx(national: dict, out) -> None:
    """The provinces' table as an A4 landscape document to edit in Word (the agencies are in the .xlsx)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    document = Document()
    _docx_font(document.styles["Normal"], 12)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(2), Cm(1.5)
    if not (national["n"].get("number") and national["n"].get("signer")):
        draft = document.add_paragraph()
        draft.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _docx_font(draft.add_run("DỰ THẢO"), 12, bold=True)
    header = document.add_table(rows=1, cols=2)
    _docx_no_borders(header)
    for cell, lines in zip(
        header.rows[0].cells,
        [
            [
                (ISSUER_TOP.upper(), False),
                (ISSUER.upper(), True),
                (f"Số: {national['n'].get('number') or '……/BC-TĐC'}", False),
            ],
            [
                ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True),
                ("Độc lập - Tự do - Hạnh phúc", True),
                (f"{PLACE}, ngày …… tháng …… năm ……", False),
            ],
        ],
        strict=True,
    ):
        for number, (text, bold) in enumerate(lines):
            paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _docx_font(paragraph.add_run(text), 12, bold=bold)
    for text, bold in (
        ("BÁO CÁO", True),
        (
            f"Tình hình áp dụng HTQLCL theo TCVN ISO 9001 tại các cơ quan hành chính nhà nước năm {national['year']}",
            True,
        ),
    ):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _docx_font(paragraph.add_run(text), 13, bold=bold)
    marked = [[f"{row['province']} {row['mark']}".strip(), *(_cells(row))] for row in national["rows"]]
    total = ["Toàn quốc", *(f"{v:,}".replace(",", ".") for v in national["total"])]
    widths = [3.6] + [2.2] * len(national["columns"])
    _docx_grid(document, [["Tỉnh, thành phố", *national["columns"]], *marked, total], widths, 10, header=True)
    for note in notes(national):
        _docx_font(document.add_paragraph().add_run(note), 11, italic=True)
    n = national["n"]
    for heading, key in SECTIONS:
        _docx_font(document.add_paragraph().add_run(heading), 13, bold=True)
        for line in (n.get(key) or "…").splitlines() or ["…"]:
            _docx_font(document.add_paragraph().add_run(line), 13)
    sign = document.add_paragraph()
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _docx_font(sign.add_run(n.get("signer_title") or "CHỦ NHIỆM"), 13, bold=True)
    if n.get("signer"):
        name = document.add_paragraph()
        name.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _docx_font(name.add_run(n["signer"]), 13, bold=True)
    document.save(out)


def _cells(row: dict) -> list[str]:
    """A province's figures as printed: "—" where it has no data for the year."""
    return ["—" if row["empty"] else f"{v:,}".replace(",", ".") for v in row["values"]]


SECTIONS = (
    ("1. Đánh giá chung", "assessment"),
    ("2. Khó khăn, vướng mắc", "difficulties"),
    ("3. Kiến nghị, đề xuất", "proposals"),
)


def notes(national: dict) -> list[str]:
    """The footnotes of the provinces' table: those marked (*) and (**)."""
    year, found = national["year"], []
    if national["open"]:
        found.append(
            f"(*) Tỉnh, thành phố chưa chốt số liệu năm {year} (kỳ báo cáo chưa kết thúc hoặc báo cáo năm chưa "
            f"ban hành): số liệu đến ngày lập báo cáo. {', '.join(national['open'])}."
        )
    if national["empty"]:
        found.append(
            f"(**) Tỉnh, thành phố chưa có dữ liệu năm {year} trên ISO Tracker (chưa có cơ quan nào trong danh "
            f"sách của năm): {', '.join(national['empty'])}."
        )
    return found


RENDERERS = {"pdf": render_pdf, "xlsx": render_xlsx, "docx": render_docx}


def render_bytes(kind: str, national: dict) -> bytes:
    buffer = io.BytesIO()
    RENDERERS[kind](national, buffer)
    return buffer.getvalue()
