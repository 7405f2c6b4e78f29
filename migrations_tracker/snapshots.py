"""The dashboard's figures: counted in the database on each visit for a province of ordinary size;
read from a snapshot at most DASHBOARD_MAX_AGE_MINUTES old (a past date's: DASHBOARD_PAST_MAX_AGE_HOURS,
counted once and reused) once a province holds DASHBOARD_SNAPSHOT_FROM agencies or more (national scale).
The job `refresh_dashboards` renews today's snapshots every few minutes; a visit that finds none fresh
enough counts and saves one itself."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from agencies import stamps
from agencies.models import AgencyVersion, Province, User
from agencies.selectors import large_provinces
from inspections.selectors import cycle_figures

from . import selectors
from .models import Campaign, DashboardSnapshot


def campaign_figures(rows: QuerySet[AgencyVersion], on: datetime.date, campaign: Campaign, table: bool) -> dict:
    """One transition's part of the dashboard: its overdue flag, and (`table`) its milestones by category."""
    figures = {"overdue": selectors.flagged(rows.order_by(), selectors.campaign_flag(campaign), on).count()}
    if table:
        figures["transition"] = [
            {k: v for k, v in row.items() if k != "label"}
            for row in selectors.transition_by_category(rows, on, campaign)
        ]
    return figures


def compute(user: User, on: datetime.date, campaigns: list[Campaign], shown: Campaign | None) -> dict:
    """The figures of the province: the overdue flag of each of `campaigns`, and the milestones of those
    with a table (`shown`; every one when `shown` is None: the job's snapshot), by id as text."""
    rows = selectors.population(user, on)
    today = timezone.localdate()
    return {
        "versions": selectors.version_counts(rows, on),
        "obligations": selectors.obligation_figures(rows, on),
        "stages": selectors.stage_counts(rows) if on == today else None,
        "campaigns": {str(c.pk): campaign_figures(rows, on, c, shown in (None, c)) for c in campaigns},
        "flags": selectors.flag_counts(rows, on, selectors.FLAGS),
        "spending": _top_of(selectors.spending(rows, on)),
        "gaps": selectors.gap_counts(rows),
        # The inspection cycle of the date's year: the plan, inspections, self-reports, findings open today.
        "cycle": cycle_figures(user, on.year, today),
    }


def counted(user: User, on: datetime.date, campaigns: list[Campaign], shown: Campaign | None) -> dict:
    """`compute`, once per version of the data it reads (registry, QMS, inspections) for the users who see
    the same rows: a dashboard viewed again, by anyone of the province, costs only its rendering."""
    key = ":".join(
        [
            "dashboard",
            stamps.scope_key(user),
            on.isoformat(),
            timezone.localdate().isoformat(),
            ",".join(str(c.pk) for c in campaigns),
            str(shown.pk) if shown else "",
        ]
    )
    areas = (stamps.REGISTRY, stamps.QMS, stamps.INSPECTIONS)
    return stamps.cached(areas, key, lambda: compute(user, on, campaigns, shown))


OVER_CAP_SHOWN = 10  # the dashboard names the agencies most over the cap; the rest are on their own page


def _top_of(spending: dict) -> dict:
    """The spending figures with only the agencies most over the cap (a snapshot at national scale held
    every one of them), and how many there are."""
    over = spending["over_cap"]
    return {**spending, "over_cap": over[:OVER_CAP_SHOWN], "over_cap_count": len(over)}


def _province_reader(province: Province) -> User:
    """An unsaved DOST user of the province: the scoping rules then give exactly its agencies."""
    return User(role=User.Role.DOST, province=province, province_id=province.pk, is_active=True)


def _store(province_id: int, on: datetime.date, figures: dict, took: float) -> DashboardSnapshot:
    snapshot, _ = DashboardSnapshot.objects.update_or_create(
        province_id=province_id,
        on=on,
        defaults={"figures": figures, "computed_at": timezone.now(), "took_ms": int(took * 1000)},
    )
    return snapshot


def _max_age(on: datetime.date) -> datetime.timedelta:
    """How long figures as of `on` are reused: today's a few minutes, a past date's a day."""
    if on == timezone.localdate():
        return datetime.timedelta(minutes=settings.DASHBOARD_MAX_AGE_MINUTES)
    return datetime.timedelta(hours=settings.DASHBOARD_PAST_MAX_AGE_HOURS)


def dashboard_figures(
    user: User, on: datetime.date, campaigns: list[Campaign], campaign: Campaign | None
) -> tuple[dict, datetime.datetime | None]:
    """The figures (the overdue flags of `campaigns`, the milestones of `campaign`), and when they were
    computed if they come from (or went into) a snapshot. A snapshot holds every transition of the
    province the job knew; one it lacks is counted on the visit."""
    if not user.province_id:
        return compute(user, on, campaigns, campaign), None
    fresh_since = timezone.now() - _max_age(on)
    snapshot = DashboardSnapshot.objects.filter(
        province_id=user.province_id, on=on, computed_at__gte=fresh_since
    ).first()
    if snapshot is not None:
        figures = snapshot.figures
        if "cycle" not in figures:  # saved before the inspection cycle was part of the dashboard
            figures["cycle"] = cycle_figures(user, on.year, timezone.localdate())
        for c in campaigns:
            part = figures["campaigns"].get(str(c.pk))
            if part is None or (c == campaign and "transition" not in part):
                rows = selectors.population(user, on)
                figures["campaigns"][str(c.pk)] = campaign_figures(rows, on, c, c == campaign)
        return figures, snapshot.computed_at
    started = time.perf_counter()
    figures = counted(user, on, campaigns, campaign)
    if sum(figures["versions"].values()) >= settings.DASHBOARD_SNAPSHOT_FROM:
        return figures, _store(user.province_id, on, figures, time.perf_counter() - started).computed_at
    return figures, None


def refresh_all() -> int:
    """Renew today's snapshot of every province large enough to need one; the older days' are removed."""
    today = timezone.localdate()
    done = 0
    for province in large_provinces():
        started = time.perf_counter()
        figures = compute(_province_reader(province), today, selectors.province_campaigns(province.pk), None)
        _store(province.pk, today, figures, time.perf_counter() - started)
        done += 1
    # Past dates' figures (asked for "as of", or a former day's) go when they are too old to be reused.
    stale = timezone.now() - datetime.timedelta(hours=settings.DASHBOARD_PAST_MAX_AGE_HOURS)
    DashboardSnapshot.objects.filter(on__lt=today, computed_at__lt=stale).delete()
    return done


def forget(province_id: int) -> None:
    """Drop the province's saved figures (its transitions changed): the next visit counts afresh."""
    DashboardSnapshot.objects.filter(province_id=province_id).delete()
