"""Writes of the inspection cycle. Self-reports move draft → submitted → returned / accepted, never
skipping a state; every save names the revision it started from, so two people editing one draft
cannot silently overwrite each other. Plan entries, inspections and findings count their saves the
same way (`_claim`): an edit or a decision made on an older revision is refused (EditConflict)."""

from __future__ import annotations

import datetime
import math
from typing import TypeVar

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyVersion, Province, User
from agencies.selectors import existing_on
from agencies.uploads import document_store
from iso_tracker.concurrency import EditConflict
from iso_tracker.permissions import require
from migrations_tracker.profile import profile_context

from .models import (
    Check,
    CorrectiveAction,
    Finding,
    Inspection,
    InspectionEvidence,
    InspectionPlan,
    Mode,
    PlanEntry,
    ReportingRound,
    SelfReport,
    SelfReportEvidence,
)
from .risk import risk_scores
from .sections import SECTION_KEYS, SECTIONS

EDITABLE = (SelfReport.Status.DRAFT, SelfReport.Status.RETURNED)
M = TypeVar("M", bound=Model)


@transaction.atomic
def round_open(
    *,
    province: Province,
    year: int,
    opened_on: datetime.date,
    deadline: datetime.date,
    note: str = "",
    actor: User,
) -> ReportingRound:
    require(actor, "inspections.manage", province)
    if deadline < opened_on:
        raise ValidationError({"deadline": _("The deadline cannot be before the round opens.")})
    reporting_round = ReportingRound(
        province=province,
        year=year,
        opened_on=opened_on,
        deadline=deadline,
        note=note,
        created_by=actor if isinstance(actor, User) else None,
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


def reports_in(agency: Agency, reporting_round: ReportingRound) -> bool:
    """An agency reports in a round unless it had ended before the round opened."""
    return agency.ended_on is None or agency.ended_on > reporting_round.opened_on


def report_draft(*, reporting_round: ReportingRound, agency: Agency) -> SelfReport:
    """The report a secretary sees before their first save: pre-filled, not yet written anywhere."""
    return SelfReport(round=reporting_round, agency=agency, answers=prefill(agency, reporting_round))


@transaction.atomic
def report_for(*, reporting_round: ReportingRound, agency: Agency, actor: User) -> SelfReport:
    """The agency's report of the round, started (and pre-filled) by the secretary's first save."""
    report = SelfReport.objects.filter(round=reporting_round, agency=agency).first()
    if report is None:
        require(actor, "self_report.write", agency)
        if not reports_in(agency, reporting_round):
            raise ValidationError(_("The agency had ended before this round opened; it has no report in it."))
        report, _created = SelfReport.objects.get_or_create(
            round=reporting_round, agency=agency, defaults={"answers": prefill(agency, reporting_round)}
        )
    return report


def _locked(report: SelfReport, expected_revision: int | None = None) -> SelfReport:
    current = SelfReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    if expected_revision is not None and current.revision != expected_revision:
        raise EditConflict
    return current


@transaction.atomic
def report_save(*, report: SelfReport, answers: dict[str, str], expected_revision: int, actor: User) -> SelfReport:
    require(actor, "self_report.write", report)
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
def report_return(*, report: SelfReport, comment: str, expected_revision: int, actor: User) -> SelfReport:
    """DOST returns the report it read (`expected_revision`): refused if it changed since (EditConflict)."""
    require(actor, "self_report.decide", report.round)
    current = _locked(report, expected_revision)
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
def report_accept(*, report: SelfReport, expected_revision: int, actor: User) -> SelfReport:
    """DOST accepts the report it read (`expected_revision`): refused if it changed since (EditConflict)."""
    require(actor, "self_report.decide", report.round)
    current = _locked(report, expected_revision)
    if current.status != SelfReport.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be accepted."))
    current.status = SelfReport.Status.ACCEPTED
    current.decided_at, current.decided_by = timezone.now(), actor
    current.revision += 1
    current.save()
    return current


@transaction.atomic
def evidence_add(*, report: SelfReport, upload: UploadedFile, section: str, actor: User) -> SelfReportEvidence:
    require(actor, "self_report.write", report)
    if report.status not in EDITABLE:
        raise ValidationError(_("The report was already submitted; it can be changed again only if DOST returns it."))
    document = document_store(agency=report.agency, upload=upload, actor=actor)
    return SelfReportEvidence.objects.create(report=report, section=section, document=document)


# Plans, inspections, findings ---------------------------------------------------------------------

CORRECTIVE_ACTION_MONTHS = 2  # Circular 26: the agency reports its corrective actions within 2 months


def _claim(record: M, expected_revision: int | None) -> M:
    """Count this write as a save of the record, in one conditional UPDATE that also holds its row until the
    transaction ends, and reload the record as it now is. Refused (EditConflict) if it was saved after
    `expected_revision`, the revision the user opened or read (None: a command or a job, which names none)."""
    rows = type(record).objects.filter(pk=record.pk)
    if expected_revision is not None:
        rows = rows.filter(revision=expected_revision)
    if not rows.update(revision=F("revision") + 1):
        raise EditConflict
    record.refresh_from_db()
    return record


@transaction.atomic
def plan_propose(*, province: Province, year: int, on: datetime.date, actor: User) -> InspectionPlan:
    """Create the year's plan: every agency existing on `on` by dossier, the riskiest third on site."""
    require(actor, "inspections.manage", province)
    plan = InspectionPlan(province=province, year=year, created_by=actor)
    plan.full_clean()
    plan.save()
    rows = existing_on(AgencyVersion.objects.filter(agency__province=province), on)
    scores = risk_scores(rows, on, province)
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))
    onsite = math.ceil(len(ranked) / 3)
    PlanEntry.objects.bulk_create(
        [
            PlanEntry(
                plan=plan,
                agency_id=agency_id,
                risk_score=score,
                risk_reasons=reasons,
                proposed_mode=Mode.ONSITE if rank < onsite else Mode.DOSSIER,
                mode=Mode.ONSITE if rank < onsite else Mode.DOSSIER,
            )
            for rank, (agency_id, (score, reasons)) in enumerate(ranked)
        ]
    )
    return plan


