"""The client's address, the same for sign-in throttling and the audit trail: X-Real-IP is believed
only from a proxy listed in TRUSTED_PROXIES, so a client reaching gunicorn directly cannot rotate it."""

import pytest
from django.urls import reverse

from agencies.models import User
from agencies.tests.factories import make_user
from audit.models import AuditEvent
from iso_tracker.tests.test_auth import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(province, settings):
    settings.USE_X_REAL_IP = True
    return make_user("canbo", User.Role.DOST, province=province)


def _login(client, password, *, peer, forwarded):
    return client.post(
        reverse("login"), {"username": "canbo", "password": password}, REMOTE_ADDR=peer, HTTP_X_REAL_IP=forwarded
    )


def _failure_addresses() -> set[str]:
    return set(AuditEvent.objects.filter(kind="login_failed").values_list("ip_address", flat=True))


def test_x_real_ip_from_an_untrusted_peer_is_ignored(client, staff, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "sai-mat-khau", peer="203.0.113.9", forwarded=f"1.2.3.{number}")
    # Rotating the header does not dodge the lock: the address is the peer's.
    assert _login(client, PASSWORD, peer="203.0.113.9", forwarded="1.2.3.99").status_code == 429
    assert _failure_addresses() == {"203.0.113.9"}


def test_x_real_ip_from_a_trusted_proxy_is_the_clients_address(client, staff, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "sai-mat-khau", peer="127.0.0.1", forwarded="1.2.3.4")
    assert _login(client, PASSWORD, peer="127.0.0.1", forwarded="1.2.3.4").status_code == 429
    assert _failure_addresses() == {"1.2.3.4"}
    # Another client behind the same proxy is not locked out.
    assert _login(client, PASSWORD, peer="127.0.0.1", forwarded="1.2.3.5").status_code == 302
    assert AuditEvent.objects.get(kind="login").ip_address == "1.2.3.5"


def test_trusted_proxies_may_be_networks(client, staff, settings):
    settings.TRUSTED_PROXIES = ["10.8.0.0/16", "::1"]
    _login(client, "sai-mat-khau", peer="10.8.3.4", forwarded="192.0.2.1")
    _login(client, "sai-mat-khau", peer="10.9.0.1", forwarded="192.0.2.2")
    _login(client, "sai-mat-khau", peer="127.0.0.1", forwarded="192.0.2.3")
    assert _failure_addresses() == {"192.0.2.1", "10.9.0.1", "127.0.0.1"}


def test_without_use_x_real_ip_the_header_is_ignored(client, staff, settings):
    settings.USE_X_REAL_IP = False
    _login(client, "sai-mat-khau", peer="127.0.0.1", forwarded="1.2.3.4")
    assert _failure_addresses() == {"127.0.0.1"}


def test_a_header_that_is_not_an_address_is_ignored(client, staff):
    _login(client, "sai-mat-khau", peer="127.0.0.1", forwarded="1.2.3.4, 5.6.7.8")
    assert _failure_addresses() == {"127.0.0.1"}


def test_a_trusted_proxies_entry_that_is_not_an_address_stops_the_start():
    from iso_tracker.tests.test_settings_guard import _run

    env = {"DEBUG": "false", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "iso.example.gov.vn"}
    result = _run({**env, "TRUSTED_PROXIES": "127.0.0.1,nginx.local"}, "check")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'nginx.local' is not an address or network." in result.stderr
