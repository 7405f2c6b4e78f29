"""The risk score behind the plan's proposal of on-site visits, with its explanation.

Each reason is (key, points, detail); the score is their sum. Everything is fetched in a fixed number
of queries for the whole province, then scored in Python."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from agencies.models import AgencyVersion, Province
from migrations_tracker import selectors as qms

from .models import Finding, Inspection, Mode, ReportingRound, SelfReport

FLAG_POINTS = {
    "no_internal_audit": 2,
    "no_management_review": 2,
    "untrained_staff": 2,
    "revision_overdue": 2,
    "uncovered_procedures": 1,
    "orphan_processes": 1,
    "scope_not_reannounced": 1,
}
REASONS = {
    "overdue_findings": _("Corrective actions overdue"),
    "open_findings": _("Findings still open"),
    "report_missing": _("Self-report not submitted"),
    "report_late": _("Self-report submitted late"),
    "report_returned": _("Self-report returned for revision"),
    "never_onsite": _("Never inspected on site"),
    "years_since_onsite": _("Years since the last on-site visit"),
    "formality": _("Concluded “applied as a formality” last time"),
    **{key: qms.FLAGS_BY_KEY[key].label for key in FLAG_POINTS},
    qms.TRANSITION_FLAG: _("Transition overdue"),  # detail: which transition
}
TRANSITION_POINTS = 2
MAX_YEARS = 5


def risk_scores(rows: QuerySet[AgencyVersion], on: datetime.date, province: Province) -> dict[int, tuple[int, list]]:
    """agency id → (score, [(reason key, points, detail), …]) for the agencies of `rows` as of `on`."""
    agency_ids = list(rows.values_list("agency_id", flat=True))
    reasons: dict[int, list] = defaultdict(list)

    for key, points in FLAG_POINTS.items():
        for agency_id in qms.flagged(rows.order_by(), qms.FLAGS_BY_KEY[key], on).values_list("agency_id", flat=True):
            reasons[agency_id].append((key, points, None))
    for campaign in qms.province_campaigns(province.pk):
        if campaign.deadline < on:
            flag = qms.campaign_flag(campaign)
            for agency_id in qms.flagged(rows.order_by(), flag, on).values_list("agency_id", flat=True):
                reasons[agency_id].append((qms.TRANSITION_FLAG, TRANSITION_POINTS, campaign.to_edition.title_vi))

    open_findings = Finding.objects.filter(agency_id__in=agency_ids, inspection__start_date__lte=on).exclude(
        status=Finding.Status.CLOSED
    )
    for row in open_findings.values("agency_id").annotate(
        n=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=on) & ~Q(status=Finding.Status.ANSWERED))
    ):
        if row["overdue"]:
            reasons[row["agency_id"]].append(("overdue_findings", min(3 * row["overdue"], 9), row["overdue"]))
        if row["n"] - row["overdue"]:
            reasons[row["agency_id"]].append(
                ("open_findings", min(row["n"] - row["overdue"], 3), row["n"] - row["overdue"])
            )

    last_round = ReportingRound.objects.filter(province=province, deadline__lt=on).order_by("-year").first()
    if last_round is not None:
        reports = dict(
            (r["agency_id"], r)
            for r in SelfReport.objects.filter(round=last_round, agency_id__in=agency_ids).values(
                "agency_id", "status", "submitted_at"
            )
        )
        for agency_id in agency_ids:
            report = reports.get(agency_id)
            if report is None or report["submitted_at"] is None:
                reasons[agency_id].append(("report_missing", 3, last_round.year))
            elif report["submitted_at"].date() > last_round.deadline:
                reasons[agency_id].append(("report_late", 2, last_round.year))
            if report is not None and report["status"] == SelfReport.Status.RETURNED:
                reasons[agency_id].append(("report_returned", 1, last_round.year))

    onsite = dict(
        Inspection.objects.filter(agency_id__in=agency_ids, mode=Mode.ONSITE, start_date__lte=on)
        .values("agency_id")
        .annotate(last=Max("start_date"))
        .values_list("agency_id", "last")
    )
    latest_conclusion: dict[int, str] = {}
    for agency_id, conclusion in (
        Inspection.objects.filter(agency_id__in=agency_ids, start_date__lte=on)
        .exclude(conclusion="")
        .order_by("agency_id", "-start_date")
        .values_list("agency_id", "conclusion")
    ):
        latest_conclusion.setdefault(agency_id, conclusion)
    for agency_id in agency_ids:
        last = onsite.get(agency_id)
        if last is None:
            reasons[agency_id].append(("never_onsite", MAX_YEARS, None))
        elif (years := on.year - last.year) > 0:
            reasons[agency_id].append(("years_since_onsite", min(years, MAX_YEARS), years))
        if latest_conclusion.get(agency_id) == Inspection.Conclusion.FORMALITY:
            reasons[agency_id].append(("formality", 4, None))

    return {agency_id: (sum(p for _k, p, _d in reasons[agency_id]), reasons[agency_id]) for agency_id in agency_ids}
