"""Issue 17: a province joins from the web: the site administrator adds it with its first DOST account,
that DOST completes the details, imports the registry and makes a secretary's account, who signs in;
the checklist says what is left. Only browser requests (forms), no shell."""

import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from agencies.models import Agency, Province, User

pytestmark = pytest.mark.django_db
ADMIN_PASSWORD = "Quan-tri-vien-2026!"
DOST_PASSWORD = "Mat-khau-So-2026!"
SECRETARY_PASSWORD = "Thu-ky-ISO-2026!"


def _signed_in(username: str, password: str) -> Client:
    """Signs in through the login form, as a browser does."""
    client = Client()
    page = client.post(reverse("login"), {"username": username, "password": password})
    assert page.status_code == 302, page.content.decode()[:500]
    return client


@pytest.fixture
def site_admin():
    User.objects.create_superuser("quantri", "quantri@bo.gov.vn", ADMIN_PASSWORD)
    return _signed_in("quantri", ADMIN_PASSWORD)


def _registry() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã cơ quan", "Tên cơ quan", "Loại cơ quan", "Mã cơ quan cấp trên", "Địa bàn", "Thư ký ISO"])
    sheet.append(["SKHCN", "Sở Khoa học và Công nghệ", "Cơ quan chuyên môn cấp tỉnh", "", "Lai Châu", "Lò Văn Hùng"])
    sheet.append(["SNV", "Sở Nội vụ", "Cơ quan chuyên môn cấp tỉnh", "", "Lai Châu", ""])
    sheet.append(["XTP", "UBND xã Tân Phong", "commune_level_pc", "", "Xã Tân Phong", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _steps(client) -> dict[str, bool]:
    page = client.get(reverse("onboarding")).content.decode()
    steps = {}
    for part in page.split('data-testid="step-')[1:]:
        key = part.split('"', 1)[0]
        steps[key] = 'data-done="yes"' in part.split(">", 1)[0]
    return steps


def test_a_province_joins_with_browser_steps_only(site_admin):
    new = {
        "code": "12",
        "name": "Lai Châu",
        "dost_name": "Sở Khoa học và Công nghệ",
        "dost_address": "",
        "reporting_period": "calendar",
        "username": "dost.laichau",
        "last_name": "Lò Thị",
        "first_name": "Mai",
        "email": "skhcn@laichau.gov.vn",
        "new_password": DOST_PASSWORD,
        "your_password": ADMIN_PASSWORD,
    }
    added = site_admin.post(reverse("province_create"), new)
    assert added.status_code == 302 and added["Location"] == reverse("provinces")
    province = Province.objects.get(code="12")
    listed = site_admin.get(reverse("provinces")).content.decode()
    assert 'data-testid="province-12"' in listed and "Lai Châu" in listed

    dost = _signed_in("dost.laichau", DOST_PASSWORD)
    assert _steps(dost) == dict.fromkeys(
        ["details", "registry", "secretaries", "reminders", "transition", "round"], False
    )
    details = {"dost_name": "Sở Khoa học và Công nghệ", "dost_address": "Phường Tân Phong, Lai Châu"}
    assert dost.post(reverse("onboarding"), details | {"reporting_period": "calendar"}).status_code == 302
    imported = dost.post(reverse("agencies:import"), {"file": SimpleUploadedFile("so-dang-ky.xlsx", _registry())})
    assert imported.status_code == 302, imported.content.decode()[:2000]
    assert Agency.objects.filter(province=province).count() == 3
    steps = _steps(dost)
    assert steps["details"] and steps["registry"] and not steps["secretaries"]

    agency = Agency.objects.get(province=province, code="SKHCN")
    account = {
        "username": "tk.skhcn.laichau",
        "last_name": "Lò Văn",
        "first_name": "Hùng",
        "email": "thuky@laichau.gov.vn",
        "role": "secretary",
        "agency": str(agency.pk),
        "is_active": "on",
        "new_password": SECRETARY_PASSWORD,
        "your_password": DOST_PASSWORD,
    }
    made = dost.post(reverse("accounts:create"), account)
    assert made.status_code == 302, made.content.decode()[:2000]

    secretary = _signed_in("tk.skhcn.laichau", SECRETARY_PASSWORD)
    assert secretary.get(reverse("agencies:detail", args=[agency.pk])).status_code == 200
    other = Agency.objects.get(province=province, code="SNV")
    assert secretary.get(reverse("agencies:detail", args=[other.pk])).status_code == 404
    assert (
        "1 of 3" in dost.get(reverse("onboarding")).content.decode()
        or "1/3" in dost.get(reverse("onboarding")).content.decode().replace(" ", "")
        or "1 trên 3" in dost.get(reverse("onboarding")).content.decode()
    )


def test_only_the_site_administrator_adds_a_province(demo):
    dost = Client()
    dost.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    assert dost.get(reverse("province_create")).status_code == 403
    assert dost.post(reverse("province_create"), {"code": "99", "name": "Giả"}).status_code == 403
    assert not Province.objects.filter(code="99").exists()


def test_a_taken_code_comes_back_with_a_message_and_what_was_typed(site_admin, demo):
    answer = site_admin.post(
        reverse("province_create"),
        {
            "code": "04",
            "name": "Cao Bằng mới",
            "dost_name": "Sở Khoa học và Công nghệ",
            "reporting_period": "calendar",
            "username": "dost",
            "last_name": "A",
            "first_name": "B",
            "email": "not-an-address",
            "new_password": "123",
            "your_password": ADMIN_PASSWORD,
        },
    )
    page = answer.content.decode()
    assert answer.status_code == 400 and 'value="Cao Bằng mới"' in page
    form = answer.context["form"]
    assert {"code", "username", "email", "new_password"} <= set(form.errors)
    assert Province.objects.filter(code="04").count() == 1 and not Province.objects.filter(name="Cao Bằng mới").exists()


def test_the_documents_carry_the_province_s_own_issuing_body(demo):
    from inspections.reports.data import annual_figures
    from inspections.reports.render import render_bytes

    province = Province.objects.get(code="04")
    before = annual_figures(province, 2019)
    assert "issuer" not in before  # the default name: the figures (and their fingerprint) as before
    province.dost_name = "Sở Khoa học, Công nghệ và Đổi mới sáng tạo"
    province.save()
    figures = annual_figures(province, 2019)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=render_bytes("pdf", figures, {}), capture_output=True, check=True
    ).stdout.decode()
    assert "SỞ KHOA HỌC, CÔNG NGHỆ VÀ\nĐỔI MỚI SÁNG TẠO" in text  # the header, on two lines
    assert "Sở Khoa học, Công nghệ và Đổi mới sáng tạo" in text
