"""Generating the annual report: in the background, once per version of the data, old versions kept."""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import pickle
import shutil
import tempfile
import threading
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from agencies import stamps
from agencies.models import Province, User
from agencies.selectors import large_provinces
from iso_tracker.permissions import SYSTEM, require

from ..documents import plan_content, plan_parts, write_plan_pdf
from ..models import AnnualReport, InspectionPlan, NationalReport, ReportFile
from .data import annual_figures, fingerprint
from .render import RENDERERS, Parts, pdf_parts

log = logging.getLogger(__name__)


def report_for(*, province: Province, year: int) -> AnnualReport:
    return AnnualReport.objects.get_or_create(province=province, year=year)[0]


@transaction.atomic
@transaction.atomic
def reporting_period_set(*, province: Province, reporting_period: str, actor: User) -> Province:
    """Which days a year's report covers; the reports made before keep their files, new versions follow."""
    require(actor, "inspections.manage", province)
    province.reporting_period = reporting_period
    province.full_clean()
    province.save(update_fields=["reporting_period"])
    return province


def narrative_update(*, report: AnnualReport, actor: User, **fields) -> AnnualReport:
    require(actor, "inspections.manage", report)
    for name, value in fields.items():
        setattr(report, name, value)
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def national_narrative_update(*, year: int, actor: User, **fields) -> NationalReport:
    """The Ministry's number, assessment and signer of the national report of `year`."""
    require(actor, "national.report")
    report = NationalReport.objects.select_for_update().filter(year=year).first() or NationalReport(year=year)
    for name, value in fields.items():
        setattr(report, name, value)
    report.full_clean()
    report.save()
    return report


def render_lease() -> datetime.timedelta:
    """A render beats on its row four times a lease while it works; one silent for a lease
    (`REPORT_RENDER_LEASE_SECONDS`) was killed (out of memory, MemoryMax) or lost, and is taken over by its
    job coming back, the next "Make" or the sweep."""
    return datetime.timedelta(seconds=settings.REPORT_RENDER_LEASE_SECONDS)


# A job still "queued" this long after it was last queued was lost by the broker (a Redis restart without
# its append-only file): the sweep queues it again.
STALE_QUEUED = datetime.timedelta(minutes=10)
SWEEP_MAX = 100  # jobs queued again by one sweep


class QueueUnavailable(Exception):
    """The job queue cannot be reached: nothing was queued, and no row was left behind."""


def _lease_over(item: ReportFile, now: datetime.datetime | None = None) -> bool:
    return item.claimed_at is None or item.claimed_at < (now or timezone.now()) - render_lease()


def _request(*, actor: User, **version) -> ReportFile:
    """Queue the rendering of one version of a document, once.

    The same version already made is returned; one on its way is queued again (a job lost in a broker
    restart, or a render that died, runs again; rendering claims the row once, so a spare job does
    nothing). Two requests at once make one row (a unique constraint). With the queue unreachable,
    `QueueUnavailable` and no new row."""
    versions = ReportFile.objects.filter(**version).exclude(status=ReportFile.Status.FAILED)
    item, created = versions.first(), False
    if item is None:
        try:
            with transaction.atomic():
                item = ReportFile.objects.create(requested_by=actor if isinstance(actor, User) else None, **version)
            created = True
        except IntegrityError:  # asked for twice at once: the other request made it
            item = versions.get()
    if item.status == ReportFile.Status.READY or (item.status == ReportFile.Status.RUNNING and not _lease_over(item)):
        return item
    _queue(item, created)
    return item


def _queue(item: ReportFile, created: bool) -> None:
    from ..tasks import render_report_file

    if connection.in_atomic_block:  # the caller's transaction decides (tests run inside one)
        transaction.on_commit(lambda: render_report_file.delay(item.pk))
        return
    try:
        render_report_file.delay(item.pk)
    except Exception as exc:  # the broker is down: kombu, redis and socket errors alike
        if created:
            item.delete()
        raise QueueUnavailable(str(exc)) from exc


