"""Where each user starts (issue 15): the home page says what waits for them, and every number on it is
the count of the list it links to."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import User

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _numbers(page: str) -> list[tuple[str, int, str]]:
    """(testid, count shown, link) of each number on the home page."""
    found = re.findall(r'<a href="([^"]+)"[^>]*data-testid="(home-[a-z_]+)"\s+data-count="(\d+)"', page)
    return [(testid, int(count), unescape(href)) for href, testid, count in found]


def _listed(client: Client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


@pytest.mark.parametrize("username", ["dost", "lanhdao", "tk.h08", "tk.snnmt"])
def test_every_number_on_the_home_page_is_the_count_of_the_list_it_links_to(demo, username):
    client = _client(username)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="home"' in page
    numbers = _numbers(page)
    assert {"home-overdue", "home-to_answer"} <= {testid for testid, _n, _h in numbers}
    for testid, shown, href in numbers:
        assert _listed(client, href) == shown, (testid, href)
    if username == "dost":
        assert any(testid == "home-submitted" and n > 0 for testid, n, _h in numbers)
        assert any(testid == "home-awaiting" and n > 0 for testid, n, _h in numbers)
        assert any(testid == "home-transition" for testid, _n, _h in numbers)  # the transition's progress


def test_a_secretarys_home_is_their_agencys_only(demo):
    secretary = User.objects.get(username="tk.h08")
    response = _client("tk.h08").get(reverse("home"))
    figures = response.context["f"]
    assert figures["to_answer"] > 0 and figures["next_findings"]
    assert all(finding.agency_id == secretary.agency_id for finding in figures["next_findings"])
    assert all(report is None or report.agency_id == secretary.agency_id for _round, report in figures["rounds"])
    page = response.content.decode()
    assert secretary.agency.name in page and "Sở Khoa học và Công nghệ" not in page


def test_the_home_page_costs_a_bounded_number_of_queries(demo):
    client = _client("dost")
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    assert len(queries) <= 30, [q["sql"][:120] for q in queries]


def test_one_agencys_inspections_and_findings_are_a_click_from_its_page(demo):
    from agencies.models import Agency
    from inspections.models import Finding, Inspection

    dost = _client("dost")
    health = Agency.objects.get(code="SYT")  # inspected in 2018 and 2019
    page = dost.get(reverse("agencies:detail", args=[health.pk])).content.decode()
    listed_at = f"{reverse('inspections:inspections')}?agency={health.pk}"
    assert f'href="{listed_at}"' in page
    every_year = dost.get(listed_at)
    expected = Inspection.objects.filter(agency=health).count()
    assert expected >= 2 and every_year.context["page"].paginator.count == expected  # 2018 and 2019, not this year
    assert {i.agency_id for i in every_year.context["page"]} == {health.pk}
    one_year = dost.get(reverse("inspections:inspections"), {"agency": health.pk, "year": 2019})
    assert {i.year for i in one_year.context["page"]} == {2019}

    commune = User.objects.get(username="tk.h08").agency
    findings = dost.get(reverse("inspections:findings"), {"agency": commune.pk})
    assert findings.context["page"].paginator.count == Finding.objects.filter(agency=commune).count() > 0
    assert 'data-testid="filter-agency"' in findings.content.decode()

    # A secretary naming another agency gets nothing of it, and a bad value is refused with a message.
    secretary = _client("tk.h08")
    other = secretary.get(reverse("inspections:findings"), {"agency": health.pk})
    assert other.status_code == 200 and other.context["page"].paginator.count == 0
    assert secretary.get(reverse("inspections:inspections"), {"agency": health.pk}).context["page"].paginator.count == 0
    assert secretary.get(reverse("inspections:findings"), {"agency": "abc"}).status_code == 400


def _cycle_numbers(page: str) -> list[tuple[str, int, str]]:
    found = re.findall(r'<a href="([^"]+)"[^>]*data-testid="(count-[a-z_-]+)"\s+data-count="(\d+)"', page)
    return [(testid, int(count), unescape(href)) for href, testid, count in found]


@pytest.mark.parametrize("as_of", ["", "31/12/2019"])
def test_the_province_dashboard_shows_inspections_findings_and_self_reports_as_the_lists_count_them(demo, as_of):
    leader = _client("lanhdao")
    response = leader.get(reverse("qms:dashboard"), {"as_of": as_of} if as_of else {})
    assert response.status_code == 200
    page = response.content.decode()
    for testid in ("cycle-inspections", "cycle-findings", "cycle-reports"):
        assert f'data-testid="{testid}"' in page
    numbers = _cycle_numbers(page)
    assert {"count-inspected", "count-unclosed", "count-overdue", "count-report-accepted"} <= {n[0] for n in numbers}
    for testid, shown, href in numbers:
        assert _listed(leader, href) == shown, (testid, href)
    if as_of:  # 2019: 71 agencies inspected, every one concluded, the year's round all in
        figures = dict((testid, shown) for testid, shown, _href in numbers)
        assert figures["count-inspected"] == 71 and figures["count-not-concluded"] == 0
        assert figures["count-report-accepted"] > 0
