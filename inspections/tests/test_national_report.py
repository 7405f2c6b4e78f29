"""Issue 17: the national report — every province's own annual figures summed, provinces that have not
closed their year marked; PDF, .xlsx and .docx on the reports queue, once per version; the Ministry's."""

import io
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from agencies.models import Category, Province, User
from agencies.tests.factories import make_agency, make_user
from inspections.models import AnnualReport, NationalReport, ReportFile
from inspections.reports import national, services
from inspections.reports.data import annual_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_provinces(demo):
    bac_kan = Province.objects.create(code="06", name="Bắc Kạn")
    for n in range(3):
        make_agency(bac_kan, code=f"BK{n}", name=f"Sở thử {n} Bắc Kạn", category=Category.PROVINCIAL_AGENCY)
    # Cao Bằng issued its 2019 report (number and signer); Bắc Kạn did not
    AnnualReport.objects.update_or_create(
        province=Province.objects.get(code="04"), year=2019, defaults={"number": "12/BC-SKHCN", "signer": "Nông Văn A"}
    )
    return bac_kan


@pytest.fixture
def ministry(demo):
    client = Client()
    client.force_login(make_user("bo-khcn", User.Role.MINISTRY), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_figures_are_each_province_s_own_annual_figures_summed(two_provinces):
    figures = national.figures(2019)
    by_code = {row["code"]: row for row in figures["rows"]}
    for code in ("04", "06"):
        own = annual_figures(Province.objects.get(code=code), 2019)
        values = dict(zip([key for key, _label in national.COLUMNS], by_code[code]["values"], strict=True))
        assert values["total"] == own["total"] and values["onsite"] == own["onsite"]
        assert values["findings_total"] == own["findings_total"] and values["spent"] == own["spent"]
    assert by_code["04"]["values"][0] == 77  # the 2019 registry (seed facts)
    assert figures["total"] == [a + b for a, b in zip(by_code["04"]["values"], by_code["06"]["values"], strict=True)]
    assert by_code["04"]["closed"] and not by_code["06"]["closed"] and figures["open"] == ["Bắc Kạn"]
    assert len(figures["annex"]) == 77 + 3 and figures["annex_headers"][0] == "Tỉnh, thành phố"


def test_ministry_staff_make_each_format_once_per_version_and_download_it(two_provinces, ministry):
    url = reverse("qms:national_report", args=[2019])
    page = ministry.get(url).content.decode()
    assert 'data-closed="yes"' in page.split('data-testid="closed-04"')[1].split(">")[0]
    assert 'data-closed="no"' in page.split('data-testid="closed-06"')[1].split(">")[0]
    for kind in ("pdf", "xlsx", "docx"):
        assert ministry.post(url, {"format": kind}).status_code == 302
    assert ministry.post(url, {"format": "pdf"}).status_code == 302
    assert ReportFile.objects.filter(national_year=2019).count() == 3, "the same version is made once"
    for item in ReportFile.objects.filter(national_year=2019):
        services.render_file(item.pk)
    files = {f.format: f for f in ReportFile.objects.filter(national_year=2019)}
    assert {f.status for f in files.values()} == {"ready"}

    pdf = b"".join(ministry.get(reverse("inspections:report_file", args=[files["pdf"].pk])).streaming_content)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "ỦY BAN TIÊU CHUẨN ĐO LƯỜNG CHẤT LƯỢNG\nQUỐC GIA" in text and "Bắc Kạn" in text and "Toàn quốc" in text
    assert "(*)" in text and "Phụ lục" in text

    xlsx = b"".join(ministry.get(reverse("inspections:report_file", args=[files["xlsx"].pk])).streaming_content)
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["Các tỉnh", "Các cơ quan"]
    assert book["Các cơ quan"].max_row == 1 + 77 + 3
    rows = {r[0]: r for r in book["Các tỉnh"].iter_rows(values_only=True) if r and r[0]}
    assert rows["Cao Bằng"][1] == 77 and rows["Bắc Kạn"][-1] == "chưa" and rows["Toàn quốc"][1] == 80

    docx = b"".join(ministry.get(reverse("inspections:report_file", args=[files["docx"].pk])).streaming_content)
    from docx import Document

    words = "\n".join(
        cell.text for table in Document(io.BytesIO(docx)).tables for row in table.rows for cell in row.cells
    )
    assert "Bắc Kạn (*)" in words and "Toàn quốc" in words


def test_a_province_s_staff_neither_make_nor_download_it(two_provinces, ministry):
    url = reverse("qms:national_report", args=[2019])
    ministry.post(url, {"format": "xlsx"})
    item = ReportFile.objects.get(national_year=2019)
    services.render_file(item.pk)
    for username in ("dost", "lanhdao", "tk.skhcn"):
        client = Client()
        client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(url).status_code == 403
        assert client.post(url, {"format": "pdf"}).status_code == 403
        assert client.get(reverse("inspections:report_file", args=[item.pk])).status_code in (403, 404)
    assert ReportFile.objects.filter(national_year=2019).count() == 1
    assert ministry.post(url, {"format": "exe"}).status_code == 302  # refused with a message, nothing queued
    assert ReportFile.objects.filter(national_year=2019).count() == 1


def test_a_province_with_no_agency_in_the_year_is_marked_as_having_no_data(two_provinces):
    import datetime

    lang_son = Province.objects.create(code="20", name="Lạng Sơn")
    make_agency(lang_son, code="LS1", name="Sở thử Lạng Sơn", established_on=datetime.date(2026, 3, 1))
    figures = national.figures(2019)
    row = next(row for row in figures["rows"] if row["code"] == "20")
    assert row["empty"] and row["mark"] == "(**)" and figures["empty"] == ["Lạng Sơn"]
    assert figures["open"] == ["Bắc Kạn"], "a province with no data is not one with figures so far"
    pdf = io.BytesIO()
    national.render_pdf(figures, pdf)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.getvalue(), capture_output=True, check=True).stdout
    text = " ".join(text.decode().split())
    assert "Lạng Sơn (**)" in text and "chưa có dữ liệu năm 2019" in text
    assert "Bắc Kạn (*)" in text


