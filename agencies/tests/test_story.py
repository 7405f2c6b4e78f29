"""One page per agency that tells its whole story (issue 15): what it shows agrees with the lists it leads
to, only what the user may see, in a number of queries that does not grow with the agency's history."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Agency, User
from inspections import services
from inspections.models import Finding, Inspection, SelfReport
from inspections.sections import SECTION_KEYS
from migrations_tracker.models import RoleAssignment

D = datetime.date
ANSWERS = {key: "Đã thực hiện." for key in SECTION_KEYS}
pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</section>", start)]


def _links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"#]+)', html)]


def test_the_agency_page_tells_its_whole_story_and_agrees_with_the_lists(demo):
    dost = _client(User.objects.get(username="dost"))
    health = Agency.objects.get(code="SYT")
    response = dost.get(health.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()

    # The last inspections with their conclusions, and the list of all of them (every year).
    inspections = _section(page, "story-inspections")
    newest = Inspection.objects.filter(agency=health).order_by("-start_date").first()
    assert newest.start_date.strftime("%d/%m/%Y") in inspections and newest.get_conclusion_display() in inspections
    listed = dost.get(f"{reverse('inspections:inspections')}?agency={health.pk}").context["page"].paginator.count
    assert response.context["inspection_count"] == listed == Inspection.objects.filter(agency=health).count() >= 2

    # Its findings: the numbers are the counts of the lists the links open.
    findings = _section(page, "story-findings")
    counts = response.context["finding_counts"]
    for href, expected in zip(
        [h for h in _links(findings) if "findings/?" in h],
        [counts["overdue"], counts["unclosed"], counts["total"]],
        strict=True,
    ):
        assert dost.get(href).context["page"].paginator.count == expected, href
    assert counts["unclosed"] == Finding.objects.filter(agency=health).exclude(status="closed").count() > 0

    # The self-report of each year it was asked, with its status; the accepted 2019 report opens.
    reports = _section(page, "story-self-reports")
    report_2019 = SelfReport.objects.get(agency=health, round__year=2019)
    assert report_2019.get_absolute_url() in reports and report_2019.get_status_display() in reports
    assert dost.get(report_2019.get_absolute_url()).status_code == 200

    # Announcements, audits and reviews, staff: each with the link to the profile's full section.
    qms = _section(page, "story-qms")
    announcement = health.announcements.first()
    assert announcement.decision_number in qms
    staff = _section(page, "story-staff")
    holder = RoleAssignment.objects.filter(staff__agency=health, end_date__isnull=True).select_related("staff").first()
    assert holder.staff.full_name in staff
    last_audit = health.reviews.filter(kind="audit", date__lte=datetime.date.today()).first()
    assert last_audit.date.strftime("%d/%m/%Y") in _section(page, "story-reviews")
    for testid in ("story-qms", "story-inspections", "story-findings", "story-self-reports", "story-reviews"):
        for href in _links(_section(page, testid)):
            assert dost.get(href).status_code == 200, (testid, href)
    profile = dost.get(reverse("qms:profile", args=[health.pk])).content.decode()
    assert all(f'id="{anchor}"' in profile for anchor in ("announcements", "reviews", "staff"))


def test_a_secretary_reads_their_own_story_and_starts_the_open_rounds_report_from_it(demo):
    secretary = User.objects.get(username="tk.h08")
    client = _client(secretary)
    commune = secretary.agency
    page = client.get(commune.get_absolute_url()).content.decode()
    reports = _section(page, "story-self-reports")
    open_round = services.ReportingRound.objects.filter(province=commune.province).order_by("-year").first()
    start = reverse("inspections:report", args=[open_round.pk, commune.pk])
    before = SelfReport.objects.filter(agency=commune, round=open_round).count()
    assert start in reports and client.get(start).status_code == 200  # started or not, the secretary opens it
    assert SelfReport.objects.filter(agency=commune, round=open_round).count() == before, "a GET never writes"
    findings = _section(page, "story-findings")
    assert 'data-testid="open-findings"' in findings
    shown = Finding.objects.filter(agency=commune).exclude(status="closed").order_by("due_on", "pk").first()
    assert reverse("inspections:finding", args=[shown.pk]) in findings
    for href in _links(page):  # nothing on their page answers 404 or 403 for them
        if href.startswith("/") and "logout" not in href:
            assert client.get(href).status_code == 200, href
    # A report not started yet: its secretary starts it from the page; DOST sees the year without a link.
    waiting = (
        User.objects.filter(role=User.Role.SECRETARY, is_active=True, agency__ended_on__isnull=True)
        .exclude(agency__self_reports__round=open_round)
        .first()
    )
    start = reverse("inspections:report", args=[open_round.pk, waiting.agency_id])
    own_page = _client(waiting).get(waiting.agency.get_absolute_url()).content.decode()
    assert start in _section(own_page, "story-self-reports")
    dost_page = _client(User.objects.get(username="dost")).get(waiting.agency.get_absolute_url()).content.decode()
    assert start not in _section(dost_page, "story-self-reports") and "Chưa thực hiện" in dost_page


def test_the_findings_list_opens_on_what_is_not_closed(dost, agency, dost_client, secretary_client):
    inspection = services.inspection_start(agency=agency, mode="onsite", start_date=D(2026, 3, 2), actor=dost)
    kept = services.finding_add(inspection=inspection, item="audits", severity="minor", description="Mở", actor=dost)
    closed = services.finding_add(
        inspection=inspection, item="leadership", severity="minor", description="Đã khép lại", actor=dost
    )
    Finding.objects.filter(pk=closed.pk).update(status=Finding.Status.CLOSED)
    for client in (dost_client, secretary_client):
        default = client.get(reverse("inspections:findings"))
        assert list(default.context["page"]) == [kept]
        assert '<option value="unclosed" selected>' in default.content.decode()
        every = client.get(reverse("inspections:findings"), {"status": "all"})
        assert set(every.context["page"]) == {kept, closed}
        assert list(client.get(reverse("inspections:findings"), {"status": "closed"}).context["page"]) == [closed]
    Finding.objects.filter(pk=kept.pk).update(status=Finding.Status.CLOSED)
    empty = dost_client.get(reverse("inspections:findings"), {"agency": agency.pk}).content.decode()
    assert f"?agency={agency.pk}&amp;status=all" in empty  # nothing open: one click to see them all


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _year_of(agency, dost, year: int, secretary) -> None:
    reporting_round = services.round_open(
        province=agency.province, year=year, opened_on=D(year, 1, 5), deadline=D(year, 3, 1), actor=dost
    )
    report = services.report_for(reporting_round=reporting_round, agency=agency, actor=secretary)
    services.report_submit(report=report, answers=ANSWERS, expected_revision=report.revision, actor=secretary)
    inspection = services.inspection_start(agency=agency, mode="dossier", start_date=D(year, 6, 1), actor=dost)
    for item in ("audits", "leadership"):
        services.finding_add(inspection=inspection, item=item, severity="minor", description=f"{year}", actor=dost)


def test_the_agency_page_costs_the_same_queries_however_long_its_story(dost, agency, secretary, dost_client):
    _year_of(agency, dost, 2019, secretary)
    counts = {"dost": _queries(dost_client, agency.get_absolute_url())}
    secretary_client = _client(secretary)
    counts["secretary"] = _queries(secretary_client, agency.get_absolute_url())
    for year in range(2020, 2026):
        _year_of(agency, dost, year, secretary)
    assert _queries(dost_client, agency.get_absolute_url()) == counts["dost"]
    assert _queries(secretary_client, agency.get_absolute_url()) == counts["secretary"]
