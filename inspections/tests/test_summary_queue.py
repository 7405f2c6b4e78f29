"""The leadership summary at national scale (issue 16): made on the reports queue once per version of the
data, never in the request; the page waits for it without writing anything and offers the last one."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from agencies.tests.factories import bulk_agencies, make_agency
from inspections import tasks
from inspections.models import ReportFile
from inspections.reports import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings, province):
    """A province at or over the national-scale threshold (lowered here)."""
    bulk_agencies(province, 12, prefix="L")
    settings.DASHBOARD_SNAPSHOT_FROM = 10
    return province


@pytest.fixture
def job(monkeypatch, django_capture_on_commit_callbacks):
    """The reports job as beat runs it, the reports worker rendering at once what it queues."""
    monkeypatch.setattr(tasks.render_report_file, "delay", services.render_file)

    def run() -> list[int]:
        with django_capture_on_commit_callbacks(execute=True):
            return services.prepare_summaries()

    return run


def test_a_large_provinces_summary_comes_from_the_queue_once_per_version_of_the_data(
    large, dost_client, leader_client, job
):
    url = reverse("inspections:summary_pdf")
    waiting = leader_client.get(url)
    assert waiting.status_code == 200 and waiting["Content-Type"].startswith("text/html")
    assert 'data-testid="summary-wait"' in waiting.content.decode()
    assert ReportFile.objects.count() == 0  # the GET wrote nothing

    [made] = job()
    pdf = leader_client.get(url)
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content)[:4] == b"%PDF"
    assert job() == [] and ReportFile.objects.count() == 1  # same data: not made again

    # A change anywhere the summary reads makes a new version: the page waits again and offers the last one.
    make_agency(large, code="SXD", name="Sở Xây dựng")
    again = dost_client.get(url)
    assert 'data-testid="summary-wait"' in again.content.decode()
    earlier = reverse("inspections:report_file", args=[made])
    assert f'href="{earlier}"' in again.content.decode()
    assert b"".join(dost_client.get(earlier).streaming_content)[:4] == b"%PDF"
    [newer] = job()
    assert newer != made and ReportFile.objects.get(pk=newer).status == "ready"


def test_a_smaller_province_gets_its_summary_in_the_request(province, agency, leader_client):
    response = leader_client.get(reverse("inspections:summary_pdf"))
    assert response["Content-Type"] == "application/pdf" and response.content[:4] == b"%PDF"
    assert ReportFile.objects.count() == 0


def test_earlier_days_summaries_are_removed_but_the_last(large, job):
    [first] = job()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ReportFile.objects.filter(pk=first).update(summary_on=yesterday)
    [second] = job()
    ReportFile.objects.filter(pk=second).update(summary_on=yesterday - datetime.timedelta(days=1))
    Agency.objects.filter(code="L000001").update(name="Phòng đổi tên")
    job()
    kept = set(ReportFile.objects.values_list("summary_on", flat=True))
    assert timezone.localdate() in kept and len(kept) == 2  # today's, and the last one before it


def test_another_provinces_summary_file_is_not_found(large, foreign_dost_client, job):
    [made] = job()
    assert foreign_dost_client.get(reverse("inspections:report_file", args=[made])).status_code == 404
