"""At national scale the dashboard reads figures a job renews: the same figures as counting afresh,
never older than the maximum age, saying how old they are; smaller provinces are counted each visit."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Province
from agencies.tests.factories import make_agency
from migrations_tracker import snapshots
from migrations_tracker.models import DashboardSnapshot
from migrations_tracker.tasks import refresh_dashboards

pytestmark = pytest.mark.django_db


def _main(html: str) -> str:
    """The figures part of the page (without the age line)."""
    body = html.split('data-testid="versions"', 1)[1]
    return re.sub(r'nonce="[^"]+"', "", body)


@pytest.fixture
def dost_demo(demo):
    from django.test import Client

    from agencies.models import User

    client = Client()
    client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_large_province_reads_the_same_figures_from_a_snapshot(dost_demo, settings):
    live = dost_demo.get(reverse("qms:dashboard")).content.decode()
    assert 'data-testid="computed-at"' not in live  # a province's size: under the threshold, counted each visit
    assert not DashboardSnapshot.objects.exists()

    settings.DASHBOARD_SNAPSHOT_FROM = 10
    assert refresh_dashboards.apply().get() == 1
    assert refresh_dashboards.apply().get() == 1  # twice: still one snapshot for the day
    assert DashboardSnapshot.objects.count() == 1
    with CaptureQueriesContext(connection) as queries:
        page = dost_demo.get(reverse("qms:dashboard")).content.decode()
    assert 'data-testid="computed-at"' in page and "Số liệu tính lúc" in page
    assert re.search(r"cách đây \d+\xa0phút", page), "the age is in Vietnamese too"
    assert _main(page) == _main(live)
    assert len(queries) <= 10, [q["sql"] for q in queries]


def test_snapshot_figures_are_at_most_five_minutes_old(dost_demo, settings):
    settings.DASHBOARD_SNAPSHOT_FROM = 10
    refresh_dashboards.apply()
    snapshot = DashboardSnapshot.objects.get()
    # A new agency: the snapshot does not know it yet, and the page says how old its figures are.
    province = Province.objects.get(code="04")
    make_agency(province, code="MOI", name="Ban Quản lý Khu kinh tế tỉnh")
    now = snapshots.compute(snapshots._province_reader(province), timezone.localdate(), [], None)
    total = sum(snapshot.figures["versions"].values())
    assert sum(now["versions"].values()) == total + 1
    assert dost_demo.get(reverse("qms:dashboard")).context["total"] == total
    # Six minutes later the page does not show them any more: it counts afresh and saves the result.
    DashboardSnapshot.objects.update(computed_at=timezone.now() - datetime.timedelta(minutes=6))
    response = dost_demo.get(reverse("qms:dashboard"))
    assert response.context["total"] == total + 1
    renewed = DashboardSnapshot.objects.get()
    assert renewed.pk == snapshot.pk and timezone.now() - renewed.computed_at < datetime.timedelta(seconds=30)


def test_a_past_date_is_counted_once_and_reused_and_a_small_province_always_afresh(dost_demo, settings):
    settings.DASHBOARD_SNAPSHOT_FROM = 10
    refresh_dashboards.apply()
    first = dost_demo.get(reverse("qms:dashboard"), {"as_of": "31/12/2019"})
    assert first.context["total"] == 77 and first.context["computed_at"] is not None
    assert DashboardSnapshot.objects.filter(on=datetime.date(2019, 12, 31)).count() == 1
    with CaptureQueriesContext(connection) as queries:
        again = dost_demo.get(reverse("qms:dashboard"), {"as_of": "31/12/2019"})
    assert again.context["computed_at"] == first.context["computed_at"] and again.context["total"] == 77
    assert len(queries) <= 12, len(queries)  # read, not counted again
    assert _main(again.content.decode()) == _main(first.content.decode())
    refresh_dashboards.apply()  # the job keeps a past date's figures while they may be reused
    assert DashboardSnapshot.objects.filter(on=datetime.date(2019, 12, 31)).exists()
    DashboardSnapshot.objects.filter(on=datetime.date(2019, 12, 31)).update(
        computed_at=timezone.now() - datetime.timedelta(hours=settings.DASHBOARD_PAST_MAX_AGE_HOURS + 1)
    )
    refresh_dashboards.apply()
    assert not DashboardSnapshot.objects.filter(on=datetime.date(2019, 12, 31)).exists()
    settings.DASHBOARD_SNAPSHOT_FROM = 2000
    DashboardSnapshot.objects.all().delete()
    assert refresh_dashboards.apply().get() == 0
    assert dost_demo.get(reverse("qms:dashboard")).context["computed_at"] is None
    assert not DashboardSnapshot.objects.exists()


def test_a_smaller_province_is_counted_once_per_version_of_the_data(dost_demo, demo):
    """Issue 16: the figures of a visit are kept until the data they read changes (a write anywhere in the
    registry, the QMS records or the inspections), then counted afresh; leadership shares them."""
    from agencies.models import User
    from inspections.models import Finding

    url = reverse("qms:dashboard")
    with CaptureQueriesContext(connection) as first:
        before = dost_demo.get(url)
    with CaptureQueriesContext(connection) as again:
        assert _main(dost_demo.get(url).content.decode()) == _main(before.content.decode())
    assert len(again) <= len(first) - 15, (len(first), len(again))
    leader = type(dost_demo)()
    leader.force_login(User.objects.get(username="lanhdao"), backend="django.contrib.auth.backends.ModelBackend")
    with CaptureQueriesContext(connection) as shared:
        assert leader.get(url).context["total"] == before.context["total"]
    assert len(shared) <= len(again) + 2

    make_agency(Province.objects.get(code="04"), code="MOI", name="Ban Quản lý Khu kinh tế tỉnh")
    assert dost_demo.get(url).context["total"] == before.context["total"] + 1
    open_findings = before.context["cycle"]["findings"]
    Finding.objects.filter(status="open").update(status="closed")  # a queryset update: no signal sent
    assert dost_demo.get(url).context["cycle"]["findings"] != open_findings
