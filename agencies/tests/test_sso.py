"""Issue 18: single sign-on with the province's OpenID Connect provider. The provider here is a real one
(oidc-provider-mock: discovery, authorisation form, token, JWKS and userinfo endpoints, RS256-signed ID
tokens) running on a port of its own; the app talks to it over HTTP exactly as to a province's."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import User
from agencies.tests.factories import make_user

pytestmark = pytest.mark.django_db
PROVIDER_NAME = "Cổng dịch vụ công tỉnh Cao Bằng"


@pytest.fixture(scope="session")
def provider():
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        url = f"http://localhost:{server.server_port}"
        yield requests.get(f"{url}/.well-known/openid-configuration", timeout=10).json() | {"url": url}


@pytest.fixture
def sso(settings, provider):
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    settings.OIDC_RP_CLIENT_ID = "iso-tracker"
    settings.OIDC_RP_CLIENT_SECRET = "bi-mat-cua-ung-dung"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = provider["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = provider["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = provider["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = provider["jwks_uri"]
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "agencies.sso.Backend"]
    return provider


def _sign_in(client: Client, provider: dict, sub: str, claims: dict | None = None, *, next_url: str = "", deny=False):
    """The whole round trip: the app sends the browser to the provider, the person signs in there (the
    provider's own form), the provider sends the browser back to the app with a code."""
    if claims is not None:
        assert requests.put(f"{provider['url']}/users/{sub}", json=claims, timeout=10).status_code == 204
    start = client.get(reverse("sso_start") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302 and start["Location"].startswith(provider["authorization_endpoint"])
    form = {"action": "deny"} if deny else {"sub": sub}
    back = requests.post(start["Location"], data=form, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    location = urlsplit(back.headers["Location"])
    assert location.path == reverse("sso_callback")
    return client.get(f"{location.path}?{location.query}")


def _who(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def test_single_sign_on_is_off_by_default(client, secretary):
    assert client.get(reverse("sso_start")).status_code == 404
    assert client.get(reverse("sso_callback") + "?code=x&state=y").status_code == 404
    assert 'data-testid="sso"' not in client.get(reverse("login")).content.decode()


def test_an_identity_is_matched_to_its_account_by_e_mail_then_by_its_subject(client, sso, secretary):
    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    page = client.get(reverse("login")).content.decode()
    assert f"Đăng nhập bằng {PROVIDER_NAME}" in page
    claims = {"email": "ThuKy@caobang.gov.vn", "email_verified": True, "name": "Thư ký"}
    done = _sign_in(client, sso, "cb-0001", claims, next_url=reverse("agencies:list"))
    assert done.status_code == 302 and done["Location"] == reverse("agencies:list")
    assert _who(client) == "thuky"
    assert client.get(reverse("agencies:list")).status_code == 200
    secretary.refresh_from_db()
    assert secretary.oidc_subject == "cb-0001"

    # the address changes at the provider: the stored subject still finds the account
    client.post(reverse("logout"))
    done = _sign_in(Client(), sso, "cb-0001", {"email": "moi@caobang.gov.vn", "email_verified": True})
    assert done.status_code == 302 and done["Location"] == reverse("home")


def test_an_unknown_identity_creates_nothing_and_is_told_why(client, sso, secretary):
    before = User.objects.count()
    claims = {"email": "nguoi-la@example.com", "email_verified": True, "role": "dost", "is_superuser": True}
    done = _sign_in(client, sso, "cb-9999", claims)
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert _who(client) is None and User.objects.count() == before
    page = client.get(reverse("login")).content.decode()
    assert f"Danh tính của bạn tại {PROVIDER_NAME} không khớp với tài khoản nào" in page


def test_the_provider_grants_no_privilege_and_ambiguous_or_unverified_addresses_match_nothing(
    client, sso, secretary, agency, dost
):
    secretary.email = "chung@caobang.gov.vn"
    secretary.save()
    claims = {"email": "chung@caobang.gov.vn", "email_verified": True, "role": "dost", "groups": ["admin"]}
    _sign_in(client, sso, "cb-0002", claims)
    assert _who(client) == "thuky"
    secretary.refresh_from_db()
    assert (secretary.role, secretary.is_staff, secretary.is_superuser) == ("secretary", False, False)
    assert client.get(reverse("accounts:users")).status_code == 403

    # two accounts with one address: which is meant cannot be told, so neither signs in
    make_user("thuky2", User.Role.SECRETARY, agency=agency)
    User.objects.filter(username="thuky2").update(email="hai@caobang.gov.vn")
    dost.email = "hai@caobang.gov.vn"
    dost.save()
    fresh = Client()
    _sign_in(fresh, sso, "cb-0003", {"email": "hai@caobang.gov.vn", "email_verified": True})
    assert _who(fresh) is None
    # an address the provider has not verified matches nothing; nor does a deactivated account
    User.objects.filter(username="thuky2").update(email="chua@caobang.gov.vn")
    _sign_in(fresh, sso, "cb-0004", {"email": "chua@caobang.gov.vn", "email_verified": False})
    assert _who(fresh) is None
    User.objects.filter(username="thuky2").update(email="nghi@caobang.gov.vn", is_active=False)
    _sign_in(fresh, sso, "cb-0005", {"email": "nghi@caobang.gov.vn", "email_verified": True})
    assert _who(fresh) is None
    assert set(User.objects.exclude(oidc_subject="").values_list("oidc_subject", flat=True)) == {"cb-0002"}


def test_refused_at_the_provider_the_person_is_back_at_the_sign_in_page(client, sso, secretary):
    done = _sign_in(client, sso, "cb-0006", {"email": "x@caobang.gov.vn"}, deny=True)
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert _who(client) is None


def test_an_account_with_a_second_factor_still_gives_its_code(client, sso, dost):
    dost.email = "dost@caobang.gov.vn"
    dost.save()
    TOTPDevice.objects.create(user=dost, name="app", confirmed=True)
    _sign_in(client, sso, "cb-0007", {"email": "dost@caobang.gov.vn", "email_verified": True})
    assert _who(client) == "dost"
    held = client.get(reverse("agencies:list"))
    assert held.status_code == 302 and held["Location"].startswith(reverse("two_factor_verify"))
    # and the password sign-in is as it was: the password, then the code
    other = Client()
    assert other.post(reverse("login"), {"username": "dost", "password": "Mật-khẩu-thử-2019"}).status_code == 302
    held = other.get(reverse("agencies:list"))
    assert held.status_code == 302 and held["Location"].startswith(reverse("two_factor_verify"))


def test_dost_unlinks_an_identity_and_the_next_sign_on_matches_by_e_mail_again(client, sso, secretary, dost):
    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    _sign_in(client, sso, "cb-0008", {"email": "thuky@caobang.gov.vn", "email_verified": True})
    assert _who(client) == "thuky"
    staff = Client()
    assert staff.post(reverse("login"), {"username": "dost", "password": "Mật-khẩu-thử-2019"}).status_code == 302
    url = reverse("accounts:edit", args=[secretary.pk])
    page = staff.get(url).content.decode()
    assert "cb-0008" in page and 'name="unlink_sso"' in page
    form = {
        "username": "thuky",
        "last_name": "",
        "first_name": "Thuky",
        "email": "thuky@caobang.gov.vn",
        "role": "secretary",
        "agency": secretary.agency_id,
        "is_active": "on",
        "your_password": "Mật-khẩu-thử-2019",
    }
    kept = staff.post(url, form)  # saved without the box: the link stays
    assert kept.status_code == 302
    secretary.refresh_from_db()
    assert secretary.oidc_subject == "cb-0008"
    assert staff.post(url, form | {"unlink_sso": "on"}).status_code == 302
    secretary.refresh_from_db()
    assert secretary.oidc_subject == ""
    assert 'name="unlink_sso"' not in staff.get(url).content.decode()
    # the person's identity at the provider was replaced: the new one is linked by the address
    fresh = Client()
    _sign_in(fresh, sso, "cb-0009", {"email": "thuky@caobang.gov.vn", "email_verified": True})
    assert _who(fresh) == "thuky"
    secretary.refresh_from_db()
    assert secretary.oidc_subject == "cb-0009"


def test_the_linked_identity_is_shown_as_text(secretary, dost):
    """The subject comes from the provider: on the account page it is text, never markup."""
    User.objects.filter(pk=secretary.pk).update(oidc_subject='<img src=x onerror="alert(1)">')
    staff = Client()
    staff.force_login(dost, backend="django.contrib.auth.backends.ModelBackend")
    page = staff.get(reverse("accounts:edit", args=[secretary.pk])).content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page and "<img src=x" not in page
