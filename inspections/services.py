"""Writes of the inspection cycle. Self-reports move draft → submitted → returned / accepted, never
skipping a state; every save names the revision it started from, so two people editing one draft
cannot silently overwrite each other."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Province, User
from agencies.uploads import document_store
from migrations_tracker.profile import profile_context

from .models import ReportingRound, SelfReport, SelfReportEvidence
from .sections import SECTIONS

EDITABLE = (SelfReport.Status.DRAFT, SelfReport.Status.RETURNED)


class EditConflict(Exception):
    """Someone saved the report after this user opened it."""


@transaction.atomic
def round_open(
    *,
    province: Province,
    year: int,
    opened_on: datetime.date,
    deadline: datetime.date,
    note: str = "",
    actor: User | None,
) -> ReportingRound:
    if deadline < opened_on:
        raise ValidationError({"deadline": _("The deadline cannot be before the round opens.")})
    reporting_round = ReportingRound(
        province=province, year=year, opened_on=opened_on, deadline=deadline, note=note, created_by=actor
    )
    reporting_round.full_clean()
    reporting_round.save()
    return reporting_round


def prefill(agency: Agency, reporting_round: ReportingRound) -> dict[str, str]:
    """Last year's answers where there are any; otherwise what the app knows, as a starting text."""
    previous = (
        SelfReport.objects.filter(
            agency=agency, round__province=reporting_round.province, round__year__lt=reporting_round.year
        )
        .order_by("-round__year")
        .values_list("answers", flat=True)
        .first()
    ) or {}
    facts = profile_context(agency, reporting_round.deadline)
    return {s.key: previous.get(s.key) or "\n".join(s.facts(facts)) for s in SECTIONS}


@transaction.atomic
def report_for(*, reporting_round: ReportingRound, agency: Agency) -> SelfReport:
    """The agency's report of the round, started (and pre-filled) the first time it is opened."""
    report = SelfReport.objects.filter(round=reporting_round, agency=agency).first()
    if report is None:
        report = SelfReport.objects.create(
            round=reporting_round, agency=agency, answers=prefill(agency, reporting_round)
        )
    return report


def _locked(report: SelfReport, expected_revision: int | None = None) -> SelfReport:
    current = SelfReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    if expected_revision is not None and current.revision != expected_revision:
        raise EditConflict
    return current


def _require_secretary_of(report: SelfReport, actor: User) -> None:
    if not (actor.role == User.Role.SECRETARY and actor.agency_id == report.agency_id):
        raise PermissionDenied(_("Only the agency's ISO secretary writes its report."))


def _require_dost(report: SelfReport, actor: User) -> None:
    if not (actor.role == User.Role.DOST and actor.province_id == report.round.province_id):
        raise PermissionDenied(_("Only DOST staff return or accept a report."))


@transaction.atomic
def report_save(*, report: SelfReport, answers: dict[str, str], expected_revision: int, actor: User) -> SelfReport:
    _require_secretary_of(report, actor)
    current = _locked(report, expected_revision)
    if current.status not in EDITABLE:
        raise ValidationError(_("The report was already submitted; it can be changed again only if DOST returns it."))
    current.answers = {s.key: (answers.get(s.key) or "").strip() for s in SECTIONS}
    current.revision += 1
    current.updated_by = actor
    current.save()
    return current


@transaction.atomic
def report_submit(*, report: SelfReport, answers: dict[str, str], expected_revision: int, actor: User) -> SelfReport:
    current = report_save(report=report, answers=answers, expected_revision=expected_revision, actor=actor)
    missing = [str(s.title) for s in SECTIONS if not current.answers.get(s.key)]
    if missing:
        raise ValidationError(
            _("Answer every section before submitting; missing: %(sections)s.") % {"sections": ", ".join(missing)}
        )
    current.status = SelfReport.Status.SUBMITTED
    current.submitted_at = timezone.now()
    current.submitted_by = actor
    current.save()
    return current


@transaction.atomic
def report_return(*, report: SelfReport, comment: str, actor: User) -> SelfReport:
    _require_dost(report, actor)
    current = _locked(report)
    if current.status != SelfReport.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be returned."))
    if not comment.strip():
        raise ValidationError({"comment": _("Say what must be revised.")})
    current.status = SelfReport.Status.RETURNED
    current.dost_comment = comment.strip()
    current.decided_at, current.decided_by = timezone.now(), actor
    current.revision += 1
    current.save()
    return current


@transaction.atomic
def report_accept(*, report: SelfReport, actor: User) -> SelfReport:
    _require_dost(report, actor)
    current = _locked(report)
    if current.status != SelfReport.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be accepted."))
    current.status = SelfReport.Status.ACCEPTED
    current.decided_at, current.decided_by = timezone.now(), actor
    current.revision += 1
    current.save()
    return current


@transaction.atomic
def evidence_add(*, report: SelfReport, upload: UploadedFile, section: str, actor: User) -> SelfReportEvidence:
    _require_secretary_of(report, actor)
    if report.status not in EDITABLE:
        raise ValidationError(_("The report was already submitted; it can be changed again only if DOST returns it."))
    document = document_store(agency=report.agency, upload=upload, actor=actor)
    return SelfReportEvidence.objects.create(report=report, section=section, document=document)
