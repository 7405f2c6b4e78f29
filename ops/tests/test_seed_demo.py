"""seed_demo: loads the Cao Bằng demo once, prints the logins, and a second run changes nothing."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command

from agencies.models import Agency, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development_install(settings):
    settings.DEBUG = True  # the published demo password is for development installs


def _snapshot():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_seed_demo_is_idempotent_prints_logins_and_keeps_changed_passwords():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "CaoBang@2019" in text
    assert "dost " in text and "lanhdao " in text
    for agency in Agency.objects.filter(ended_on__isnull=True):
        assert f"tk.{agency.code.lower()} " in text
        assert User.objects.get(username=f"tk.{agency.code.lower()}").agency == agency
    # The accounts of ended units: moved to the successor by the hand-over (listed there) or disabled (not listed).
    for agency in Agency.objects.filter(ended_on__isnull=False):
        account = User.objects.get(username=f"tk.{agency.code.lower()}")
        if account.is_active:
            assert account.agency.ended_on is None
            assert f"tk.{agency.code.lower()}" in text and account.agency.name in text
        else:
            assert f"tk.{agency.code.lower()} " not in text
    dost = User.objects.get(username="dost")
    assert dost.check_password("CaoBang@2019") and dost.role == User.Role.DOST

    dost.set_password("Mật-khẩu-riêng-2026")  # a user who changed the published password keeps theirs
    dost.save()
    first = _snapshot()

    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert _snapshot() == first
    assert "nothing changed" in again.getvalue()
    dost.refresh_from_db()
    assert dost.check_password("Mật-khẩu-riêng-2026")


def test_seed_demo_refuses_a_production_install_without_new_passwords(monkeypatch, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    monkeypatch.delenv("SEED_DEMO_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="SEED_DEMO_PASSWORD"):
        call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    monkeypatch.setenv("SEED_DEMO_PASSWORD", "CaoBang@2019")
    with pytest.raises(CommandError, match="new password"):
        call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    monkeypatch.setenv("SEED_DEMO_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="SEED_DEMO_PASSWORD"):
        call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    assert not User.objects.exists() and not Agency.objects.exists()

    monkeypatch.setenv("SEED_DEMO_PASSWORD", "Một-mật-khẩu-mới-2026")
    out = io.StringIO()
    call_command("seed_demo", "--allow-production", stdout=out)
    dost = User.objects.get(username="dost")
    assert dost.check_password("Một-mật-khẩu-mới-2026") and not dost.check_password("CaoBang@2019")
    assert "CaoBang@2019" not in out.getvalue() and "Một-mật-khẩu-mới-2026" not in out.getvalue()
