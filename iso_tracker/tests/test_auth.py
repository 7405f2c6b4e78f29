"""Signing in and out, password change, and login throttling."""

import pytest
from django.urls import reverse

from agencies.models import User
from agencies.tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Mật-khẩu-thử-2019"


@pytest.fixture
def staff(province):
    return make_user("canbo", User.Role.DOST, province=province, password=PASSWORD)


def _login(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_login_page_is_vietnamese(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Đăng nhập" in page
    assert 'lang="vi"' in page


def test_sign_in_and_out(client, staff):
    response = _login(client, "canbo", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("agencies:list")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("agencies:list")).status_code == 302


def test_wrong_password_gives_a_vietnamese_message(client, staff):
    response = _login(client, "canbo", "sai-mat-khau")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()


def test_failed_logins_are_throttled_per_user_and_address(client, staff, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "canbo", "sai-mat-khau")
    locked = _login(client, "canbo", PASSWORD)
    assert locked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in locked.content.decode()
    assert client.get(reverse("agencies:list")).status_code == 302
    # A colleague behind the same office address is not locked out, nor is the same user elsewhere.
    make_user("dongnghiep", User.Role.DOST, province=staff.province, password=PASSWORD)
    assert _login(client, "dongnghiep", PASSWORD).status_code == 302
    assert _login(client, "canbo", PASSWORD, address="10.0.0.2").status_code == 302


def test_password_change_applies_django_validators(client, staff):
    _login(client, "canbo", PASSWORD)
    weak = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "12345678",
            "new_password2": "12345678",
        },
    )
    assert weak.status_code == 200
    body = weak.content.decode()
    assert "Mật khẩu này quá ngắn. Mật khẩu phải có ít nhất 10 ký tự." in body
    assert "Mật khẩu này chỉ gồm chữ số." in body
    strong = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Hà-Quảng-sáp-nhập-2020",
            "new_password2": "Hà-Quảng-sáp-nhập-2020",
        },
    )
    assert strong.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("Hà-Quảng-sáp-nhập-2020")


def test_language_switch_to_english_and_back(client, staff):
    _login(client, "canbo", PASSWORD)
    assert "Sổ đăng ký cơ quan" in client.get(reverse("agencies:list")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("agencies:list")).content.decode()
    assert "Agency registry" in page and 'lang="en"' in page
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert "Sổ đăng ký cơ quan" in client.get(reverse("agencies:list")).content.decode()


def test_secretary_lands_on_what_waits_for_their_agency(client, secretary, agency):
    client.force_login(secretary, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("home"))
    assert response.status_code == 200 and response.context["agency"] == agency
    assert f'href="{agency.get_absolute_url()}"' in response.content.decode()
