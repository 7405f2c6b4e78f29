"""One agency's whole story for its page: its QMS, last inspections, findings, self-reports, announcements,
audits and reviews, and staff, each with what leads to the full list. A fixed number of queries, however
long the agency's history; only what the user may see."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from iso_tracker.permissions import can

from .models import Agency, User

SHOWN = 3  # inspections, announcements
REPORT_YEARS = 5
FINDINGS_SHOWN = 5


def _qms(agency: Agency, on: datetime.date) -> dict:
    from migrations_tracker.models import QMSProfile, RoleAssignment
    from migrations_tracker.selectors import agency_flags, flag_action, province_campaigns

    reviews = agency.reviews.filter(date__lte=on).select_related("edition")
    story = {
        "profile": QMSProfile.objects.filter(agency=agency).select_related("edition").first(),
        "announcements": list(agency.announcements.select_related("edition")[:SHOWN]),
        "last_audit": reviews.filter(kind="audit").first(),
        "last_review": reviews.filter(kind="review").first(),
        "roles": list(
            RoleAssignment.objects.filter(staff__agency=agency, start_date__lte=on)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
            .select_related("staff")
            .order_by("role", "staff__full_name")
        ),
        "flags": [],
    }
    if agency.is_active_on(on):
        flags = agency_flags(agency, on, province_campaigns(agency.province_id))
        story["flags"] = [(flag, flag_action(agency.pk, flag)) for flag in flags]
    return story


def _inspections(user: User, agency: Agency) -> dict:
    from inspections.selectors import visible_inspections

    inspections = visible_inspections(user).filter(agency=agency)
    return {
        "inspections": list(inspections.annotate(n_findings=Count("findings")).order_by("-start_date", "-pk")[:SHOWN]),
        "inspection_count": inspections.count(),
    }


def _findings(user: User, agency: Agency, on: datetime.date) -> dict:
    from inspections.models import Finding
    from inspections.selectors import finding_counts, visible_findings

    findings = visible_findings(user).filter(agency=agency)
    counts = finding_counts(findings, on)
    return {
        "finding_counts": counts,
        "open_findings": list(
            findings.exclude(status=Finding.Status.CLOSED)
            .select_related("inspection__agency")
            .order_by("due_on", "pk")[:FINDINGS_SHOWN]
        ),
    }


def _self_reports(user: User, agency: Agency, on: datetime.date) -> list[dict]:
    """The agency's self-report in each of the province's last rounds it was asked in: its status, whether
    it was late, and whether the user can open it (a report not started opens only for its secretary)."""
    from inspections.models import SelfReport
    from inspections.selectors import visible_reports, visible_rounds
    from inspections.services import reports_in

    rounds = [
        r
        for r in visible_rounds(user).filter(province_id=agency.province_id).order_by("-year")[: REPORT_YEARS + 2]
        if reports_in(agency, r) and (agency.established_on is None or agency.established_on <= r.deadline)
    ][:REPORT_YEARS]
    reports = {r.round_id: r for r in visible_reports(user).filter(agency=agency, round__in=[r.pk for r in rounds])}
    writes = can(user, "self_report.write", agency)
    rows = []
    for reporting_round in rounds:
        report = reports.get(reporting_round.pk)
        if report is not None:
            report.round = reporting_round  # is_late reads the round's deadline
        rows.append(
            {
                "round": reporting_round,
                "report": report,
                "open": reporting_round.opened_on <= on <= reporting_round.deadline,
                "late": report.is_late if report else on > reporting_round.deadline,
                "can_open": report is not None or (writes and reporting_round.opened_on <= on),
                "submitted": report is not None and report.status != SelfReport.Status.DRAFT,
            }
        )
    return rows


def agency_story(user: User, agency: Agency, on: datetime.date) -> dict:
    return {
        **_qms(agency, on),
        **_inspections(user, agency),
        **_findings(user, agency, on),
        "self_reports": _self_reports(user, agency, on),
    }
