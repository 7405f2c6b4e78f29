"""Reads of the inspection cycle, scoped through the registry's selectors."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies import stamps
from agencies.models import AgencyVersion, Category, User
from agencies.selectors import existing_on, names_then, registry_rows, visible_agencies, visible_versions
from iso_tracker.permissions import can, province_scope

from .models import Finding, ReportingRound, SelfReport

NOT_STARTED, LATE = "not_started", "late"
STATES = [(NOT_STARTED, _("Not started")), *SelfReport.Status.choices, (LATE, _("Late"))]


def visible_rounds(user: User) -> QuerySet[ReportingRound]:
    return ReportingRound.objects.filter(province_scope(user))


def visible_reports(user: User) -> QuerySet[SelfReport]:
    return SelfReport.objects.filter(agency__in=visible_agencies(user), round__in=visible_rounds(user))


def _deadline_passed(reporting_round: ReportingRound) -> datetime.datetime:
    """The first instant after the deadline day, in the site's time zone."""
    day_after = reporting_round.deadline + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day_after, datetime.time()))


def _with_report(rows: QuerySet[AgencyVersion], reporting_round: ReportingRound) -> QuerySet[AgencyVersion]:
    # Without the model's ordering (round, agency): a per-row subquery needs no join nor sort (one report a
    # round and agency, by a unique constraint).
    report = SelfReport.objects.filter(round=reporting_round, agency=OuterRef("agency_id")).order_by()
    return rows.annotate(
        report_status=Subquery(report.values("status")[:1]),
        report_submitted_at=Subquery(report.values("submitted_at")[:1]),
    )


def _late(reporting_round: ReportingRound) -> Q:
    late = Q(report_submitted_at__gte=_deadline_passed(reporting_round))
    if timezone.localdate() > reporting_round.deadline:
        late |= Q(report_submitted_at__isnull=True)
    return late


def round_population(user: User, reporting_round: ReportingRound) -> QuerySet[AgencyVersion]:
    """The agencies asked to report: those the user may see that existed on the deadline."""
    return visible_versions(user).filter(agency__province=reporting_round.province)


def round_counts(user: User, reporting_round: ReportingRound) -> dict[str, int]:
    rows = _with_report(existing_on(round_population(user, reporting_round), reporting_round.deadline), reporting_round)
    counted = dict(rows.values_list("report_status").annotate(n=Count("pk")).values_list("report_status", "n"))
    counts = {key: counted.get(key, 0) for key, _label in SelfReport.Status.choices}
    counts[NOT_STARTED] = counted.get(None, 0)
    counts[LATE] = rows.filter(_late(reporting_round)).count()
    counts["total"] = sum(counted.values())
    return counts


def round_rows(user: User, reporting_round: ReportingRound, state: str = "") -> QuerySet[AgencyVersion]:
    rows = _with_report(
        registry_rows(round_population(user, reporting_round), as_of=reporting_round.deadline), reporting_round
    )
    if state == NOT_STARTED:
        return rows.filter(report_status__isnull=True)
    if state == LATE:
        return rows.filter(_late(reporting_round))
    if state in SelfReport.Status.values:
        return rows.filter(report_status=state)
    return rows


# Plans, inspections, findings ---------------------------------------------------------------------


def visible_plans(user: User):
    from .models import InspectionPlan

    if not can(user, "province.view"):
        return InspectionPlan.objects.none()
    return InspectionPlan.objects.filter(province_scope(user))


def visible_inspections(user: User):
    from .models import Inspection

    return Inspection.objects.filter(agency__in=visible_agencies(user))


def visible_signed(user: User):
    """The signed copies of the documents `user` may see (as `signatures.subject` lets them open one): the
    national report's for Ministry staff; their province's annual reports and plans for who reads the
    province; an inspection's decision and minutes for whoever sees the inspection."""
    from .models import SignedPdf

    Kind = SignedPdf.Kind
    seen = Q(kind__in=[Kind.DECISION, Kind.MINUTES], inspection__in=visible_inspections(user))
    if can(user, "province.view") and user.province_id:
        seen |= Q(kind=Kind.ANNUAL, province_id=user.province_id) | Q(kind=Kind.PLAN, plan__in=visible_plans(user))
    if can(user, "national.view"):
        seen |= Q(kind=Kind.NATIONAL)
    return SignedPdf.objects.filter(seen)


