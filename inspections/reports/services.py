"""Generating the annual report: in the background, once per version of the data, old versions kept."""

from __future__ import annotations

import os
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from agencies.models import Province, User
from iso_tracker.permissions import require

from ..documents import plan_pdf
from ..models import AnnualReport, InspectionPlan, ReportFile
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


def plan_is_large(plan: InspectionPlan) -> bool:
    """A plan of more agencies than PLAN_PDF_INLINE_MAX is rendered on the reports queue, not in a request."""
    return plan.entries.count() > settings.PLAN_PDF_INLINE_MAX


def plan_fingerprint(plan: InspectionPlan) -> str:
    """A SHA-256 of everything the Mẫu 19 shows, so the same plan is not rendered twice."""
    rows = plan.entries.order_by("pk").values_list(
        "agency__name", "mode", "planned_date", "team", "budget_vnd", "override_reason"
    )
    return fingerprint(
        {"entries": list(rows)}, {"plan": [plan.pk, plan.year, plan.approval_decision, plan.approved_on]}
    )


def plan_file(plan: InspectionPlan) -> ReportFile | None:
    """The Mẫu 19 of the plan as it is now, if it has been rendered."""
    return plan.files.filter(status=ReportFile.Status.READY, data_hash=plan_fingerprint(plan)).first()


def plan_generate(*, plan: InspectionPlan, actor: User) -> ReportFile:
    """Queue the Mẫu 19 of a large plan, unless this version of it is already there (or on its way)."""
    require(actor, "inspections.manage", plan)
    digest = plan_fingerprint(plan)
    existing = plan.files.filter(data_hash=digest).exclude(status=ReportFile.Status.FAILED).first()
    if existing is not None:
        return existing
    item = ReportFile.objects.create(
        plan=plan,
        format=ReportFile.Format.PDF,
        data_hash=digest,
        requested_by=actor if isinstance(actor, User) else None,
    )
    from ..tasks import render_report_file

    transaction.on_commit(lambda: render_report_file.delay(item.pk))
    return item


def _render(item: ReportFile, handle) -> str:
    """Write the file's document to `handle`; return the name it is stored under."""
    if item.plan_id:
        name, data = plan_pdf(item.plan)
        handle.write(data)
        return f"{item.plan.province.code}-{name.removesuffix('.pdf')}-{item.pk}.pdf"
    report = item.report
    RENDERERS[item.format](annual_figures(report.province, report.year), report.narrative(), handle)
    return f"bao-cao-{report.province.code}-{report.year}-{item.pk}.{item.format}"


def render_file(file_id: int) -> ReportFile:
    """Render one queued file: write to a temporary file, then move it into storage."""
    claimed = ReportFile.objects.filter(pk=file_id, status=ReportFile.Status.QUEUED).update(
        status=ReportFile.Status.RUNNING
    )
    item = ReportFile.objects.select_related("report__province", "plan__province").get(pk=file_id)
    if not claimed:
        return item  # another worker has it, or it is done
    try:
        with tempfile.NamedTemporaryFile(suffix=f".{item.format}", delete=False) as handle:
            name = _render(item, handle)
            path = handle.name
        with open(path, "rb") as rendered:
            item.file.save(name, File(rendered), save=False)
        item.size = os.path.getsize(path)
        os.unlink(path)
        item.status = ReportFile.Status.READY
    except Exception as exc:  # recorded for the page; the task is not retried
        item.status, item.error = ReportFile.Status.FAILED, repr(exc)[:2000]
    item.finished_at = timezone.now()
    item.save()
    return item
