"""A password given again (re-authentication on the accounts pages, the old password of a password
change) is throttled like signing in, by django-axes; and an address that sprays many user names is
locked out as a whole, while an office's secretaries behind one address are not."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import User
from agencies.tests.factories import make_user
from iso_tracker.tests.test_auth import PASSWORD, _login
from iso_tracker.tests.test_security import _account_form, _token

pytestmark = pytest.mark.django_db

LOCKED = "Too many wrong passwords: try again in 15 minutes. Nothing was changed."
WRONG = "đoán-bừa-2026"


@pytest.fixture
def english(dost_client):
    """The DOST member's browser, in English (the new messages are checked by their English text)."""
    dost_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return dost_client


def test_reauthentication_on_the_account_form_is_throttled_and_keeps_what_was_typed(english, secretary, settings):
    url = reverse("accounts:edit", args=[secretary.pk])

    def post(password):
        return english.post(url, _account_form(secretary, first_name="Hạnh Mới", your_password=password))

    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "Your password is wrong" in post(WRONG).content.decode(), attempt
    # The limit reached: refused with its own message, and then even the right password is refused.
    assert LOCKED in post(WRONG).content.decode()
    locked = post(PASSWORD)
    assert locked.status_code == 200
    body = locked.content.decode()
    assert LOCKED in body
    assert 'value="Hạnh Mới"' in body  # what was typed is kept…
    assert PASSWORD not in body and WRONG not in body  # …except the passwords
    assert User.objects.get(pk=secretary.pk).first_name == "Thuky"
    # The same limit as signing in: the user name is locked at this address for signing in too.
    english.post(reverse("logout"))
    assert _login(english, "dost", PASSWORD, address="127.0.0.1").status_code == 429


def test_no_password_is_kept_in_the_record_of_a_failure(english, secretary, client, dost):
    from axes.models import AccessAttempt

    new = "Mật-khẩu-cho-thư-ký-2026"
    english.post(
        reverse("accounts:edit", args=[secretary.pk]),
        _account_form(secretary, new_password=new, your_password=WRONG),
    )
    _login(client, "dost")
    client.post(reverse("password_change"), {"old_password": WRONG, "new_password1": new, "new_password2": new})
    kept = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "your_password" in kept and "old_password" in kept
    assert WRONG not in kept and new not in kept


def test_the_lock_ends_after_the_cool_off(english, secretary, settings):
    from axes.models import AccessAttempt

    url = reverse("accounts:edit", args=[secretary.pk])
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        english.post(url, _account_form(secretary, your_password=WRONG))
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = english.post(url, _account_form(secretary, first_name="Hạnh", your_password=PASSWORD))
    assert response.status_code == 302
    assert User.objects.get(pk=secretary.pk).first_name == "Hạnh"


def test_a_right_password_forgets_the_failures_as_signing_in_does(english, secretary, settings):
    url = reverse("accounts:edit", args=[secretary.pk])
    for _round in range(2):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            english.post(url, _account_form(secretary, your_password=WRONG))
        assert english.post(url, _account_form(secretary, your_password=PASSWORD)).status_code == 302


def test_switching_two_step_sign_in_off_is_throttled(english, dost, settings):
    device = TOTPDevice.objects.create(user=dost, name="app", confirmed=True)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        english.post(reverse("two_factor"), {"your_password": WRONG})  # no code: django-otp's throttle stays out
    response = english.post(reverse("two_factor"), {"token": _token(device), "your_password": PASSWORD})
    assert LOCKED in response.content.decode()
    assert TOTPDevice.objects.filter(user=dost, confirmed=True).exists()


def test_removing_a_colleagues_authenticator_is_throttled(english, province, settings):
    colleague = make_user("dost2", User.Role.DOST, province=province)
    TOTPDevice.objects.create(user=colleague, name="app", confirmed=True)
    url = reverse("accounts:two_factor_reset", args=[colleague.pk])
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        english.post(url, {"your_password": WRONG})
    response = english.post(url, {"your_password": PASSWORD}, follow=True)
    assert LOCKED in response.content.decode()
    assert TOTPDevice.objects.filter(user=colleague).exists()


def test_the_old_password_of_a_password_change_is_throttled(client, dost, settings):
    _login(client, "dost")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    new = "Mật-khẩu-mới-2026!"
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = client.post(
            reverse("password_change"), {"old_password": WRONG, "new_password1": new, "new_password2": new}
        )
        assert "Your old password was entered incorrectly" in wrong.content.decode(), attempt
    client.post(reverse("password_change"), {"old_password": WRONG, "new_password1": new, "new_password2": new})
    locked = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert locked.status_code == 200
    assert LOCKED in locked.content.decode()
    assert User.objects.get(pk=dost.pk).check_password(PASSWORD)
    assert client.get(reverse("agencies:list")).status_code == 200  # still signed in


# One address, many user names -------------------------------------------------------------------


def test_an_address_spraying_many_user_names_is_locked_out(client, dost, settings):
    office = "198.51.100.7"
    for number in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        response = _login(client, f"nguoi-dung-{number}", "Xuân-2026!", address=office)
    assert response.status_code == 429  # the failure that reaches the limit
    # Every user name is now refused from that address, even with the right password…
    assert _login(client, "dost", PASSWORD, address=office).status_code == 429
    # …but not from another one.
    assert _login(client, "dost", PASSWORD, address="198.51.100.8").status_code == 302


def test_sixteen_user_names_sprayed_once_each_count_against_the_address(client, dost, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 16
    for number in range(16):
        _login(client, f"nguoi-dung-{number}", "Xuân-2026!", address="198.51.100.7")
    assert _login(client, "dost", PASSWORD, address="198.51.100.7").status_code == 429


def test_secretaries_behind_one_office_address_do_not_lock_each_other_out(client, agency, settings):
    office = "203.0.113.50"
    names = [f"thuky{number}" for number in range(settings.AXES_ADDRESS_FAILURE_LIMIT // 2 + 2)]
    for name in names:
        make_user(name, User.Role.SECRETARY, agency=agency)
    # A morning at the office: each mistypes twice, then signs in (which forgets their failures).
    for name in names:
        _login(client, name, WRONG, address=office)
        _login(client, name, WRONG, address=office)
        assert _login(client, name, PASSWORD, address=office).status_code == 302, name
        client.post(reverse("logout"))