def requeue_stale(now: datetime.datetime | None = None) -> list[int]:
    """Queue again the renders nobody is working on: "queued" long after they were last queued (the job was
    lost), or "running" past their lease (the worker died and its job did not come back). Each goes back to
    "queued", stamped with the time it was queued again, so a sweep queues it at most once every
    STALE_QUEUED; a spare job does nothing (rendering claims the row once). Returns the rows queued again."""
    from ..tasks import render_report_file

    now = now or timezone.now()
    before = now - STALE_QUEUED
    lost = Q(status=ReportFile.Status.QUEUED, created_at__lt=before) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=before)
    )
    dead = Q(status=ReportFile.Status.RUNNING, claimed_at__lt=now - render_lease())
    queued = []
    for pk in ReportFile.objects.filter(lost | dead).order_by("pk").values_list("pk", flat=True)[:SWEEP_MAX]:
        # still stale when this sweep takes it (a worker may have claimed it meanwhile)
        if ReportFile.objects.filter(lost | dead, pk=pk).update(status=ReportFile.Status.QUEUED, claimed_at=now):
            render_report_file.delay(pk)
            queued.append(pk)
    return queued


def generate(*, report: AnnualReport, kind: str, actor: User) -> ReportFile:
    """Queue a rendering, unless the same report of the same data is already there (or on its way)."""
    require(actor, "annual_report.make", report)
    digest = fingerprint(annual_figures(report.province, report.year), report.narrative())
    return _request(actor=actor, report=report, format=kind, data_hash=digest)


def plan_is_large(plan: InspectionPlan) -> bool:
    """A plan of more agencies than PLAN_PDF_INLINE_MAX is rendered on the reports queue, not in a request."""
    return plan.entries.count() > settings.PLAN_PDF_INLINE_MAX


def plan_fingerprint(plan: InspectionPlan) -> str:
    """A SHA-256 of everything the Mẫu 19 shows, so the same plan is not rendered twice."""
    rows = plan.entries.order_by("pk").values_list(
        "agency__name", "mode", "planned_date", "team", "budget_vnd", "override_reason"
    )
    return fingerprint(
        {"entries": list(rows), **plan.province.renamed_issuer()},
        {"plan": [plan.pk, plan.year, plan.approval_decision, plan.approved_on]},
    )


def plan_file(plan: InspectionPlan) -> ReportFile | None:
    """The Mẫu 19 of the plan as it is now, if it has been rendered."""
    return plan.files.filter(status=ReportFile.Status.READY, data_hash=plan_fingerprint(plan)).first()


def plan_generate(*, plan: InspectionPlan, actor: User) -> ReportFile:
    """Queue the Mẫu 19 of a large plan, unless this version of it is already there (or on its way)."""
    require(actor, "inspections.manage", plan)
    return _request(actor=actor, plan=plan, format=ReportFile.Format.PDF, data_hash=plan_fingerprint(plan))


SUMMARY_AREAS = (stamps.REGISTRY, stamps.INSPECTIONS, stamps.QMS)


def summary_is_large(province: Province) -> bool:
    """A province at national scale (agencies.selectors.large_provinces) gets its leadership summary from
    the reports queue; a smaller one in the request, as before."""
    return large_provinces().filter(pk=province.pk).exists()


def summary_version(province: Province, on: datetime.date) -> str | None:
    """The version of the data the summary of `on` is made from: the tokens of every area it reads
    (agencies.stamps). None when the database has no stamps (just emptied): nothing can be reused then."""
    tokens = [stamps.token(area) for area in SUMMARY_AREAS]
    if None in tokens:
        return None
    named = f"{province.name}|{province.dost_name}"  # printed in its header: a change makes a new one
    return hashlib.sha256(f"{province.pk}|{named}|{on.isoformat()}|{'|'.join(tokens)}".encode()).hexdigest()


def _summaries(province: Province, on: datetime.date):
    return ReportFile.objects.filter(summary_of=province, summary_on=on, format=ReportFile.Format.PDF)


def summary_file(province: Province, on: datetime.date) -> ReportFile | None:
    """The summary of `on` made from the data as it is now, if it has been made."""
    version = summary_version(province, on)
    return _summaries(province, on).filter(status=ReportFile.Status.READY, data_hash=version).first()


def summary_bytes(province: Province) -> bytes:
    """Today's summary: the file the reports job made from the data as it is now, else made at once (a job,
    such as the monthly e-mail to leadership; a request never makes a large province's)."""
    ready = summary_file(province, timezone.localdate())
    if ready is not None:
        with ready.file.open("rb") as handle:
            return handle.read()
    from .summary import summary_pdf

    return summary_pdf(province)