def visible_findings(user: User):
    from .models import Finding

    repeated = Finding.objects.filter(
        inspection__agency=OuterRef("inspection__agency"),
        item=OuterRef("item"),
        inspection__year__lt=OuterRef("inspection__year"),
    )
    return Finding.objects.filter(agency__in=visible_agencies(user)).annotate(repeated=Exists(repeated))


# The agency must report (again) a corrective action: the finding is open, or its action was not accepted.
TO_ANSWER = Q(status__in=[Finding.Status.OPEN, Finding.Status.REJECTED])


def overdue(on: datetime.date) -> Q:
    """Findings the agency has not answered (or must answer again) after their deadline."""
    return TO_ANSWER & Q(due_on__lt=on)


def home_figures(user: User, on: datetime.date) -> dict:
    """What waits for this user, each with the address of the list it counts (the home page's numbers
    are those lists' counts): for a secretary their agency's report and findings; for DOST and
    leadership the province's reports, actions, overdue findings, plans and this year's inspections."""
    from .models import PlanEntry

    findings = visible_findings(user)
    rounds = visible_rounds(user).filter(opened_on__lte=on, deadline__gte=on).order_by("-year")
    figures: dict = {"rounds": []}
    figures.update(finding_counts(findings, on))
    if not can(user, "province.view"):
        figures["next_findings"] = list(
            findings.filter(TO_ANSWER).select_related("inspection").order_by("due_on", "pk")[:5]
        )
        reports = {r.round_id: r for r in visible_reports(user).filter(round__in=rounds)}
        figures["rounds"] = [(r, reports.get(r.pk)) for r in rounds]
        figures["returned"] = list(
            visible_reports(user).filter(status=SelfReport.Status.RETURNED).select_related("round", "agency")
        )
        return figures
    figures["rounds"] = [(r, round_counts(user, r)) for r in rounds]
    figures["unapproved_plans"] = list(visible_plans(user).filter(approval_decision="").order_by("-year"))
    plan = visible_plans(user).filter(year=on.year).first()
    figures["year"] = on.year
    figures["plan"] = plan
    figures["planned"] = PlanEntry.objects.filter(plan=plan).count() if plan else 0
    figures.update(
        visible_inspections(user)
        .filter(year=on.year)
        .aggregate(inspected=Count("pk"), concluded=Count("pk", filter=~Q(conclusion="")))
    )
    return figures


def finding_counts(findings: QuerySet, on: datetime.date) -> dict[str, int]:
    """Of `findings`: all, not closed, awaiting the agency, overdue on `on`, awaiting DOST's decision — the
    counts of the findings list with status=all, its default, `to_answer`, `overdue` and `status=answered`."""
    return findings.aggregate(
        total=Count("pk"),
        unclosed=Count("pk", filter=~Q(status=Finding.Status.CLOSED)),
        to_answer=Count("pk", filter=TO_ANSWER),
        overdue=Count("pk", filter=overdue(on)),
        awaiting=Count("pk", filter=Q(status=Finding.Status.ANSWERED)),
    )


