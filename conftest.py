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
def transition_2015(province):
    """The 2008 → 2015 transition as every province ran it (deadline 30/06/2021)."""
    import datetime

    from iso_tracker.permissions import SYSTEM
    from migrations_tracker import services
    from migrations_tracker.models import Edition

    return services.campaign_open(
        province=province,
        actor=SYSTEM,
        template="2008-2015",
        from_editions=[Edition.objects.get(code="2008")],
        to_edition=Edition.objects.get(code="2015"),
        opened_on=datetime.date(2015, 9, 15),
        deadline=datetime.date(2021, 6, 30),
    )


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


@pytest.fixture
def reminders_due(province, dost, agency, secretary, leader):
    """The reminders of 27/11/2026 (an open round due 10/12), claimed and waiting for e-mail delivery;
    every user has an address, so each reminder is one message."""
    import datetime

    from inspections import services as inspections
    from notifications import services as notifications
    from notifications.models import Reminder

    for user in User.objects.all():
        user.email = f"{user.username}@caobang.gov.vn"
        user.save()
    inspections.round_open(
        province=province,
        year=2026,
        opened_on=datetime.date(2026, 11, 2),
        deadline=datetime.date(2026, 12, 10),
        actor=dost,
    )
    notifications.run_daily(on=datetime.date(2026, 11, 27))
    assert Reminder.objects.count() >= 3
    return Reminder.objects.all()


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


def seed_demo_quietly() -> None:
    """The Cao Bằng demo through the public command, as on a development install (DEBUG on)."""
    from django.test import override_settings

    with override_settings(DEBUG=True), open(os.devnull, "w") as devnull:
        call_command("seed_demo", "--quiet-logins", stdout=devnull)


# The demo, seeded once per test session ------------------------------------------------------------
# Tests that use the demo run after the others, inside one transaction that holds the demo; each test
# runs in a savepoint of it and is rolled back as usual. The transaction ends before the tests that
# need real commits (browser, workers, backup), which seed their own.


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in names
        or "live_server" in names
        or item.get_closest_marker("worker")
    )


def _uses_demo(item) -> bool:
    return bool({"demo", "world"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: 2 if _transactional(item) else 1 if _uses_demo(item) else 0)


class _DemoTransaction:
    def __init__(self, blocker):
        self.blocker, self.atomic = blocker, None

    def open(self) -> None:
        from django.db import connection, transaction

        if self.atomic is not None:
            return
        assert not connection.in_atomic_block, "request `demo` before `db` (or any fixture that uses the database)"
        with self.blocker.unblock():
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            seed_demo_quietly()

    def close(self) -> None:
        from django.db import transaction

        if self.atomic is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        self.atomic = None


_DEMO: dict[str, _DemoTransaction] = {}
_PHASE = {"transactional": False}


@pytest.fixture(scope="session")
def demo_transaction(django_db_setup, django_db_blocker):
    """Session-scoped, so it opens before any test's own transaction (pytest sets up wider scopes first)."""
    state = _DEMO["state"] = _DemoTransaction(django_db_blocker)
    if not _PHASE["transactional"]:
        state.open()
    yield state
    state.close()


def pytest_runtest_setup(item):
    if _transactional(item):
        _PHASE["transactional"] = True
        if "state" in _DEMO:
            _DEMO["state"].close()


@pytest.fixture
def demo(request, demo_transaction):
    """The Cao Bằng demo, loaded through the public command: once per session, or per test where commits are real."""
    if _transactional(request.node):
        request.getfixturevalue("transactional_db")
        seed_demo_quietly()
    else:
        request.getfixturevalue("db")


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
    seed_demo_quietly()
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def back_to_latest_migrations():
    """A migration test moves an app back to an old state; afterwards every app goes back to its latest
    migration, so the tests after it find the schema (and the triggers) the code expects."""
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture(autouse=True)
def _empty_broker(request):
    """A test with real workers starts on empty queues: a message an earlier test left behind (a worker
    stopped with a task it had fetched hands it back to the queue) would otherwise be run by this test's
    workers, against this test's data."""
    if request.node.get_closest_marker("worker"):
        from iso_tracker.celery import app

        with app.connection_for_write() as connection:
            channel = connection.default_channel
            for queue in ("celery", "reports"):
                channel.queue_declare(queue=queue, durable=True, auto_delete=False)
                channel.queue_purge(queue)
    yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: figures kept per version of the data are keyed by the data, not
    by the code, and a test that patches the code (a constant, a function) must not leave its figures for
    the next."""
    from django.core.cache import cache

    cache.clear()
    yield
