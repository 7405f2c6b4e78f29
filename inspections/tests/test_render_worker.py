"""A render killed in the middle of its PDF (what an out-of-memory kill or MemoryMax does to the reports
worker's pool process) is taken over by itself once its row stops beating, through a real reports worker
started with the unit's own command (issue 12)."""

import os
import signal
import time

import pytest

from inspections.models import AnnualReport, ReportFile
from inspections.reports import services
from iso_tracker.tests.topology import Supervised
from iso_tracker.tests.workers import worker_env

pytestmark = pytest.mark.worker


@pytest.mark.django_db(transaction=True)
def test_a_render_killed_mid_pdf_is_rendered_again_by_itself(tmp_path, province, dost, settings):
    settings.REPORT_RENDER_LEASE_SECONDS = 4
    report = AnnualReport.objects.create(province=province, year=2019)
    env = worker_env(REPORT_RENDER_LEASE_SECONDS="4")
    log = tmp_path / "reports.log"
    with Supervised("reports", log, env, extra=["-I", "inspections.tests.slow_render"]) as worker:
        item = services.generate(report=report, kind="pdf", actor=dost)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ReportFile.objects.get(pk=item.pk).status != "running":
            time.sleep(0.1)
        time.sleep(1)  # in the middle of the PDF
        assert ReportFile.objects.get(pk=item.pk).status == "running", log.read_text()[-3000:]
        children = worker.children()
        assert children, log.read_text()[-3000:]
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        while time.monotonic() < deadline + 30 and ReportFile.objects.get(pk=item.pk).status != "ready":
            time.sleep(0.2)
        recovered = time.monotonic() - killed
    item.refresh_from_db()
    assert item.status == "ready" and item.file.read(4) == b"%PDF", log.read_text()[-3000:]
    assert ReportFile.objects.filter(report=report).count() == 1  # taken over, not made twice
    assert recovered < 30  # the lease (4 s here, 45 s in production) and the look-again, not minutes


@pytest.mark.django_db(transaction=True)
def test_a_live_render_longer_than_its_lease_keeps_its_row_and_is_not_taken_over(tmp_path, province, dost, settings):
    settings.REPORT_RENDER_LEASE_SECONDS = 4
    report = AnnualReport.objects.create(province=province, year=2019)
    env = worker_env(REPORT_RENDER_LEASE_SECONDS="4", SLOW_RENDER_SECONDS="9")
    log = tmp_path / "reports.log"
    with Supervised("reports", log, env, extra=["-I", "inspections.tests.slow_render"]):
        item = services.generate(report=report, kind="pdf", actor=dost)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ReportFile.objects.get(pk=item.pk).status != "running":
            time.sleep(0.1)
        time.sleep(6)  # longer than the lease: only its beats keep the row
        row = ReportFile.objects.get(pk=item.pk)
        assert row.status == "running" and not services._lease_over(row), log.read_text()[-3000:]
        assert services.generate(report=report, kind="pdf", actor=dost) == item  # "Make" again: left alone
        while time.monotonic() < deadline and ReportFile.objects.get(pk=item.pk).status != "ready":
            time.sleep(0.2)
    assert ReportFile.objects.get(pk=item.pk).status == "ready"
    assert log.read_text().count("render_report_file[") == 2  # received and succeeded once; no second job ran
