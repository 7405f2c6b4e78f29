"""Reads of the inspection cycle, scoped through the registry's selectors."""

from __future__ import annotations

import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import AgencyVersion, User
from agencies.selectors import existing_on, registry_rows, visible_agencies, visible_versions

from .models import ReportingRound, SelfReport

NOT_STARTED, LATE = "not_started", "late"
STATES = [(NOT_STARTED, _("Not started")), *SelfReport.Status.choices, (LATE, _("Late"))]


def visible_rounds(user: User) -> QuerySet[ReportingRound]:
    if user.is_authenticated and user.province_id:
        return ReportingRound.objects.filter(province_id=user.province_id)
    return ReportingRound.objects.none()


def visible_reports(user: User) -> QuerySet[SelfReport]:
    return SelfReport.objects.filter(agency__in=visible_agencies(user), round__in=visible_rounds(user))


def _deadline_passed(reporting_round: ReportingRound) -> datetime.datetime:
    """The first instant after the deadline day, in the site's time zone."""
    day_after = reporting_round.deadline + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day_after, datetime.time()))


def _with_report(rows: QuerySet[AgencyVersion], reporting_round: ReportingRound) -> QuerySet[AgencyVersion]:
    report = SelfReport.objects.filter(round=reporting_round, agency=OuterRef("agency_id"))
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
