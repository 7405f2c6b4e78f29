"""Generating the annual report: in the background, once per version of the data, old versions kept."""

from __future__ import annotations

import os
import tempfile

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from agencies.models import Province, User
from iso_tracker.permissions import require

from ..models import AnnualReport, ReportFile
from .data import annual_figures, fingerprint
from .render import RENDERERS


def report_for(*, province: Province, year: int) -> AnnualReport:
    return AnnualReport.objects.get_or_create(province=province, year=year)[0]


@transaction.atomic
def narrative_update(*, report: AnnualReport, actor: User, **fields) -> AnnualReport:
    require(actor, "inspections.manage", report)
    for name, value in fields.items():
        setattr(report, name, value)
    report.full_clean()
    report.save()
    return report


def generate(*, report: AnnualReport, kind: str, actor: User) -> ReportFile:
    """Queue a rendering, unless the same report of the same data is already there (or on its way)."""
    require(actor, "inspections.manage", report)
    digest = fingerprint(annual_figures(report.province, report.year), report.narrative())
    existing = report.files.filter(format=kind, data_hash=digest).exclude(status=ReportFile.Status.FAILED).first()
    if existing is not None:
        return existing
    item = ReportFile.objects.create(report=report, format=kind, data_hash=digest, requested_by=actor)
    from ..tasks import render_report_file

    transaction.on_commit(lambda: render_report_file.delay(item.pk))
    return item


def render_file(file_id: int) -> ReportFile:
    """Render one queued file: write to a temporary file, then move it into storage."""
    claimed = ReportFile.objects.filter(pk=file_id, status=ReportFile.Status.QUEUED).update(
        status=ReportFile.Status.RUNNING
    )
    item = ReportFile.objects.select_related("report__province").get(pk=file_id)
    if not claimed:
        return item  # another worker has it, or it is done
    report = item.report
    try:
        figures = annual_figures(report.province, report.year)
        with tempfile.NamedTemporaryFile(suffix=f".{item.format}", delete=False) as handle:
            RENDERERS[item.format](figures, report.narrative(), handle)
            path = handle.name
        with open(path, "rb") as rendered:
            item.file.save(
                f"bao-cao-{report.province.code}-{report.year}-{item.pk}.{item.format}", File(rendered), save=False
            )
        item.size = os.path.getsize(path)
        os.unlink(path)
        item.status = ReportFile.Status.READY
    except Exception as exc:  # recorded for the page; the task is not retried
        item.status, item.error = ReportFile.Status.FAILED, repr(exc)[:2000]
    item.finished_at = timezone.now()
    item.save()
    return item