def test_the_ministry_s_number_and_signer_make_the_report_final(two_provinces, ministry):
    url = reverse("qms:national_report", args=[2019])
    from docx import Document

    draft = Document(io.BytesIO(national.render_bytes("docx", national.figures(2019))))
    assert "DỰ THẢO" in "\n".join(p.text for p in draft.paragraphs)
    before = national.version(2019)
    page = ministry.get(url).content.decode()
    assert 'value="CHỦ NHIỆM"' in page and "DỰ THẢO" in page.split('data-testid="national-final"')[1][:200]
    typed = {"number": "", "assessment": "Các tỉnh đã áp dụng.", "signer": "Nguyễn Văn B", "signer_title": "CHỦ NHIỆM"}
    typed["signer_title"] = "x" * 200  # too long: the form comes back with a message and what was typed
    refused = ministry.post(url, typed, HTTP_ACCEPT_LANGUAGE="vi")
    assert refused.status_code == 400 and "Các tỉnh đã áp dụng." in refused.content.decode()
    assert not NationalReport.objects.exists()
    typed |= {"number": "45/BC-TĐC", "signer_title": "CHỦ NHIỆM"}
    assert ministry.post(url, typed).status_code == 302
    assert NationalReport.objects.get(year=2019).number == "45/BC-TĐC"
    assert national.version(2019) != before, "the Ministry's text is part of the version"
    assert 'data-testid="national-final"' in ministry.get(url).content.decode()

    pdf = io.BytesIO()
    national.render_pdf(national.figures(2019), pdf)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.getvalue(), capture_output=True, check=True).stdout
    text = text.decode()
    assert "Số: 45/BC-TĐC" in text and "Nguyễn Văn B" in text and "Các tỉnh đã áp dụng." in text
    assert "DỰ THẢO" not in text

    document = Document(io.BytesIO(national.render_bytes("docx", national.figures(2019))))
    words = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "DỰ THẢO" not in words and "Nguyễn Văn B" in words and "Số: 45/BC-TĐC" in cells

    for username in ("dost", "lanhdao", "tk.skhcn"):  # a province's staff never write it
        client = Client()
        client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
        assert client.post(url, typed | {"number": "1/X"}).status_code == 403
    assert NationalReport.objects.get(year=2019).number == "45/BC-TĐC"
