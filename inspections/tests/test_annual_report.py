"""The annual report: the same figures in the web preview, the PDF, the .xlsx and the .docx."""

import datetime
import io
import re
import subprocess

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from agencies.models import Province, User
from inspections.models import ReportFile
from inspections.reports import services
from inspections.reports.data import annual_figures, headings
from inspections.reports.render import html_to_pdf, render_bytes, render_html, safe_url_fetcher

D = datetime.date

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def dost_demo(demo, client):
    client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_pdf_has_its_vietnamese_headings_and_the_2019_figures(demo):
    figures = annual_figures(Province.objects.get(code="04"), 2019)
    text = _pdf_text(render_bytes("pdf", figures, {"assessment": "Đánh giá chung của Sở."}))
    for needle in [
        "Cao Bằng",
        "Sở Khoa học và Công nghệ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Đánh giá chung của Sở.",
        *headings(figures).values(),
        "II. Chuyển đổi sang TCVN ISO 9001:2015",
    ]:
        assert needle in text, needle
    assert (figures["total"], figures["inspected"], figures["onsite"], figures["dossier"]) == (77, 71, 25, 46)
    lines = {" ".join(line.split()) for line in text.splitlines()}
    assert "Số cơ quan được kiểm tra 71" in lines and "Kiểm tra tại trụ sở 25" in lines
    assert "Kiểm tra qua hồ sơ 46" in lines and "Công bố theo TCVN ISO 9001:2015 13" in lines


def test_xlsx_and_docx_carry_the_dashboards_figures(dost_demo):
    figures = annual_figures(Province.objects.get(code="04"), 2019)
    book = load_workbook(io.BytesIO(render_bytes("xlsx", figures, {})))
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True) if len(row) > 1}
    assert summary["Số cơ quan được kiểm tra"] == 71 and summary["Tổng số cơ quan áp dụng HTQLCL"] == 77
    assert book["Phụ lục"].max_row == 1 + 77
    document = Document(io.BytesIO(render_bytes("docx", figures, {"proposals": "Tăng cường đào tạo."})))
    cells = {
        t.rows[i].cells[0].text: t.rows[i].cells[1].text
        for t in document.tables
        for i in range(len(t.rows))
        if len(t.columns) == 2
    }
    assert cells["Số cơ quan được kiểm tra"] == "71" and cells["  Kiểm tra tại trụ sở"] == "25"
    assert any(p.text == "Tăng cường đào tạo." for p in document.paragraphs)
    page = dost_demo.get(reverse("inspections:inspections"), {"year": 2019})
    dashboard = page.context["figures"]
    assert (dashboard["inspected"], dashboard["onsite"], dashboard["dossier"]) == (
        summary["Số cơ quan được kiểm tra"],
        summary["  Kiểm tra tại trụ sở"],
        summary["  Kiểm tra qua hồ sơ"],
    )


def test_the_command_writes_the_same_document(demo, tmp_path):
    out = tmp_path / "bao-cao.xlsx"
    call_command("annual_report", "--year", "2019", "--format", "xlsx", "--output", str(out))
    rows = list(load_workbook(out)["Phụ lục"].iter_rows(values_only=True))
    figures = annual_figures(Province.objects.get(code="04"), 2019)
    assert [list(r) for r in rows[1:]] == [[c if c != "" else None for c in row] for row in figures["annex"]]
    pdf = tmp_path / "bao-cao.pdf"
    call_command("annual_report", "--year", "2019", "--format", "pdf", "--output", str(pdf))
    assert "Phụ lục: Danh sách cơ quan" in _pdf_text(pdf.read_bytes())