@transaction.atomic
def plan_entry_update(
    *,
    entry: PlanEntry,
    actor: User,
    mode: str,
    override_reason: str = "",
    planned_date: datetime.date | None = None,
    team: str = "",
    budget_vnd: int = 0,
    expected_revision: int | None = None,
) -> PlanEntry:
    """Edit the entry the user opened (`expected_revision`); a newer save is not overwritten (EditConflict)."""
    require(actor, "inspections.manage", entry.plan)
    _claim(entry, expected_revision)
    if mode != entry.proposed_mode and not override_reason.strip():
        raise ValidationError({"override_reason": _("Give the reason for choosing another mode than proposed.")})
    entry.mode, entry.planned_date, entry.team, entry.budget_vnd = mode, planned_date, team, budget_vnd
    entry.override_reason = override_reason.strip() if mode != entry.proposed_mode else ""
    entry.full_clean()
    entry.save()
    return entry


def onsite_shortfall(plan: InspectionPlan) -> int:
    """How many more on-site visits the plan needs to reach one third of its agencies (0 when it does)."""
    counts = plan.entries.aggregate(total=Count("pk"), onsite=Count("pk", filter=Q(mode=Mode.ONSITE)))
    return max(math.ceil(counts["total"] / 3) - counts["onsite"], 0)


@transaction.atomic
def inspection_start(
    *,
    agency: Agency,
    mode: str,
    start_date: datetime.date,
    actor: User,
    entry: PlanEntry | None = None,
    team: str = "",
    decision_number: str = "",
) -> Inspection:
    """Open an inspection (planned or ad hoc); a dossier inspection starts from the agency's latest report."""
    require(actor, "inspections.manage", agency.province)
    if entry is not None and hasattr(entry, "inspection"):
        return entry.inspection
    report = (
        SelfReport.objects.filter(agency=agency, submitted_at__isnull=False, round__year__lte=start_date.year)
        .order_by("-round__year")
        .first()
    )
    inspection = Inspection(
        province_id=agency.province_id,
        agency=agency,
        plan_entry=entry,
        year=start_date.year,
        mode=mode,
        start_date=start_date,
        team=team or (entry.team if entry else ""),
        decision_number=decision_number,
        self_report=report,
    )
    inspection.full_clean()
    inspection.save()
    Check.objects.bulk_create([Check(inspection=inspection, item=key) for key in SECTION_KEYS])
    return inspection


@transaction.atomic
def checks_record(
    *, inspection: Inspection, results: dict[str, tuple[str, str]], actor: User, expected_revision: int | None = None
) -> None:
    """Save the checklist of the inspection the user opened (`expected_revision`): a save of the record
    (checklist or conclusion) since then is not overwritten (EditConflict)."""
    require(actor, "inspections.manage", inspection.province)
    _claim(inspection, expected_revision)
    for check in inspection.checks.all():
        result, note = results.get(check.item, (check.result, check.note))
        if (result, note) != (check.result, check.note):
            check.result, check.note = result, note
            check.full_clean()
            check.save()


def _due(inspection: Inspection) -> datetime.date | None:
    signed = inspection.minutes_signed_on
    return signed + relativedelta(months=CORRECTIVE_ACTION_MONTHS) if signed else None


