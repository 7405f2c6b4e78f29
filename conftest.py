import os
from pathlib import Path

import pytest
from django.core.management import call_command

from agencies.models import Category, User
from agencies.tests.factories import make_agency, make_province, make_user
from iso_tracker.tests.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def province(db):
    return make_province()


@pytest.fixture
def other_province(db):
    return make_province("06", "Bắc Kạn")


@pytest.fixture
def agency(province):
    return make_agency(province, code="SKHCN", name="Sở Khoa học và Công nghệ")


@pytest.fixture
def other_agency(province):
    return make_agency(province, code="STP", name="Sở Tư pháp")


@pytest.fixture
def foreign_agency(other_province):
    return make_agency(other_province, code="BK-SNV", name="Sở Nội vụ Bắc Kạn")


@pytest.fixture
def dost(province):
    return make_user("dost", User.Role.DOST, province=province)


@pytest.fixture
def leader(province):
    return make_user("lanhdao", User.Role.LEADERSHIP, province=province)


@pytest.fixture
def secretary(agency):
    return make_user("thuky", User.Role.SECRETARY, agency=agency)


@pytest.fixture
def foreign_dost(other_province):
    return make_user("dost-bk", User.Role.DOST, province=other_province)


@pytest.fixture
def district(province):
    return make_agency(
        province, code="H05", name="UBND huyện Hà Quảng", category=Category.DISTRICT_PC, locality="Huyện Hà Quảng"
    )


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def dost_client(dost):
    return _client_for(dost)


@pytest.fixture
def leader_client(leader):
    return _client_for(leader)


@pytest.fixture
def secretary_client(secretary):
    return _client_for(secretary)


@pytest.fixture
def foreign_dost_client(foreign_dost):
    return _client_for(foreign_dost)


@pytest.fixture
def demo(db):
    """The Cao Bằng demo, loaded through the public command."""
    from django.core.management import call_command

    call_command("seed_demo", "--quiet-logins", stdout=open("/dev/null", "w"))


# Browser tests -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Debian's chromium is needed at {CHROMIUM} (bash scripts/test.sh installs it)"
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser, live_server):
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", "--quiet-logins", stdout=devnull)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