def test_generated_in_the_background_once_per_version_of_the_data(dost_demo):
    dost = User.objects.get(username="dost")
    dost_demo.post(
        reverse("inspections:annual_report", args=[2019]), {"assessment": "Lần một", "signer_title": "GIÁM ĐỐC"}
    )
    dost_demo.post(reverse("inspections:annual_report_generate", args=[2019]), {"format": "pdf"})
    first = ReportFile.objects.get()
    assert first.status == "queued"  # never rendered inside the request
    page = dost_demo.get(reverse("inspections:annual_report", args=[2019])).content.decode()
    # the page follows it: its list of versions looks again by itself (no meta refresh, which axe forbids)
    assert "data-refresh-while" in page and 'data-testid="in-progress"' in page
    assert 'http-equiv="refresh"' not in page
    services.render_file(first.pk)
    first.refresh_from_db()
    assert first.status == "ready" and first.size > 0
    dost_demo.post(reverse("inspections:annual_report_generate", args=[2019]), {"format": "pdf"})
    assert ReportFile.objects.count() == 1  # same data: not rendered twice
    report = first.report
    services.narrative_update(report=report, actor=dost, assessment="Lần hai")
    dost_demo.post(reverse("inspections:annual_report_generate", args=[2019]), {"format": "pdf"})
    assert ReportFile.objects.count() == 2  # new data: a new version; the old one stays
    download = dost_demo.get(first.get_absolute_url())
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert "Lần một" in _pdf_text(b"".join(download.streaming_content))


def test_an_unknown_format_gets_a_message_and_makes_nothing(dost_demo):
    response = dost_demo.post(
        reverse("inspections:annual_report_generate", args=[2019]), {"format": "odt"}, follow=True
    )
    assert response.status_code == 200
    assert "Hãy chọn PDF, Excel hoặc Word." in response.content.decode()
    assert not ReportFile.objects.exists()


def test_secretaries_and_other_provinces_get_no_province_report(demo, client):
    dost = User.objects.get(username="dost")
    report = services.report_for(province=dost.province, year=2019)
    item = services.generate(report=report, kind="xlsx", actor=dost)
    services.render_file(item.pk)
    client.force_login(User.objects.get(username="tk.skhcn"), backend="django.contrib.auth.backends.ModelBackend")
    for url in (
        reverse("inspections:annual_reports"),
        reverse("inspections:annual_report", args=[2019]),
        item.get_absolute_url(),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("inspections:annual_report_generate", args=[2019]), {"format": "pdf"}).status_code == 403
    other = Province.objects.create(code="06", name="Bắc Kạn")
    outsider = User.objects.create(username="dost-bk", role="dost", province=other)
    client.force_login(outsider, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(item.get_absolute_url()).status_code == 404
    leader = User.objects.get(username="lanhdao")
    client.force_login(leader, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(item.get_absolute_url()).status_code == 200
    assert client.post(reverse("inspections:annual_report", args=[2019]), {"assessment": "x"}).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.com/x.css",
        "data:text/css,body{}",
        "static:../../../etc/passwd",
        "static:css/../../manage.py",
    ],
)
def test_weasyprint_fetches_nothing_from_outside(url):
    fetcher = safe_url_fetcher()
    with pytest.raises(ValueError):
        fetcher(url)
    assert fetcher.refused == [url] and fetcher.served == []


def test_the_fetcher_serves_the_apps_own_stylesheet():
    fetcher = safe_url_fetcher()
    response = fetcher("static:css/report.css")
    assert b"@page" in response.read() and response.content_type == "text/css"
    assert fetcher.served == ["static:css/report.css"]


def test_a_refused_image_is_left_out_and_the_pdf_still_made(monkeypatch, caplog):
    import urllib.request

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda *a, **k: pytest.fail("WeasyPrint opened a URL"))
    fetcher = safe_url_fetcher()
    html = (
        '<html><head><link rel="stylesheet" href="static:css/report.css"></head><body><p>Nhận xét chung</p>'
        '<img src="http://example.com/x.png"><img src="file:///etc/passwd"></body></html>'
    )
    pdf = html_to_pdf(html, url_fetcher=fetcher)
    assert pdf.startswith(b"%PDF")
    assert "Nhận xét chung" in _pdf_text(pdf)
    assert fetcher.served[0] == "static:css/report.css"  # then the fonts it names, from the app's static files
    assert all(url.startswith("static:fonts/") for url in fetcher.served[1:])
    assert fetcher.refused == ["http://example.com/x.png", "file:///etc/passwd"]
    assert any("example.com/x.png" in record.getMessage() for record in caplog.records)


