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
    assert response.status_code == 302 and agency.procedures.count() == 50  # the limit itself is allowed


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
