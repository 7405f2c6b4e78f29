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
        ]
    )
    response = _upload(dost_client, "x.xlsx", content)
    assert response.status_code == 400
    errors = {(e.row, e.column, e.message) for e in response.context["result"].errors}
    assert (2, "Mã cơ quan cấp trên", "Mã cơ quan cấp trên tạo thành vòng lặp: A → B → A.") in errors
    assert (4, "Tỉnh") in {(row, column) for row, column, _message in errors}
    assert not Agency.objects.exists()


def test_import_refuses_unreadable_files(dost_client):
    response = _upload(dost_client, "x.xlsx", b"not a workbook")
    assert response.status_code == 400
    assert response.context["result"].errors[0].row == 1
    response = _upload(dost_client, "x.pdf", b"%PDF")
    assert response.status_code == 200
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