def test_xlsx_cells_are_text_never_formulas(province):
    from agencies.tests.factories import make_agency

    name = '=HYPERLINK("http://evil.example","Bấm vào đây")'
    make_agency(province, code="F1", name=name)
    make_agency(province, code="F2", name="@SUM(1+1)")
    make_agency(province, code="F3", name="-")  # a lone dash is no formula: it stays as it is
    figures = annual_figures(province, 2019)
    book = load_workbook(io.BytesIO(render_bytes("xlsx", figures, {})))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]
    annex = {cell.value for cell in cells if cell.parent.title == "Phụ lục"}
    assert {"'" + name, "'@SUM(1+1)", "-"} <= annex
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True) if len(row) > 1}
    assert summary["Tổng số cơ quan áp dụng HTQLCL"] == 3  # numbers stay numbers
    document = Document(io.BytesIO(render_bytes("docx", figures, {})))
    assert name in {cell.text for table in document.tables for row in table.rows for cell in row.cells}  # no formulas


def test_plan_decision_and_minutes_as_prefilled_pdfs(demo, client):
    from inspections.models import Inspection, InspectionPlan

    client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    plan = InspectionPlan.objects.get(year=2019)
    text = _pdf_text(client.get(reverse("inspections:plan_pdf", args=[plan.pk])).content)
    assert "KẾ HOẠCH" in text and "Tổng cộng" in text
    assert "Kiểm tra việc xây dựng, áp dụng, duy trì" in text and "245/QĐ-UBND" in text
    onsite = Inspection.objects.filter(year=2019, mode="onsite", findings__isnull=False).first()
    decision = _pdf_text(client.get(reverse("inspections:inspection_pdf", args=[onsite.pk, "20"])).content)
    assert "QUYẾT ĐỊNH" in decision and onsite.agency.name in " ".join(decision.split())
    minutes = _pdf_text(client.get(reverse("inspections:inspection_pdf", args=[onsite.pk, "21"])).content)
    flat = " ".join(minutes.split())
    assert "BIÊN BẢN KIỂM TRA" in flat and "TRƯỞNG ĐOÀN KIỂM TRA" in flat
    assert " ".join(onsite.findings.first().description.split()[:3]) in flat
    dossier = Inspection.objects.filter(year=2019, mode="dossier").first()
    assert client.get(reverse("inspections:inspection_pdf", args=[dossier.pk, "20"])).status_code == 404
    assert client.get(reverse("inspections:inspection_pdf", args=[onsite.pk, "19"])).status_code == 404
    # the agency's secretary gets its own minutes, not another agency's, nor the province's plan
    secretary = User.objects.get(username=f"tk.{onsite.agency.code.lower()}")
    client.force_login(secretary, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("inspections:inspection_pdf", args=[onsite.pk, "21"])).status_code == 200
    other = Inspection.objects.filter(year=2019).exclude(agency=onsite.agency).first()
    assert client.get(reverse("inspections:inspection_pdf", args=[other.pk, "21"])).status_code == 404
    assert client.get(reverse("inspections:plan_pdf", args=[plan.pk])).status_code == 403


