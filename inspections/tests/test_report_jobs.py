"""Report jobs that survive faults (issue 12, "no stuck report"): a render killed or lost runs again, the
broker being down leaves no row, a failed render leaves no temporary file, one version is made once."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from inspections import tasks
from inspections.models import AnnualReport, ReportFile
from inspections.reports import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(province):
    return AnnualReport.objects.create(province=province, year=2019)


def _queued(report, dost) -> ReportFile:
    return services.generate(report=report, kind="pdf", actor=dost)


def test_a_render_killed_midway_is_taken_over_when_its_job_comes_back(report, dost):
    item = _queued(report, dost)
    # A worker took it ten minutes ago and was killed (out of memory, MemoryMax): the row says "running".
    ReportFile.objects.filter(pk=item.pk).update(
        status="running", claimed_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    services.render_file(item.pk)  # the job, redelivered
    item.refresh_from_db()
    assert item.status == "ready" and item.size > 0 and item.file.read(4) == b"%PDF"


def test_a_render_in_progress_is_looked_at_again_after_its_lease(report, dost, monkeypatch):
    later = []
    monkeypatch.setattr(
        tasks.render_report_file, "apply_async", lambda args, countdown: later.append((args, countdown))
    )
    item = _queued(report, dost)
    ReportFile.objects.filter(pk=item.pk).update(status="running", claimed_at=timezone.now())
    services.render_file(item.pk)  # a second job while the first renders (or died a moment ago)
    item.refresh_from_db()
    assert item.status == "running", "not rendered twice at once"
    [(args, countdown)] = later
    assert (
        args == (item.pk,)
        and services.render_lease().total_seconds() <= countdown <= services.render_lease().total_seconds() + 10
    )


def test_make_again_queues_a_stuck_job_again_without_a_new_row(report, dost, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as first:
        item = _queued(report, dost)
    with django_capture_on_commit_callbacks() as again:
        assert _queued(report, dost) == item  # lost in a broker restart: still "queued"
    assert len(first) == 1 and len(again) == 1 and ReportFile.objects.count() == 1
    ReportFile.objects.filter(pk=item.pk).update(status="running", claimed_at=timezone.now())
    with django_capture_on_commit_callbacks() as rendering:
        _queued(report, dost)
    assert rendering == [], "a render within its lease is left alone"


def test_a_failed_render_leaves_no_temporary_file(report, dost, monkeypatch, tmp_path):
    import tempfile

    def broken(figures, narrative, handle, **parts):
        handle.write(b"%PDF-1.7 half a document")
        raise MemoryError("killed half way")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setitem(services.RENDERERS, "pdf", broken)
    item = _queued(report, dost)
    services.render_file(item.pk)
    item.refresh_from_db()
    assert item.status == "failed" and "killed half way" in item.error
    assert list(tmp_path.iterdir()) == []


def test_one_version_is_made_once_even_when_asked_for_twice_at_once(report, dost, monkeypatch):
    item = _queued(report, dost)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFile.objects.create(report=report, format="pdf", data_hash=item.data_hash)
    ReportFile.objects.create(report=report, format="pdf", data_hash=item.data_hash, status="failed")  # allowed
    # The second request looked before the first one's row existed:
    real_first = ReportFile.objects.none().__class__.first
    calls = []

    def first_sees_nothing(queryset):
        calls.append(1)
        return None if len(calls) == 1 else real_first(queryset)

    monkeypatch.setattr(ReportFile.objects.none().__class__, "first", first_sees_nothing)
    assert _queued(report, dost) == item
    assert ReportFile.objects.exclude(status="failed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_make_with_the_broker_down_says_so_and_leaves_no_row(report, dost_client, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_report_file, "delay", broker_down)
    response = dost_client.post(
        reverse("inspections:annual_report_generate", args=[2019]), {"format": "pdf"}, follow=True
    )
    assert response.status_code == 200
    assert "Không kết nối được hàng đợi tác vụ" in response.content.decode()
    assert not ReportFile.objects.exists()


def test_the_sweep_queues_again_renders_lost_by_the_broker_or_left_by_a_dead_worker(report, dost, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.render_report_file, "delay", queued.append)
    now = timezone.now()
    lost, fresh, rendering = (
        ReportFile.objects.create(report=report, format=kind, data_hash="x") for kind in ("pdf", "xlsx", "docx")
    )
    dead = ReportFile.objects.create(report=report, format="pdf", data_hash="y")
    done = ReportFile.objects.create(report=report, format="xlsx", data_hash="y", status="ready")
    long_ago = now - datetime.timedelta(hours=1)
    ReportFile.objects.filter(pk__in=[lost.pk, rendering.pk, dead.pk, done.pk]).update(created_at=long_ago)
    ReportFile.objects.filter(pk=rendering.pk).update(status="running", claimed_at=now - datetime.timedelta(seconds=5))
    ReportFile.objects.filter(pk=dead.pk).update(status="running", claimed_at=now - services.render_lease() * 2)

    assert services.requeue_stale(now) == queued == [lost.pk, dead.pk]
    assert ReportFile.objects.get(pk=dead.pk).status == "queued"  # back in the queue, for anyone to take
    assert services.requeue_stale(now + datetime.timedelta(seconds=30)) == []  # queued once, not at every sweep
    later = now + services.STALE_QUEUED + datetime.timedelta(seconds=1)
    # still nobody on them ten minutes on: queued again; and by then the fresh one is lost too, and the
    # render that was within its lease has died
    assert services.requeue_stale(later) == [lost.pk, fresh.pk, rendering.pk, dead.pk]
    assert ReportFile.objects.get(pk=done.pk).status == "ready"


def test_a_render_queued_again_by_the_sweep_is_made_once(report, dost, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.render_report_file, "delay", queued.append)
    item = ReportFile.objects.create(report=report, format="pdf", data_hash="x")
    ReportFile.objects.filter(pk=item.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    services.requeue_stale()
    for pk in [*queued, item.pk]:  # the sweep's job and the original one, if it comes back after all
        services.render_file(pk)
    item.refresh_from_db()
    assert item.status == "ready" and ReportFile.objects.filter(report=report).count() == 1


def _pdf_text(data: bytes) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_a_long_report_resumes_where_it_stopped_and_no_part_is_made_twice(demo, monkeypatch, settings, tmp_path):
    """Issue 16: the report's parts are kept as they are made; a render killed midway (its row left
    "running") is taken over and makes only the parts that were missing; the page shows "part k of n"."""
    from agencies.models import Province, User
    from inspections.reports import render
    from inspections.reports.data import annual_figures

    settings.MEDIA_ROOT = tmp_path
    dost = User.objects.get(username="dost")
    monkeypatch.setattr(render, "ANNEX_CHUNK", 30)  # 77 agencies: the body and three annex parts
    province = Province.objects.get(code="04")
    report = AnnualReport.objects.create(province=province, year=2019)
    whole = _pdf_text(render.render_bytes("pdf", annual_figures(province, 2019), report.narrative()))
    made, real = [], render._document

    def killed_at_the_third_part(html, *args):
        if len(made) == 2:
            raise KeyboardInterrupt("MemoryMax: the pool process is killed")  # not an Exception: nothing is caught
        made.append(html)
        return real(html, *args)

    monkeypatch.setattr(render, "_document", killed_at_the_third_part)
    item = services.generate(report=report, kind="pdf", actor=dost)
    with pytest.raises(KeyboardInterrupt):
        services.render_file(item.pk)
    item.refresh_from_db()
    assert (item.status, item.parts_done, item.parts_total) == ("running", 2, 4)
    client = Client()
    client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("inspections:annual_report", args=[2019])).content.decode()
    assert "(đã lập 2/4 phần)" in page

    # The job comes back after the lease (or the sweep queues it): only the two missing parts are made.
    made.clear()
    monkeypatch.setattr(render, "_document", lambda html, *args: made.append(html) or real(html, *args))
    ReportFile.objects.filter(pk=item.pk).update(claimed_at=timezone.now() - datetime.timedelta(minutes=10))
    services.render_file(item.pk)
    item.refresh_from_db()
    assert item.status == "ready" and len(made) == 2 and (item.parts_done, item.parts_total) == (4, 4)
    assert _pdf_text(item.file.read()) == whole  # the same document as made in one go
    assert not (tmp_path / "report-parts" / str(item.pk)).exists()  # the parts are removed once it is ready


def test_a_render_out_of_time_goes_on_in_its_next_job(demo, monkeypatch, settings, tmp_path):
    from agencies.models import Province, User
    from inspections.reports import render

    settings.MEDIA_ROOT = tmp_path
    dost = User.objects.get(username="dost")
    monkeypatch.setattr(render, "ANNEX_CHUNK", 30)
    monkeypatch.setattr(services, "PART_BUDGET_SECONDS", -1)  # every part is past the budget: one part a job
    queued = []
    monkeypatch.setattr(tasks.render_report_file, "delay", queued.append)
    report = AnnualReport.objects.create(province=Province.objects.get(code="04"), year=2019)
    item = services.generate(report=report, kind="pdf", actor=dost)
    steps = []
    for _ in range(6):
        item = services.render_file(item.pk)
        steps.append((item.status, item.parts_done))
        if item.status == "ready":
            break
    assert steps == [("queued", 1), ("queued", 2), ("queued", 3), ("ready", 4)], steps
    assert item.file.read(4) == b"%PDF"