def cycle_figures(user: User, year: int, today: datetime.date) -> dict:
    """The inspection cycle of `year` for the province dashboard, as plain data (it goes into the
    dashboard's snapshot): the plan, the year's inspections by mode and conclusion, the self-reports of the
    year's round, and the findings open today. Each number is the count of the list it links to."""
    from .models import Inspection, Mode

    plan = visible_plans(user).filter(year=year).annotate(planned=Count("entries")).first()
    reporting_round = visible_rounds(user).filter(year=year).first()
    inspections = (
        visible_inspections(user)
        .filter(year=year)
        .aggregate(
            total=Count("pk"),
            onsite=Count("pk", filter=Q(mode=Mode.ONSITE)),
            dossier=Count("pk", filter=Q(mode=Mode.DOSSIER)),
            pending=Count("pk", filter=Q(conclusion="")),
            **{key: Count("pk", filter=Q(conclusion=key)) for key in Inspection.Conclusion.values},
        )
    )
    return {
        "year": year,
        "plan_url": plan.get_absolute_url() if plan else "",
        "planned": plan.planned if plan else 0,
        "inspections": inspections,
        "round_url": reporting_round.get_absolute_url() if reporting_round else "",
        "round_deadline": reporting_round.deadline.isoformat() if reporting_round else "",
        "reports": round_counts(user, reporting_round) if reporting_round else None,
        "findings": finding_counts(visible_findings(user), today),
    }


def overdue_findings(province_id: int, on: datetime.date):
    """The province's findings overdue on `on`: the one source of the number the finding list ("overdue"),
    the leadership summary and its table of agencies most behind all show."""
    return Finding.objects.filter(overdue(on), agency__province_id=province_id)


def grouped_counts(items: QuerySet, field: str) -> dict[str, int]:
    """How many of `items` have each value of `field` (blank values left out), counted in the database."""
    return dict(items.exclude(**{field: ""}).values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def year_figures(user: User, year: int) -> dict:
    """The year's figures for the annual report: inspections by mode and conclusion, findings by severity,
    status and category of agency; each a grouped count in the database, once per version of the data
    (agencies.stamps: a province's year is not counted again until an inspection, a finding or the
    registry changes, or the day does)."""
    on = timezone.localdate()
    key = f"year-figures:{stamps.scope_key(user)}:{year}:{on.isoformat()}"
    return stamps.cached((stamps.REGISTRY, stamps.INSPECTIONS), key, lambda: _count_year(user, year, on))


def _count_year(user: User, year: int, on: datetime.date) -> dict:
    from .models import Finding, Inspection, Mode

    inspections = visible_inspections(user).filter(year=year)
    by_mode, by_conclusion = grouped_counts(inspections, "mode"), grouped_counts(inspections, "conclusion")
    findings = visible_findings(user).filter(inspection__year=year)
    counted = findings.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=overdue(on)),
        **{f"severity_{k}": Count("pk", filter=Q(severity=k)) for k in Finding.Severity.values},
        **{f"status_{k}": Count("pk", filter=Q(status=k)) for k in Finding.Status.values},
    )
    by_category = dict(
        findings.values_list("inspection__agency__category")
        .annotate(n=Count("pk"))
        .values_list("inspection__agency__category", "n")
    )
    return {
        "inspected": sum(by_mode.values()),
        "onsite": by_mode.get(Mode.ONSITE, 0),
        "dossier": by_mode.get(Mode.DOSSIER, 0),
        "by_conclusion": [(k, label, by_conclusion.get(k, 0)) for k, label in Inspection.Conclusion.choices],
        "findings": counted,
        "by_severity": [(k, label, counted[f"severity_{k}"]) for k, label in Finding.Severity.choices],
        "by_status": [(k, label, counted[f"status_{k}"]) for k, label in Finding.Status.choices],
        "by_category": [(k, label, by_category[k]) for k, label in Category.choices if by_category.get(k)],
    }


def plan_day(plan) -> datetime.date:
    """The day a plan names its agencies on: its approval, else the end of its year (today if sooner)."""
    return plan.approved_on or min(datetime.date(plan.year, 12, 31), timezone.localdate())


def with_names_then(items, day_of) -> list:
    """`items` (plan entries, inspections…) each given `.agency_name_then`: its agency's name on `day_of(item)`,
    in one query. Lists and documents of a past year print the names of that year."""
    items = list(items)
    names = names_then((item.agency_id, day_of(item)) for item in items)
    for item in items:
        item.agency_name_then = names[(item.agency_id, day_of(item))] or item.agency.name
    return items