def test_leadership_summary_pdf_with_charts(demo, client, tmp_path):
    client.force_login(User.objects.get(username="lanhdao"), backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("inspections:summary_pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = " ".join(_pdf_text(response.content).split())
    assert "TÓM TẮT" in text and "Các cơ quan chậm nhất" in text and "TCVN ISO 9001:2015" in text
    pdf = tmp_path / "tom-tat.pdf"
    pdf.write_bytes(response.content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))) in (2, 3)
    assert b"<svg" not in response.content  # the charts are drawn into the PDF, not embedded as markup
    # One source for the overdue number: the sentence, the table of agencies most behind and the findings list.
    listed = client.get(reverse("inspections:findings"), {"overdue": "on"}).context["page"].paginator.count
    stated = int(re.search(r"còn (\d+) hành động khắc phục quá hạn", text).group(1))
    table = text.split("Các cơ quan chậm nhất")[1]
    in_table = sum(int(n) for n in re.findall(r"(\d+) hành động khắc phục quá hạn", table))
    assert listed == stated > 0 and 0 < in_table <= stated  # the table shows the ten agencies most behind
    # The same numbers as the province dashboard: agencies applying, inspected this year, overdue actions.
    dashboard = client.get(reverse("qms:dashboard")).context
    assert f"Toàn tỉnh có {dashboard['total']} cơ quan áp dụng HTQLCL" in text
    cycle = dashboard["cycle"]
    assert f"đã kiểm tra {cycle['inspections']['total']} cơ quan" in text
    assert cycle["findings"]["overdue"] == stated
    client.force_login(User.objects.get(username="tk.skhcn"), backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("inspections:summary_pdf")).status_code == 403


