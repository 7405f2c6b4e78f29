"""Documents a DOST signs look like what they are (Decree 30/2020/NĐ-CP): the Word report is an A4
administrative document, the plan carries the header and number of the body that issues it, the minutes
name the inspecting body, and what is not final says "DỰ THẢO"."""

import io
import subprocess

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.enum.section import WD_ORIENT

from agencies.models import Province, User
from inspections.models import AnnualReport, Inspection, InspectionPlan

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def _docx(tmp_path) -> Document:
    out = tmp_path / "bao-cao.docx"
    call_command("annual_report", "--year", "2019", "--format", "docx", "--output", str(out))
    return Document(io.BytesIO(out.read_bytes()))


def _all_text(document: Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_the_word_report_is_an_a4_administrative_document(demo, tmp_path):
    document = _docx(tmp_path)
    body, annex = document.sections[0], document.sections[-1]
    assert (round(body.page_width.cm, 1), round(body.page_height.cm, 1)) == (21.0, 29.7)
    assert body.orientation == WD_ORIENT.PORTRAIT and annex.orientation == WD_ORIENT.LANDSCAPE
    assert (round(annex.page_width.cm, 1), round(annex.page_height.cm, 1)) == (29.7, 21.0)
    text = _all_text(document)
    for expected in (
        "UBND TỈNH CAO BẰNG",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: ……/BC-SKHCN",
        "Cao Bằng, ngày …… tháng …… năm 2019",
        "BÁO CÁO",
        "Nơi nhận:",
        "GIÁM ĐỐC",
        "PHỤ LỤC: DANH SÁCH CƠ QUAN",
    ):
        assert expected in text, expected
    assert document.paragraphs[0].text == "DỰ THẢO", "no number, no signer: a draft"
    grids = [t for t in document.tables if t.style.name == "Table Grid"]
    assert len(grids) >= 7, "every table of figures and the annex are bordered"
    annex_table = document.tables[-1]
    assert annex_table.rows[0].cells[1].text == "Tên cơ quan" and len(annex_table.rows) == 78  # header + 77
    header_row = annex_table.rows[0]._tr.trPr
    assert header_row is not None and "tblHeader" in header_row.xml, "the annex header repeats on every page"
    fonts = {run.font.name for p in document.paragraphs for run in p.runs if run.text.strip()}
    assert fonts == {"Times New Roman"}


def test_a_numbered_and_signed_report_is_no_draft(demo, tmp_path):
    AnnualReport.objects.update_or_create(
        province=Province.objects.get(code="04"),
        year=2019,
        defaults={"number": "15/BC-SKHCN", "signer": "Nguyễn Văn A", "signer_title": "GIÁM ĐỐC"},
    )
    document = _docx(tmp_path)
    text = _all_text(document)
    assert "DỰ THẢO" not in text and "Số: 15/BC-SKHCN" in text and "Nguyễn Văn A" in text
    pdf = tmp_path / "bao-cao.pdf"
    call_command("annual_report", "--year", "2019", "--format", "pdf", "--output", str(pdf))
    assert "DỰ THẢO" not in _text(pdf.read_bytes())


def test_the_annual_report_pdf_of_a_draft_says_so(demo, tmp_path):
    pdf = tmp_path / "bao-cao.pdf"
    call_command("annual_report", "--year", "2019", "--format", "pdf", "--output", str(pdf))
    text = _text(pdf.read_bytes())
    assert "DỰ THẢO" in text
    assert "TCVN ISO 9001" in text, "the standard's name is never split across lines"


def test_the_plan_is_the_peoples_committees_and_a_plan_not_approved_is_a_draft(demo, settings):
    settings.PLAN_PDF_INLINE_MAX = 1000
    dost = _client("dost")
    plan = InspectionPlan.objects.get(province__code="04", year=2019)
    text = _text(dost.get(reverse("inspections:plan_pdf", args=[plan.pk])).content)
    head = text.split("KẾ HOẠCH")[0]
    assert "ỦY BAN NHÂN DÂN" in head and "TỈNH CAO BẰNG" in head and "SỞ KHOA HỌC" not in head.upper()
    assert "Số: 245/QĐ-UBND" not in text, "the approving decision's number is not the plan's own"
    assert "Kèm theo Quyết định số 245/QĐ-UBND ngày 20/02/2019 của Ủy ban nhân dân tỉnh Cao Bằng" in " ".join(
        text.split()
    )
    assert "DỰ THẢO" not in text and "TCVN ISO 9001" in text
    plan.approval_decision, plan.approved_on = "", None
    plan.save()
    draft = _text(dost.get(reverse("inspections:plan_pdf", args=[plan.pk])).content)
    assert "DỰ THẢO" in draft and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in draft and "……/KH-SKHCN" in draft
    assert "QĐ-UBND" not in draft.split("KẾ HOẠCH")[0]


def test_the_minutes_name_the_inspecting_body(demo):
    inspection = Inspection.objects.filter(agency__province__code="04", mode="onsite").first()
    text = _text(_client("dost").get(reverse("inspections:inspection_pdf", args=[inspection.pk, "21"])).content)
    head = text.split("BIÊN BẢN KIỂM TRA")[0]
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in head and "ĐOÀN KIỂM TRA" in head
    assert "Số:" not in head
