"""The national dashboard (issue 17): one row per province, each figure the province's own dashboard's.

Each province's figures come from `snapshots.dashboard_figures`, as its own dashboard reads them (the
job's snapshot at national scale, else counted once per version of the data), so a row is by construction
what the province's DOST sees; the national total is their sum. The rows of a date are kept once per
version of the data (`agencies.stamps`) for every Ministry user.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from agencies import stamps
from agencies.models import Province

from . import selectors, snapshots
from .models import NONE

# The columns of the table, in order: key, and whether it is summed in the national total.
COLUMNS = (
    "agencies",
    "mandatory",
    "encouraged",
    "announced",
    "transition_done",
    "transition_total",
    "onsite",
    "dossier",
    "reports_late",
    "findings_open",
    "findings_overdue",
    "money_year",
)


def province_row(province: Province, on: datetime.date, campaigns: list) -> dict:
    """The figures of one province as of `on`, from its own dashboard's figures."""
    reader = snapshots._province_reader(province)
    figures, _computed_at = snapshots.dashboard_figures(reader, on, campaigns, None)
    versions, obligations, cycle = figures["versions"], figures["obligations"], figures["cycle"]
    agencies = sum(versions.values())
    campaign = selectors.campaign_shown(campaigns, on)
    step = selectors.completing_step(campaign) if campaign else None
    transition = figures["campaigns"].get(str(campaign.pk), {}).get("transition", []) if campaign else []
    reports = cycle["reports"]
    year_start = datetime.date(on.year, 1, 1)
    money = selectors.spending(selectors.population(reader, on), on, since=year_start)["total"]
    return {
        "province": {"pk": province.pk, "code": province.code, "name": province.name},
        "agencies": agencies,
        "mandatory": obligations["mandatory"]["total"],
        "encouraged": obligations["encouraged"]["total"],
        "editions": {code: count for code, count in versions.items() if code != NONE},
        "announced": agencies - versions.get(NONE, 0),
        "transition": {"to": campaign.to_edition.code, "name": str(campaign)} if campaign and step else None,
        "transition_done": sum(row[step.key] for row in transition) if step else 0,
        "transition_total": sum(row["total"] for row in transition) if step else 0,
        "onsite": cycle["inspections"]["onsite"],
        "dossier": cycle["inspections"]["dossier"],
        "round": bool(reports),
        "reports_late": reports["late"] if reports else 0,
        "findings_open": cycle["findings"]["unclosed"],
        "findings_overdue": cycle["findings"]["overdue"],
        "money_year": money,
    }


def _rows(on: datetime.date) -> list[dict]:
    provinces = list(Province.objects.order_by("name"))
    campaigns: dict[int, list] = {province.pk: [] for province in provinces}
    for campaign in selectors.all_campaigns():
        campaigns.setdefault(campaign.province_id, []).append(campaign)
    return [province_row(province, on, campaigns[province.pk]) for province in provinces]


def national_rows(on: datetime.date) -> list[dict]:
    """Every province's row as of `on`, kept once per version of the data."""
    key = f"national:{on.isoformat()}:{timezone.localdate().isoformat()}"
    areas = (stamps.REGISTRY, stamps.QMS, stamps.INSPECTIONS)
    return stamps.cached(areas, key, lambda: _rows(on))


def totals(rows: list[dict]) -> dict:
    """The national total of each column, and of each edition."""
    total = {key: sum(row[key] for row in rows) for key in COLUMNS}
    editions: dict[str, int] = {}
    for row in rows:
        for code, count in row["editions"].items():
            editions[code] = editions.get(code, 0) + count
    return {**total, "editions": editions, "provinces": len(rows)}


SORTS = ("name", *COLUMNS, "share")


def sort_rows(rows: list[dict], key: str, descending: bool) -> list[dict]:
    if key == "name":
        return sorted(rows, key=lambda row: row["province"]["name"], reverse=descending)
    if key == "share":
        return sorted(rows, key=share, reverse=descending)
    return sorted(rows, key=lambda row: row[key], reverse=descending)


def share(row: dict) -> float:
    """Of the province's agencies, the share that announced a QMS (the chart's measure)."""
    return row["announced"] / row["agencies"] if row["agencies"] else 0.0
