"""The leadership summary: two or three pages with charts drawn as SVG and the agencies most behind."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from agencies.models import AgencyVersion, Province
from agencies.selectors import existing_on
from migrations_tracker import selectors as qms
from migrations_tracker.models import NONE

from ..selectors import overdue_findings
from .data import annual_figures
from .render import render_template_pdf


def bar_chart(rows: list[tuple[str, int]], *, total: int | None = None, width: int = 460, color: str = "#0b5394"):
    """A horizontal bar chart as inline SVG (WeasyPrint draws it; no browser, no script)."""
    scale = max([total or 0, *[v for _l, v in rows], 1])
    bar, gap, label_w = 16, 8, 210
    height = len(rows) * (bar + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="ISO Serif, serif" font-size="10">'
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar + gap)
        length = int((width - label_w - 40) * value / scale)
        parts.append(f'<text x="0" y="{y + 12}">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{width - label_w - 40}" height="{bar}" fill="#e9edf2"/>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length}" height="{bar}" fill="{color}"/>')
        parts.append(f'<text x="{width - 34}" y="{y + 12}">{value}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def _flags(province: Province, on: datetime.date) -> list[qms.Flag]:
    """The flags of the province as of `on`: the fixed ones and those of its transitions opened by then."""
    return qms.flags_for(qms.opened_by(qms.province_campaigns(province.pk), on))


def most_behind(province: Province, on: datetime.date, limit: int = 10) -> list[tuple[str, int, list[str]]]:
    rows = existing_on(AgencyVersion.objects.filter(agency__province=province), on)
    names = dict(rows.values_list("agency_id", "name"))
    problems: dict[int, list[str]] = defaultdict(list)
    with translation.override("vi"):
        for flag in _flags(province, on):
            for agency_id in qms.flagged(rows, flag, on).values_list("agency_id", flat=True):
                problems[agency_id].append(str(flag.label))
    overdue = defaultdict(int)
    existing = overdue_findings(province.pk, on).filter(agency_id__in=rows.values("agency_id"))
    for agency_id in existing.values_list("agency_id", flat=True):
        overdue[agency_id] += 1
    for agency_id, n in overdue.items():
        problems[agency_id].insert(0, f"{n} hành động khắc phục quá hạn")
    ranked = sorted(problems, key=lambda a: (-(len(problems[a]) + overdue.get(a, 0)), names.get(a, "")))
    return [(names.get(a, ""), len(problems[a]) + overdue.get(a, 0), problems[a]) for a in ranked[:limit]]


def summary_pdf(province: Province, on: datetime.date | None = None) -> bytes:
    on = on or timezone.localdate()
    rows = existing_on(AgencyVersion.objects.filter(agency__province=province), on)
    versions = qms.version_counts(rows, on)
    with translation.override("vi"):
        version_rows = [
            *[(e.title_vi, versions[e.code]) for e in reversed(qms.editions()) if versions.get(e.code)],
            ("Chưa công bố", versions.get(NONE, 0)),
        ]
        flags = _flags(province, on)
        counts = qms.flag_counts(rows, on, flags)
        flag_rows = [(str(flag.label), counts[flag.key]) for flag in flags]
    total = sum(versions.values())
    year = annual_figures(province, on.year)
    context = {
        "province": province.name,
        "on": on,
        "total": total,
        "year": year,
        "versions_chart": bar_chart(version_rows, total=total),
        "flags_chart": bar_chart(flag_rows, total=total, color="#b02a37"),
        "behind": most_behind(province, on),
        "overdue": overdue_findings(province.pk, on).count(),
    }
    return render_template_pdf("inspections/pdf/summary.html", context)
