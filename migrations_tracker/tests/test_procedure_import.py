"""The procedure import (open to secretaries) within bounds: size, rows, control characters (issue 11)."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook

from agencies import registry_io
from migrations_tracker.models import AdministrativeProcedure

pytestmark = pytest.mark.django_db

HEADER = "Mã thủ tục,Tên thủ tục,Lĩnh vực\n"


def _upload(client, agency, name: str, content: bytes):
    return client.post(reverse("qms:procedure_import", args=[agency.pk]), {"file": SimpleUploadedFile(name, content)})


def _errors(response) -> list[tuple]:
    return [(e.row, e.column, e.message) for e in response.context["result"].errors]


def _procedures(n: int) -> str:
    return "".join(f"TT{i:05d},Thủ tục số {i},Môi trường\n" for i in range(n))


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_nul_byte_in_a_cell_is_a_row_error_and_nothing_is_saved(secretary_client, agency):
    content = HEADER + "TT01,Cấp giấy phép,Môi trường\nTT02,Thẩm\x00định,Môi trường\n"
    response = _upload(secretary_client, agency, "tt.csv", content.encode())
    assert response.status_code == 400
    with translation.override("vi"):
        message = gettext("The cell holds a control character (%(code)s) that cannot be saved; remove it.")
    assert _errors(response) == [(3, "Tên thủ tục", message % {"code": "U+0000"})]
    assert not AdministrativeProcedure.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(secretary_client, agency, settings, monkeypatch):
    settings.IMPORT_MAX_MB = 1
    monkeypatch.setattr(csv, "reader", lambda *a, **k: pytest.fail("an oversized file was parsed"))
    valid = (HEADER + _procedures(1)).encode()
    response = _upload(secretary_client, agency, "tt.csv", valid + b"\n" * (1024 * 1024 - len(valid) + 1))
    assert response.status_code == 400 and response.context["result"] is None  # refused by the form: never read
    assert response.context["form"].errors["file"] == ["Tệp lớn hơn 1 MB."]
    assert not AdministrativeProcedure.objects.exists()


def test_the_row_limit_stops_the_reading_at_the_first_row_beyond_it(secretary_client, agency, monkeypatch):
    monkeypatch.setattr(registry_io, "MAX_IMPORT_ROWS", 50)
    # Bytes that are not UTF-8 after 2,000 rows: a reader that went on past row 51 would stop on them.
    content = (HEADER + _procedures(2000)).encode() + b"\xff\xfe"
    response = _upload(secretary_client, agency, "tt.csv", content)
    assert response.status_code == 400
    assert _errors(response) == [(1, "", "Tệp có nhiều hơn 50 dòng.")]
    xlsx = _xlsx([["Mã thủ tục", "Tên thủ tục"], *[[f"TT{i}", f"Thủ tục {i}"] for i in range(51)]])
    assert _errors(_upload(secretary_client, agency, "tt.xlsx", xlsx)) == [(1, "", "Tệp có nhiều hơn 50 dòng.")]
    assert not AdministrativeProcedure.objects.exists()
    response = _upload(secretary_client, agency, "tt.csv", (HEADER + _procedures(50)).encode())
    assert response.status_code == 200 and len(response.context["plan"].new) == 50  # the limit itself is allowed
    confirmed = secretary_client.post(
        reverse("qms:procedure_import", args=[agency.pk]), {"confirm": response.context["digest"]}
    )
    assert confirmed.status_code == 302 and agency.procedures.count() == 50


def test_a_workbook_of_a_million_rows_is_refused_at_the_limit(secretary_client, agency, monkeypatch):
    monkeypatch.setattr(registry_io, "MAX_IMPORT_ROWS", 50)
    source = zipfile.ZipFile(io.BytesIO(_xlsx([["Mã thủ tục", "Tên thủ tục"]])))
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="A1:B2"/><sheetData>' + b"<row><c><v>1</v><v>2</v></c></row>" * 1_000_000 + b"</sheetData>"
        b"</worksheet>"
    )  # its <dimension> says two rows
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, sheet if item.filename.endswith("sheet1.xml") else source.read(item))
    assert len(out.getvalue()) < 500_000
    response = _upload(secretary_client, agency, "tt.xlsx", out.getvalue())
    assert _errors(response) == [(1, "", "Tệp có nhiều hơn 50 dòng.")]


def test_a_missing_code_or_name_is_named_as_a_procedures(secretary_client, agency):
    response = _upload(secretary_client, agency, "tt.csv", (HEADER + ",Cấp giấy phép,Y tế\nTT-2,,Y tế\n").encode())
    assert response.status_code == 400
    assert _errors(response) == [
        (2, "Mã thủ tục", "Phải có mã thủ tục."),
        (3, "Tên thủ tục", "Phải có tên thủ tục."),
    ]


NATIONAL_EXPORT = [
    ["DANH SÁCH THỦ TỤC HÀNH CHÍNH"],  # the export's title rows, above its header
    ["Cơ quan thực hiện: Sở Khoa học và Công nghệ tỉnh Cao Bằng"],
    [],
    ["STT", "Mã TTHC", "Tên TTHC", "Cấp thực hiện", "Lĩnh vực"],
    ["1", "1.001612.000.00.00.H01", "Cấp giấy phép tiến hành công việc bức xạ", "Cấp Tỉnh", "An toàn bức xạ"],
    ["2", "2.002165.000.00.00.H01", "Đăng ký kết quả nhiệm vụ khoa học", "Cấp Tỉnh", "Khoa học"],
    ["3", "1.004227.000.00.00.H01", "Cấp giấy chứng nhận hoạt động đo lường", "Cấp Tỉnh", "Đo lường"],
]


def test_the_national_export_is_matched_by_code_and_its_changes_shown_before_anything_is_saved(
    secretary_client, agency
):
    from iso_tracker.permissions import SYSTEM
    from migrations_tracker import services

    # the agency's own list before: one procedure already carrying its national code under an own code,
    # one the national list renames, one it no longer lists
    for code, national, name in (
        ("TT-BX", "1.001612.000.00.00.H01", "Cấp giấy phép tiến hành công việc bức xạ"),
        ("2.002165.000.00.00.H01", "2.002165.000.00.00.H01", "Đăng ký nhiệm vụ khoa học (tên cũ)"),
        ("TT-CU", "1.000999.000.00.00.H01", "Thủ tục đã bãi bỏ"),
    ):
        services.procedure_create(
            agency=agency,
            procedure=AdministrativeProcedure(code=code, national_code=national, name=name, field=""),
            actor=SYSTEM,
        )
    before = list(AdministrativeProcedure.objects.values_list("code", "name", "field", "national_code"))
    response = _upload(secretary_client, agency, "tthc.xlsx", _xlsx(NATIONAL_EXPORT))
    assert response.status_code == 200, _errors(response)
    plan = response.context["plan"]
    assert [p["national_code"] for p in plan.new] == ["1.004227.000.00.00.H01"]
    changed = {item["procedure"].code: item["changes"] for item in plan.changed}
    assert set(changed) == {"TT-BX", "2.002165.000.00.00.H01"}  # TT-BX: its field is new
    renamed = [(old, new) for _label, old, new in changed["2.002165.000.00.00.H01"]]
    assert ("Đăng ký nhiệm vụ khoa học (tên cũ)", "Đăng ký kết quả nhiệm vụ khoa học") in renamed
    assert [p.code for p in plan.vanished] == ["TT-CU"]
    page = response.content.decode()
    assert 'data-testid="plan-vanished"' in page and "1.000999.000.00.00.H01" in page
    assert list(AdministrativeProcedure.objects.values_list("code", "name", "field", "national_code")) == before

    stale = secretary_client.post(reverse("qms:procedure_import", args=[agency.pk]), {"confirm": "0" * 32})
    assert stale.status_code == 302 and AdministrativeProcedure.objects.count() == 3
    done = secretary_client.post(
        reverse("qms:procedure_import", args=[agency.pk]), {"confirm": response.context["digest"]}
    )
    assert done.status_code == 302
    by_code = {p.national_code: p for p in agency.procedures.all()}
    assert set(by_code) == {
        "1.001612.000.00.00.H01",
        "2.002165.000.00.00.H01",
        "1.004227.000.00.00.H01",
        "1.000999.000.00.00.H01",  # kept: processes and history may hang on it
    }
    radiation = by_code["1.001612.000.00.00.H01"]
    assert radiation.code == "TT-BX" and radiation.field == "An toàn bức xạ"
    assert by_code["2.002165.000.00.00.H01"].name == "Đăng ký kết quả nhiệm vụ khoa học"
    again = _upload(secretary_client, agency, "tthc.xlsx", _xlsx(NATIONAL_EXPORT))
    assert again.context["plan"].empty and again.context["digest"] is None


def test_a_national_code_is_checked_by_its_format(secretary_client, agency):
    page = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "procedure"]),
        {"code": "TT9", "national_code": "1.1612.H01", "name": "Thủ tục thử"},
    )
    assert page.status_code in (200, 400) and "Mã quốc gia có dạng 1.001612.000.00.00.H01." in page.content.decode()
    assert not AdministrativeProcedure.objects.filter(code="TT9").exists()


def test_the_same_procedure_served_by_two_agencies_counts_once_in_the_scope_figures(agency, other_agency):
    from agencies.models import AgencyVersion
    from iso_tracker.permissions import SYSTEM
    from migrations_tracker import selectors, services

    for owner in (agency, other_agency):
        services.procedure_create(
            agency=owner,
            procedure=AdministrativeProcedure(code="X", national_code="1.001612.000.00.00.H01", name="Bức xạ"),
            actor=SYSTEM,
        )
    services.procedure_create(agency=agency, procedure=AdministrativeProcedure(code="Y", name="Riêng"), actor=SYSTEM)
    rows = AgencyVersion.objects.filter(agency__in=[agency, other_agency])
    counts = selectors.gap_counts(rows)
    assert counts["procedures"] == 2 and counts["uncovered"] == 2  # one national procedure, one without a code