def summary_state(province: Province, on: datetime.date) -> dict:
    """For the page shown while the summary of the latest data is on its way: whether it is queued or being
    made, and the latest one made before (of any day), to download meanwhile."""
    version = summary_version(province, on)
    making = _summaries(province, on).filter(data_hash=version).exclude(status=ReportFile.Status.FAILED).first()
    earlier = (
        ReportFile.objects.filter(summary_of=province, status=ReportFile.Status.READY)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return {"making": making, "earlier": earlier}


def summary_generate(*, province: Province, on: datetime.date, actor=SYSTEM) -> ReportFile:
    """Queue the summary of `on` for the data as it is now, unless it is made or on its way already."""
    version = summary_version(province, on)
    return _request(actor=actor, summary_of=province, summary_on=on, format=ReportFile.Format.PDF, data_hash=version)


def prepare_summaries(on: datetime.date | None = None) -> list[int]:
    """The reports job: queue the leadership summary of every large province whose data changed since its
    last one (idempotent: the same version is queued once), and remove the summaries of earlier days but
    the last one of each province (the page offers it while today's is made)."""
    on = on or timezone.localdate()
    queued, large = [], set(large_provinces().values_list("pk", flat=True))
    for province in Province.objects.order_by("pk"):
        if province.pk in large and summary_version(province, on) is not None:
            item = summary_generate(province=province, on=on)
            if item.status != ReportFile.Status.READY:
                queued.append(item.pk)
        older = ReportFile.objects.filter(summary_of=province).exclude(summary_on=on).order_by("-finished_at", "-pk")
        for item in older[1:]:
            item.file.delete(save=False)
            item.delete()
    return queued


def national_generate(*, year: int, kind: str, actor) -> ReportFile:
    """Queue the national report of `year` for the data as it is now, unless it is made or on its way."""
    from . import national

    digest = national.version(year) or hashlib.sha256(f"{year}|{timezone.now().isoformat()}".encode()).hexdigest()
    return _request(actor=actor, national_year=year, format=kind, data_hash=digest)


def national_files(year: int):
    return ReportFile.objects.filter(national_year=year).select_related("requested_by")


def _render(item: ReportFile, handle) -> str:
    """Write the file's document to `handle`; return the name it is stored under."""
    if item.national_year:
        from . import national

        if item.format == ReportFile.Format.PDF:
            content, parts = _in_parts(item, lambda: national.figures(item.national_year), pdf_parts)
            national.render_pdf(content, handle, parts=parts)
        else:
            national.RENDERERS[item.format](national.figures(item.national_year), handle)
        return f"toan-quoc-{item.national_year}-{item.pk}.{item.format}"
    if item.summary_of_id:
        from .summary import summary_pdf

        handle.write(summary_pdf(item.summary_of, item.summary_on))
        return f"tom-tat-{item.summary_of.code}-{item.summary_on:%Y-%m-%d}-{item.pk}.pdf"
    if item.plan_id:
        content, parts = _in_parts(item, lambda: plan_content(item.plan), plan_parts)
        write_plan_pdf(item.plan, handle, parts=parts, content=content)
        return f"{item.plan.province.code}-mau-19-ke-hoach-kiem-tra-{item.plan.year}-{item.pk}.pdf"
    report = item.report
    if item.format == ReportFile.Format.PDF:
        figures, parts = _in_parts(item, lambda: annual_figures(report.province, report.year), pdf_parts)
        RENDERERS[item.format](figures, report.narrative(), handle, parts=parts)
    else:
        RENDERERS[item.format](annual_figures(report.province, report.year), report.narrative(), handle)
    return f"bao-cao-{report.province.code}-{report.year}-{item.pk}.{item.format}"


# A render starts no new part after this long: it stops there and its job is queued again to go on (the
# task's soft time limit is 150 s; a part of 1,500 agencies takes well under a minute).
PART_BUDGET_SECONDS = 100


class RenderPaused(Exception):
    """The render used its time budget between two parts: what is made is kept, and it goes on."""


def parts_folder(item: ReportFile) -> Path:
    """Where the parts of a long document are kept while it is made (removed once it is ready or failed)."""
    return Path(settings.MEDIA_ROOT) / "report-parts" / str(item.pk)


def _in_parts(item: ReportFile, compute, count) -> tuple[dict, Parts]:
    """The content of `item`'s document (`compute()`, pinned beside its parts) and its parts (`count(content)`
    of them), kept under `parts_folder(item)` so that a render stopped midway resumes there."""
    folder = parts_folder(item)
    content = _pinned(folder, compute)
    return content, _resumable(item, folder, count(content))


def _resumable(item: ReportFile, folder: Path, total: int) -> Parts:
    """The parts of `item`'s document kept in `folder`: a job makes one part at least, then starts none past
    its budget (RenderPaused: the next job goes on); the row shows how many are made as they are made."""
    started, made_here = time.monotonic(), []

    def within_budget() -> None:
        if made_here and time.monotonic() - started > PART_BUDGET_SECONDS:
            raise RenderPaused

    def record(done: int, total: int) -> None:  # the row shows it now, and is saved with it at the end
        item.parts_done, item.parts_total = done, total
        ReportFile.objects.filter(pk=item.pk).update(parts_done=done, parts_total=total)

    def made(done: int, total: int) -> None:
        made_here.append(done)
        record(done, total)

    parts = Parts(folder, total, on_part=made, before_part=within_budget)
    record(parts.done(), parts.total)
    return parts


def _pinned(folder: Path, compute) -> dict:
    """What every part of one rendering is made from (the figures, the plan's entries): computed at its first
    part and kept beside the parts, so that a render resumed after the data changed still makes one
    consistent document."""
    pinned = folder / "content.pickle"
    if pinned.exists():
        with open(pinned, "rb") as handle:
            return pickle.load(handle)  # noqa: S301 - our own file, written below by this worker
    content = compute()
    folder.mkdir(parents=True, exist_ok=True)
    with open(pinned.with_suffix(".tmp"), "wb") as handle:
        pickle.dump(content, handle)
    pinned.with_suffix(".tmp").replace(pinned)
    return content


class _Heartbeat:
    """While a render works, a thread stamps its row four times a lease on a connection of its own, so that a
    render that died is known within a lease however long a live one takes. Not inside a transaction
    (the tests'): the row would not be visible to the thread's connection."""

    def __init__(self, file_id: int):
        self._stopped = threading.Event()
        self._thread = None
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, args=(file_id,), daemon=True)
            self._thread.start()

    def _run(self, file_id: int) -> None:
        from django.db import connection as own

        try:
            while not self._stopped.wait(render_lease().total_seconds() / 4):
                ReportFile.objects.filter(pk=file_id, status=ReportFile.Status.RUNNING).update(
                    claimed_at=timezone.now()
                )
        except Exception:  # the database is away: the render goes on; its row may then be taken over
            log.exception("render %s: heartbeat stopped", file_id)
        finally:
            own.close()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def render_file(file_id: int) -> ReportFile | None:
    """Render one queued file (or take over one whose render died): write to a temporary file, then move
    it into storage. The temporary file is removed whatever happens."""
    now = timezone.now()
    claimable = Q(status=ReportFile.Status.QUEUED) | Q(
        status=ReportFile.Status.RUNNING, claimed_at__lt=now - render_lease()
    )
    claimed = ReportFile.objects.filter(claimable, pk=file_id).update(status=ReportFile.Status.RUNNING, claimed_at=now)
    item = (
        ReportFile.objects.select_related("report__province", "plan__province", "summary_of").filter(pk=file_id).first()
    )
    if item is None or not claimed:
        if item is not None and item.status == ReportFile.Status.RUNNING:
            # Another worker has it, or had it and died (this job came back): look again after its lease.
            from ..tasks import render_report_file

            left = (item.claimed_at + render_lease() - now).total_seconds() if item.claimed_at else 0
            render_report_file.apply_async((file_id,), countdown=max(1, int(left) + 5))
        return item
    path, paused = None, False
    heartbeat = _Heartbeat(item.pk)
    try:
        with tempfile.NamedTemporaryFile(suffix=f".{item.format}", delete=False) as handle:
            path = handle.name
            name = _render(item, handle)
        with open(path, "rb") as rendered:
            item.file.save(name, File(rendered), save=False)
        item.size = os.path.getsize(path)
        item.status, item.error = ReportFile.Status.READY, ""
    except (RenderPaused, SoftTimeLimitExceeded):  # its parts are kept: the next job goes on from there
        paused = True
    except Exception as exc:  # recorded for the page; the task is not retried
        item.status, item.error = ReportFile.Status.FAILED, repr(exc)[:2000]
    finally:
        heartbeat.stop()
        if path and os.path.exists(path):
            os.unlink(path)
    if paused:
        return _go_on(item)
    shutil.rmtree(parts_folder(item), ignore_errors=True)
    item.finished_at = timezone.now()
    item.save()
    return item


def _go_on(item: ReportFile) -> ReportFile:
    """Queue a paused render again (its parts made so far are kept); the sweep queues it if this fails."""
    ReportFile.objects.filter(pk=item.pk, status=ReportFile.Status.RUNNING).update(
        status=ReportFile.Status.QUEUED, claimed_at=timezone.now()
    )
    try:
        _queue(item, created=False)
    except QueueUnavailable:
        log.warning("render %s paused; the queue is away, the sweep will queue it again", item.pk)
    item.refresh_from_db()
    return item
