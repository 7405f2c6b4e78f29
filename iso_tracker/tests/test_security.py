"""The security rules of a government system, tested from outside: headers, cookies, sessions,
re-authentication, two-step sign-in."""

import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import User
from agencies.tests.factories import make_user
from iso_tracker.tests.test_auth import PASSWORD, _login

pytestmark = pytest.mark.django_db


def _token(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def _wait_out_throttle(device: TOTPDevice) -> None:
    """Move the last failure back in time, as if the user had waited."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(hours=1))
    device.refresh_from_db()


# Headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["login", "agencies:list", "qms:dashboard", "audit:list"])
def test_every_html_page_has_a_nonce_csp_and_the_security_headers(client, dost_client, url_name):
    response = (client if url_name == "login" else dost_client).get(reverse(url_name), secure=True)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert f"'nonce-{nonce}'" in directives["script-src"] and "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    html = response.content.decode()
    # The page's script carries this response's nonce; no inline style or handler would be allowed.
    assert f'nonce="{nonce}"' in html
    assert " style=" not in html and " onclick=" not in html
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["Referrer-Policy"] == "same-origin"


def test_each_response_gets_a_fresh_nonce(client):
    first = client.get(reverse("login"))["Content-Security-Policy"]
    second = client.get(reverse("login"))["Content-Security-Policy"]
    assert first != second


def test_production_cookies_are_host_prefixed_and_secure():
    from iso_tracker.tests.test_settings_guard import _run

    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_AGE)"
    )
    result = _run(
        {"DEBUG": "false", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "iso.example.gov.vn"}, "shell", "-c", code
    )
    assert result.returncode == 0, result.stderr
    expected = ["__Host-sessionid", "__Host-csrftoken", "True", "True", "True", "1800"]
    assert result.stdout.strip().splitlines()[-1].split() == expected


def test_login_sets_a_secure_host_cookie(client, dost, settings):
    response = _login(client, "dost")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_NAME.startswith("__Host-")
    assert cookie["secure"] and cookie["httponly"] and cookie["path"] == "/" and not cookie["domain"]


# Sessions ----------------------------------------------------------------------------------------


def test_signing_in_gives_a_new_session(client, dost, settings):
    client.get(reverse("login"))
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    before = session.session_key
    _login(client, "dost")
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def _age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_a_session_ends_after_30_minutes_idle(client, dost):
    _login(client, "dost")
    _age_session(client, last_seen=29 * 60)
    assert client.get(reverse("agencies:list")).status_code == 200
    _age_session(client, last_seen=31 * 60)
    response = client.get(reverse("agencies:list"))
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert SESSION_KEY not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "Phiên làm việc đã kết thúc" in page
    # A request in between keeps the session alive (the clock restarts).
    _login(client, "dost")
    _age_session(client, last_seen=25 * 60)
    client.get(reverse("agencies:list"))
    assert time.time() - client.session["last_seen"] < 5


def test_a_session_ends_12_hours_after_sign_in_whatever_the_activity(client, dost):
    _login(client, "dost")
    _age_session(client, auth_at=11 * 3600 + 3500, last_seen=10)
    assert client.get(reverse("agencies:list")).status_code == 200
    _age_session(client, auth_at=12 * 3600 + 1, last_seen=10)
    assert client.get(reverse("agencies:list")).status_code == 302
    assert client.get(reverse("agencies:list")).status_code == 302


def test_a_disabled_accounts_sessions_end(dost_client, secretary):
    victim = Client()
    _login(victim, "thuky")
    assert victim.get(reverse("agencies:list")).status_code == 200
    response = dost_client.post(
        reverse("accounts:edit", args=[secretary.pk]),
        {
            "username": "thuky",
            "last_name": "",
            "first_name": "Thuky",
            "email": "",
            "role": "secretary",
            "agency": secretary.agency_id,
            "your_password": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert not User.objects.get(pk=secretary.pk).is_active
    assert victim.get(reverse("agencies:list")).status_code == 302


def test_changing_a_password_asks_for_the_old_one_and_ends_other_sessions(client, dost):
    other_browser = Client()
    _login(other_browser, "dost")
    _login(client, "dost")
    new = "Mật-khẩu-mới-2026!"
    refused = client.post(
        reverse("password_change"), {"old_password": "đoán-bừa", "new_password1": new, "new_password2": new}
    )
    assert refused.status_code == 200
    assert User.objects.get(pk=dost.pk).check_password(PASSWORD)
    done = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    assert client.get(reverse("agencies:list")).status_code == 200
    assert other_browser.get(reverse("agencies:list")).status_code == 302


# Accounts and roles ------------------------------------------------------------------------------


def _account_form(user, **changes):
    data = {
        "username": user.username,
        "last_name": user.last_name,
        "first_name": user.first_name,
        "email": user.email,
        "role": user.role,
        "agency": user.agency_id or "",
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_changing_a_role_asks_dost_for_their_own_password(dost_client, secretary):
    url = reverse("accounts:edit", args=[secretary.pk])
    missing = dost_client.post(url, _account_form(secretary, role="dost", agency=""))
    assert missing.status_code == 200
    wrong = dost_client.post(url, _account_form(secretary, role="dost", agency="", your_password="sai"))
    assert "Mật khẩu của bạn không đúng" in wrong.content.decode()
    assert User.objects.get(pk=secretary.pk).role == "secretary"
    ok = dost_client.post(url, _account_form(secretary, role="leadership", agency="", your_password=PASSWORD))
    assert ok.status_code == 302
    changed = User.objects.get(pk=secretary.pk)
    assert changed.role == "leadership" and changed.agency_id is None and changed.province_id == secretary.province_id


def test_dost_creates_a_leadership_account_of_their_province(dost_client, dost):
    response = dost_client.post(
        reverse("accounts:create"),
        {
            "username": "lanhdao2",
            "role": "leadership",
            "is_active": "on",
            "new_password": "Cao-Bang-2026!",
            "your_password": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    created = User.objects.get(username="lanhdao2")
    assert created.role == "leadership" and created.province_id == dost.province_id and created.agency_id is None


def test_a_secretary_account_needs_an_agency_and_says_so_once(dost_client):
    response = dost_client.post(
        reverse("accounts:create"),
        {"username": "tk.x", "role": "secretary", "new_password": "Cao-Bang-2026!", "your_password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.content.decode().count("Thư ký ISO phải thuộc một cơ quan") == 1
    assert not User.objects.filter(username="tk.x").exists()


def test_dost_creates_a_secretary_who_can_sign_in(dost_client, agency, client):
    response = dost_client.post(
        reverse("accounts:create"),
        {
            "username": "tk.moi",
            "last_name": "Nông Thị",
            "first_name": "Hà",
            "email": "ha@example.gov.vn",
            "role": "secretary",
            "agency": agency.pk,
            "is_active": "on",
            "new_password": "Cao-Bang-2026!",
            "your_password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert _login(client, "tk.moi", "Cao-Bang-2026!").status_code == 302
    assert client.get(reverse("agencies:detail", args=[agency.pk])).status_code == 200
    listing = dost_client.get(reverse("accounts:users")).content.decode()
    assert "tk.moi" in listing and "Nông Thị Hà" in listing


def test_accounts_are_out_of_reach_of_others(
    secretary_client, leader_client, foreign_dost_client, dost_client, dost, secretary, foreign_agency
):
    url = reverse("accounts:edit", args=[secretary.pk])
    assert secretary_client.get(reverse("accounts:users")).status_code == 403
    assert leader_client.get(url).status_code == 403
    assert foreign_dost_client.get(url).status_code == 404
    assert dost_client.get(reverse("accounts:edit", args=[dost.pk])).status_code == 403
    # An agency of another province cannot be given by form field.
    response = dost_client.post(url, _account_form(secretary, agency=foreign_agency.pk, your_password=PASSWORD))
    assert response.status_code == 200
    assert User.objects.get(pk=secretary.pk).agency_id == secretary.agency_id


# Two-step sign-in -------------------------------------------------------------------------------


def test_two_step_sign_in_set_up_and_used(client, dost):
    _login(client, "dost")
    page = client.get(reverse("two_factor")).content.decode()
    assert 'data-testid="two-factor-set-up"' in page and "data:image/svg+xml;base64," not in page
    assert client.post(reverse("two_factor"), {"set_up": "1"}).status_code == 302
    page = client.get(reverse("two_factor")).content.decode()
    assert "data:image/svg+xml;base64," in page
    device = TOTPDevice.objects.get(user=dost, confirmed=False)
    # Asking again (a second click) keeps the key already shown.
    client.post(reverse("two_factor"), {"set_up": "1"})
    assert TOTPDevice.objects.get(user=dost).pk == device.pk
    wrong = client.post(reverse("two_factor"), {"token": "000000" if _token(device) != "000000" else "111111"})
    assert "Mã không đúng" in wrong.content.decode()
    # Wrong codes slow the next attempts down (django-otp's throttling), even a right one.
    throttled = client.post(reverse("two_factor"), {"token": _token(device)})
    assert "Nhập sai mã quá nhiều lần" in throttled.content.decode()
    _wait_out_throttle(device)
    assert client.post(reverse("two_factor"), {"token": _token(device)}).status_code == 302
    assert TOTPDevice.objects.get(user=dost).confirmed
    client.post(reverse("logout"))

    # The password alone is no longer enough.
    assert _login(client, "dost").status_code == 302
    held = client.get(reverse("agencies:list"))
    assert held.status_code == 302 and held["Location"].startswith(reverse("two_factor_verify"))
    assert client.get(reverse("audit:list")).status_code == 302
    bad = client.post(reverse("two_factor_verify"), {"token": "12345a"})
    assert bad.status_code == 200
    device.refresh_from_db()
    _wait_out_throttle(device)
    ok = client.post(
        reverse("two_factor_verify"), {"token": _token(device, offset=1), "next": reverse("qms:dashboard")}
    )
    assert ok.status_code == 302 and ok["Location"] == reverse("qms:dashboard")
    assert client.get(reverse("agencies:list")).status_code == 200


def test_two_step_sign_in_is_for_dost_and_leadership(secretary_client, leader_client):
    assert secretary_client.get(reverse("two_factor")).status_code == 403
    assert leader_client.get(reverse("two_factor")).status_code == 200


def test_visiting_the_two_factor_page_writes_nothing(dost_client, dost, leader_client):
    from audit.models import AuditEvent

    for client in (dost_client, leader_client):
        assert client.get(reverse("two_factor")).status_code == 200
        assert client.head(reverse("two_factor")).status_code == 200
    assert TOTPDevice.objects.count() == 0
    assert not AuditEvent.objects.filter(kind="write").exists()


def test_dost_cannot_remove_their_own_authenticator_with_the_colleague_form(dost_client, dost):
    TOTPDevice.objects.create(user=dost, name="app", confirmed=True)
    response = dost_client.post(reverse("accounts:two_factor_reset", args=[dost.pk]), {"your_password": PASSWORD})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=dost, confirmed=True).exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize(
    "url_name",
    [
        "accounts:users",
        "accounts:create",
        "accounts:edit",
        "accounts:two_factor_reset",
        "two_factor",
        "two_factor_verify",
        "password_change",
        "password_change_done",
        "login",
    ],
)
def test_account_pages_refuse_the_methods_they_do_not_serve(client, dost_client, dost, secretary, url_name, method):
    TOTPDevice.objects.create(user=secretary, name="app", confirmed=True)
    args = [secretary.pk] if url_name in ("accounts:edit", "accounts:two_factor_reset") else []
    fields = {"your_password": PASSWORD, "role": "dost", "first_name": "X", "token": "000000", "set_up": "1"}
    body = urlencode({**fields, "username": "dost", "password": PASSWORD})
    visitor = client if url_name == "login" else dost_client  # the sign-in page sends a signed-in user home
    response = getattr(visitor, method)(
        reverse(url_name, args=args), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 405
    assert TOTPDevice.objects.filter(user=secretary).exists() and not TOTPDevice.objects.filter(user=dost).exists()
    assert User.objects.get(pk=secretary.pk).role == "secretary"


def test_dost_removes_a_colleagues_lost_authenticator(dost_client, province):
    colleague = make_user("dost2", User.Role.DOST, province=province)
    TOTPDevice.objects.create(user=colleague, name="app", confirmed=True)
    url = reverse("accounts:two_factor_reset", args=[colleague.pk])
    dost_client.post(url, {"your_password": "sai"})
    assert TOTPDevice.objects.filter(user=colleague).exists()
    dost_client.post(url, {"your_password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=colleague).exists()


def test_compulsory_two_step_sign_in_holds_staff_at_the_set_up_page(client, dost, secretary, settings):
    settings.TWO_FACTOR_REQUIRED = True
    _login(client, "dost")
    held = client.get(reverse("agencies:list"))
    assert held.status_code == 302 and held["Location"] == reverse("two_factor")
    page = client.get(reverse("two_factor")).content.decode()
    assert 'data-testid="two-factor-compulsory"' in page
    client.post(reverse("two_factor"), {"set_up": "1"})
    device = TOTPDevice.objects.get(user=dost, confirmed=False)
    assert client.post(reverse("two_factor"), {"token": _token(device)}).status_code == 302
    assert client.get(reverse("agencies:list")).status_code == 200
    # It cannot be switched off while compulsory.
    device.refresh_from_db()
    _wait_out_throttle(device)
    client.post(reverse("two_factor"), {"token": _token(device, offset=1), "your_password": PASSWORD})
    assert TOTPDevice.objects.filter(user=dost, confirmed=True).exists()
    # Secretaries are not concerned.
    other = Client()
    _login(other, "thuky")
    assert other.get(reverse("agencies:list")).status_code == 200