def test_a_long_annex_is_laid_out_in_parts_with_page_numbers_carried_on(demo, monkeypatch, tmp_path):
    from inspections.reports import render

    figures = annual_figures(Province.objects.get(code="04"), 2019)
    whole = render_bytes("pdf", figures, {})
    monkeypatch.setattr(render, "ANNEX_CHUNK", 30)  # 77 agencies: the body and three annex parts
    parted = render_bytes("pdf", figures, {})
    for name, data in (("whole", whole), ("parted", parted)):
        (tmp_path / f"{name}.pdf").write_bytes(data)
    text = _pdf_text(parted)
    codes = [row[0] for row in figures["annex"] if "-" not in row[0]]  # long codes wrap inside their cell
    assert len(codes) > 40 and all(code in text for code in codes)  # every part is in the joined file
    info = subprocess.run(["pdfinfo", str(tmp_path / "parted.pdf")], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    last = subprocess.run(
        ["pdftotext", "-f", str(pages), "-l", str(pages), "-layout", str(tmp_path / "parted.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert last[0] == str(pages)  # the top of the last page carries its number across the parts
    assert text.count("Phụ lục: Danh sách cơ quan") == 1


def test_each_years_report_shows_that_years_money_and_the_total_to_date(dost_demo):
    province = Province.objects.get(code="04")
    money = {year: annual_figures(province, year) for year in (2019, 2020, 2025)}
    assert {y: (f["spent"], f["spent_to_date"]) for y, f in money.items()} == {
        2019: (325_000_000, 325_000_000),  # Decision 2323/QĐ-UBND, all signed in 2019
        2020: (0, 325_000_000),
        2025: (0, 325_000_000),
    }
    page = dost_demo.get(reverse("inspections:annual_report", args=[2020])).content.decode()
    assert "Kinh phí thuê tư vấn trong kỳ, 01/01/2020–31/12/2020 (đồng)" in page
    assert "Kinh phí thuê tư vấn lũy kế đến 31/12/2020 (đồng)" in page


def test_the_reporting_period_of_decree_09_is_a_setting_of_the_province(dost_demo):
    from django.test import Client

    from migrations_tracker.models import ConsultantContract

    province = Province.objects.get(code="04")
    agency = province.agencies.get(code="SYT")
    ConsultantContract.objects.create(
        agency=agency, consultant="Tư vấn", signed_on=D(2019, 12, 20), value_vnd=9_000_000
    )
    assert annual_figures(province, 2019)["spent"] == 334_000_000  # the calendar year
    # Leadership reads the setting and cannot change it.
    leader = Client()
    leader.force_login(User.objects.get(username="lanhdao"), backend="django.contrib.auth.backends.ModelBackend")
    assert "Năm dương lịch" in leader.get(reverse("inspections:annual_reports")).content.decode()
    assert leader.post(reverse("inspections:annual_reports"), {"reporting_period": "decree_09"}).status_code == 403
    province.refresh_from_db()
    assert province.reporting_period == "calendar"
    bad = dost_demo.post(reverse("inspections:annual_reports"), {"reporting_period": "weekly"})
    assert bad.status_code == 400 and "Hãy chọn một lựa chọn hợp lệ" in bad.content.decode()
    response = dost_demo.post(reverse("inspections:annual_reports"), {"reporting_period": "decree_09"})
    assert response.status_code == 302
    province.refresh_from_db()
    f2019, f2020 = annual_figures(province, 2019), annual_figures(province, 2020)
    assert (f2019["period_start"], f2019["as_of"], f2019["spent"]) == ("15/12/2018", "14/12/2019", 325_000_000)
    assert (f2020["period_start"], f2020["spent"], f2020["spent_to_date"]) == ("15/12/2019", 9_000_000, 334_000_000)
    assert "số liệu từ ngày 15/12/2019 đến ngày 14/12/2020" in render_html(f2020, {})


def test_leadership_makes_the_report_of_a_finished_year_without_waiting_for_dost(demo, client):
    leader = User.objects.get(username="lanhdao")
    client.force_login(leader, backend="django.contrib.auth.backends.ModelBackend")
    listing = client.get(reverse("inspections:annual_reports")).content.decode()
    assert "năm đang diễn ra: Sở KH&CN lập" in listing.split('data-testid="year-2026"')[1].split("</li>")[0]
    page = client.get(reverse("inspections:annual_report", args=[2025])).content.decode()
    assert 'name="format" value="pdf"' in page and 'data-testid="who-makes-it"' not in page
    assert 'data-testid="draft-note"' in page  # no number and signer from DOST yet: the version says DỰ THẢO
    response = client.post(reverse("inspections:annual_report_generate", args=[2025]), {"format": "pdf"})
    assert response.status_code == 302
    item = ReportFile.objects.get(report__year=2025)
    assert item.requested_by == leader and item.status == "queued"
    services.render_file(item.pk)
    page = client.get(reverse("inspections:annual_report", args=[2025])).content.decode()
    assert item.get_absolute_url() in page and f"do {leader.get_full_name()} yêu cầu" in page
    download = client.get(item.get_absolute_url())
    text = _pdf_text(b"".join(download.streaming_content))
    assert "DỰ THẢO" in text and "năm 2025" in text
    assert "bản mới nhất tạo ngày" in client.get(reverse("inspections:annual_reports")).content.decode()
    # Nothing DOST writes is open to leadership: the narrative is refused, the year still running too.
    assert client.post(reverse("inspections:annual_report", args=[2025]), {"assessment": "x"}).status_code == 403
    running = client.get(reverse("inspections:annual_report", args=[2026])).content.decode()
    assert 'data-testid="who-makes-it"' in running and 'name="format"' not in running
    assert client.post(reverse("inspections:annual_report_generate", args=[2026]), {"format": "pdf"}).status_code == 403
    assert not ReportFile.objects.filter(report__year=2026).exists()


def test_the_annual_report_page_follows_the_interface_language_and_the_documents_stay_vietnamese(dost_demo):
    dost_demo.cookies["django_language"] = "en"
    page = dost_demo.get(reverse("inspections:annual_report", args=[2019])).content.decode()
    for english in ("I. Application of the QMS in the agencies", "Agencies inspected", "Conclusion: Applied"):
        assert english in page, english
    assert "Số cơ quan được kiểm tra" not in page and "IV. Kết quả kiểm tra" not in page
    figures = annual_figures(Province.objects.get(code="04"), 2019)  # the documents' figures: Vietnamese
    text = _pdf_text(render_bytes("pdf", figures, {}))
    assert "Số cơ quan được kiểm tra" in text and "Agencies inspected" not in text