@transaction.atomic
def finding_add(
    *,
    inspection: Inspection,
    item: str,
    severity: str,
    description: str,
    clause: str = "",
    due_on: datetime.date | None = None,
    actor: User,
) -> Finding:
    require(actor, "inspections.manage", inspection.province)
    if item not in SECTION_KEYS:
        raise ValidationError({"item": _("Choose an item of the checklist.")})
    finding = Finding(
        inspection=inspection,
        agency_id=inspection.agency_id,  # responsible for it until a reorganisation hands it over
        item=item,
        severity=severity,
        description=description.strip(),
        clause=clause.strip(),
        due_on=due_on or _due(inspection),
    )
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def inspection_conclude(
    *,
    inspection: Inspection,
    conclusion: str,
    conclusion_note: str,
    minutes_signed_on: datetime.date | None,
    end_date: datetime.date | None,
    actor: User,
    expected_revision: int | None = None,
) -> Inspection:
    """Record the conclusion and the minutes on the record the user opened (`expected_revision`; a newer
    save is not overwritten: EditConflict). Findings get 2 months from the signing unless their deadline
    was set otherwise; a corrected signing date moves the deadlines it had given."""
    require(actor, "inspections.manage", inspection.province)
    _claim(inspection, expected_revision)
    if minutes_signed_on and minutes_signed_on < inspection.start_date:
        raise ValidationError({"minutes_signed_on": _("The minutes cannot be signed before the inspection starts.")})
    old_due = _due(inspection)
    inspection.conclusion, inspection.conclusion_note = conclusion, conclusion_note.strip()
    inspection.minutes_signed_on, inspection.end_date = minutes_signed_on, end_date
    inspection.full_clean()
    inspection.save()
    new_due = _due(inspection)
    if new_due and new_due != old_due:
        following = Q(due_on__isnull=True) | Q(due_on=old_due) if old_due else Q(due_on__isnull=True)
        for finding in inspection.findings.filter(following):
            finding.due_on = new_due
            finding.revision = F("revision") + 1  # a save of the finding too
            finding.save()
    return inspection


@transaction.atomic
def action_report(
    *, finding: Finding, action: str, upload: UploadedFile | None, actor: User, expected_revision: int | None = None
) -> CorrectiveAction:
    """The agency's secretary reports what was done about the finding as they read it (`expected_revision`):
    refused if it changed since (EditConflict), e.g. a colleague answered it first."""
    agency = finding.agency
    require(actor, "finding.answer", finding)
    _claim(finding, expected_revision)
    if finding.status not in (Finding.Status.OPEN, Finding.Status.REJECTED):
        raise ValidationError(_("This finding is not waiting for a corrective action."))
    if not action.strip():
        raise ValidationError({"action": _("Describe the action taken.")})
    document = document_store(agency=agency, upload=upload, actor=actor) if upload else None
    answer = CorrectiveAction.objects.create(
        finding=finding, action=action.strip(), document=document, reported_by=actor
    )
    finding.status = Finding.Status.ANSWERED
    finding.save()
    return answer


@transaction.atomic
def action_decide(
    *, action: CorrectiveAction, accept: bool, reason: str, actor: User, expected_revision: int | None = None
) -> CorrectiveAction:
    """DOST accepts the action (the finding closes) or rejects it in writing (the agency must act again),
    deciding on the finding as read (`expected_revision`): refused if it changed since (EditConflict)."""
    require(actor, "finding.decide", action.finding.inspection.province)
    finding = _claim(action.finding, expected_revision)
    action.refresh_from_db(fields=["decision"])
    if action.decision or finding.status != Finding.Status.ANSWERED:
        raise ValidationError(_("This action was already decided."))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("Give the reason why the action is not accepted.")})
    action.decision = CorrectiveAction.Decision.ACCEPTED if accept else CorrectiveAction.Decision.REJECTED
    action.reason, action.decided_at, action.decided_by = reason.strip(), timezone.now(), actor
    action.save()
    finding.status = Finding.Status.CLOSED if accept else Finding.Status.REJECTED
    finding.save()
    return action


@transaction.atomic
def finding_recheck(
    *, finding: Finding, inspection: Inspection, effective: bool, actor: User, expected_revision: int | None = None
) -> Finding:
    """In a later inspection, DOST re-checks whether an earlier finding's correction is effective, deciding
    on the finding as read (`expected_revision`): refused if it changed since (EditConflict)."""
    require(actor, "inspections.manage", inspection.province)
    _claim(finding, expected_revision)
    if finding.inspection.agency_id != inspection.agency_id or finding.inspection.start_date >= inspection.start_date:
        raise ValidationError(_("Only an earlier finding of the same agency can be re-checked here."))
    finding.rechecked_in, finding.recheck_effective = inspection, effective
    if effective:
        finding.status = Finding.Status.CLOSED
    finding.save()
    return finding


@transaction.atomic
def inspection_evidence_add(
    *, inspection: Inspection, upload: UploadedFile, item: str, actor: User
) -> InspectionEvidence:
    require(actor, "inspections.manage", inspection.province)
    if item and item not in SECTION_KEYS:
        raise ValidationError({"item": _("Choose an item of the checklist.")})
    document = document_store(agency=inspection.agency, upload=upload, actor=actor)
    return InspectionEvidence.objects.create(inspection=inspection, item=item, document=document)
