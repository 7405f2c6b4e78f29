"""The figures of the annual report, computed in the database for one province and one year.

The same dictionary feeds the web preview, the PDF, the .xlsx and the .docx, so they cannot disagree;
`fingerprint` hashes it so that the same report for the same data is rendered once."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter

from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from agencies import stamps
from agencies.models import AgencyVersion, Category, Obligation, Province, Reorganisation
from agencies.selectors import counts_by_rule, existing_on, registry_rows
from migrations_tracker import selectors as qms
from migrations_tracker.models import NONE, Announcement, Attendance, Campaign, Milestone

from ..models import CorrectiveAction, Finding, Inspection, Mode, ReportingRound, SelfReport
from ..selectors import grouped_counts

SECTIONS = [  # (key, heading): data-driven, so Appendix II's final fields can be mapped later
    ("population", gettext_lazy("I. Application of the QMS in the agencies")),
    ("transition", gettext_lazy("II. Transition between editions of the standard")),  # the year's one, if only one
    ("reports", gettext_lazy("III. The agencies' self-reports")),
    ("inspections", gettext_lazy("IV. Results of the inspections")),
    ("findings", gettext_lazy("V. Nonconformities and corrective actions")),
    ("money", gettext_lazy("VI. Funding and training")),
    ("assessment", gettext_lazy("VII. General assessment")),
    ("difficulties", gettext_lazy("VIII. Difficulties and obstacles")),
    ("proposals", gettext_lazy("IX. Proposals and recommendations")),
]


# The agencies with no announcement, in the table of editions announced.
NOT_ANNOUNCED = pgettext_lazy("annual report", "not announced")


def period(province: Province, year: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of `year`'s report: the calendar year, or (Decree 09/2019/NĐ-CP) from 15
    December of the year before to 14 December; the last day is today while the period runs."""
    if province.reporting_period == Province.ReportingPeriod.DECREE_09:
        start, end = datetime.date(year - 1, 12, 15), datetime.date(year, 12, 14)
    else:
        start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    today = timezone.localdate()
    return start, (min(end, today) if start <= today <= end else end)


def headings(figures: dict) -> dict[str, str]:
    """The sections' headings in the active language (the year's transition named in the figures' one)."""
    shown = {key: str(heading) for key, heading in SECTIONS}
    return {**shown, "transition": figures.get("transition_heading") or shown["transition"]}


def active_campaigns(province: Province, year: int) -> list[Campaign]:
    """The transitions running in `year`: opened by its end, deadline not before its start."""
    return [
        c
        for c in qms.province_campaigns(province.pk)
        if c.opened_on <= datetime.date(year, 12, 31) and c.deadline >= datetime.date(year, 1, 1)
    ]


def _edition_title(edition) -> str:
    return edition.title_vi if translation.get_language() == "vi" else edition.title_en


def _transitions(rows, on: datetime.date, campaigns: list[Campaign]) -> list[dict]:
    shown = []
    for campaign in campaigns:
        step = qms.completing_step(campaign)
        by_category = qms.transition_by_category(rows, on, campaign)
        shown.append(
            {
                "title": _("Transition to %(edition)s") % {"edition": _edition_title(campaign.to_edition)},
                "deadline": campaign.deadline.strftime("%d/%m/%Y"),
                "rows": [(row["label"], row["total"], row[step.key] if step else 0) for row in by_category],
            }
        )
    return shown


def annual_figures(province: Province, year: int, language: str = "vi") -> dict:
    """The year's figures with their labels in `language`: Vietnamese for the documents (and their
    fingerprint), the interface language for the web page. Counted once per version of the data
    (agencies.stamps: the registry, inspections and QMS areas; the province's name and reporting
    period, its DOST's name, and today, are part of the key): the report's page, its "make" and its
    render share them."""
    named = f"{province.name}:{province.dost_name}:{province.reporting_period}"
    key = f"annual-figures:{province.pk}:{named}:{year}:{language}"
    areas = (stamps.REGISTRY, stamps.INSPECTIONS, stamps.QMS)
    return stamps.cached(areas, f"{key}:{timezone.localdate().isoformat()}", lambda: _in(language, province, year))


def _in(language: str, province: Province, year: int) -> dict:
    with translation.override(language):
        return _annual_figures(province, year)


def _annual_figures(province: Province, year: int) -> dict:
    start, on = period(province, year)
    versions = AgencyVersion.objects.filter(agency__province=province)
    rows = existing_on(versions, on)
    categories = [(key, str(label)) for key, label in Category.choices]
    obligations = [(key, str(label)) for key, label in Obligation.choices]
    conclusions = [(key, str(label)) for key, label in Inspection.Conclusion.choices]
    severities = [(key, str(label)) for key, label in Finding.Severity.choices]
    statuses = [(key, str(label)) for key, label in Finding.Status.choices]
    kinds = [(key, str(label)) for key, label in Reorganisation.Kind.choices]
    campaigns = active_campaigns(province, year)
    flag_list = qms.flags_for(campaigns)
    flag_labels = {flag.key: str(flag.label) for flag in flag_list}
    edition_titles = {e.code: _edition_title(e) for e in qms.editions()}
    by_category, by_obligation = counts_by_rule(qms.with_version(rows, on), on, "version_then")
    changes = dict(
        Reorganisation.objects.filter(province=province, effective_date__range=(start, on))
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    announced = qms.version_counts(rows, on)
    transitions = _transitions(rows, on, campaigns)
    reporting_round = ReportingRound.objects.filter(province=province, year=year).first()
    report_states = {}
    if reporting_round is not None:
        report_states = dict(
            SelfReport.objects.filter(round=reporting_round)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    inspections = Inspection.objects.filter(province=province, year=year)
    by_mode, by_conclusion = grouped_counts(inspections, "mode"), grouped_counts(inspections, "conclusion")
    findings = Finding.objects.filter(inspection__in=inspections)
    finding_counts = findings.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(status__in=[Finding.Status.OPEN, Finding.Status.REJECTED], due_on__lt=on)),
        **{f"sev_{k}": Count("pk", filter=Q(severity=k)) for k, _l in severities},
        **{f"st_{k}": Count("pk", filter=Q(status=k)) for k, _l in statuses},
    )
    rejected = CorrectiveAction.objects.filter(
        finding__in=findings, decision=CorrectiveAction.Decision.REJECTED
    ).count()
    formality = list(
        inspections.filter(conclusion=Inspection.Conclusion.FORMALITY)
        .order_by("agency__name")
        .values_list("agency__name", flat=True)
    )
    spending = qms.spending(rows, on)
    spent_in_period = qms.spending(rows, on, since=start)["total"]
    trained = Attendance.objects.filter(course__province=province, course__start_date__range=(start, on)).count()
    flags = qms.flag_counts(rows, on, flag_list)

    latest_inspection = {
        agency_id: (mode, conclusion)
        for agency_id, mode, conclusion in inspections.order_by("agency_id", "start_date").values_list(
            "agency_id", "mode", "conclusion"
        )
    }
    # A year's annex lists the findings of that year's inspections against the unit inspected, even when a
    # reorganisation has since handed them to a successor (the report of a year keeps that year's units).
    open_by_agency = Counter(
        findings.exclude(status=Finding.Status.CLOSED).values_list("inspection__agency_id", flat=True)
    )
    latest = campaigns[-1] if campaigns else None  # the annex shows the newest transition of the year
    completing = qms.completing_step(latest) if latest else None
    reannounced = set(
        Milestone.objects.filter(step=completing, date__lte=on, agency_id__in=rows.values("agency_id")).values_list(
            "agency_id", flat=True
        )
        if completing
        else []
    )
    version_of = dict(qms.with_version(rows.order_by(), on).values_list("agency_id", "version_then"))
    conclusion_labels, category_labels = dict(conclusions), dict(categories)
    mode_labels = {k: str(v) for k, v in Mode.choices}
    version_labels = {NONE: pgettext("annual report annex", "Not applied yet"), **edition_titles}
    # Every edition agencies are announced on, and those the year's transitions lead from or to.
    shown_editions = [
        code
        for code in edition_titles
        if announced.get(code)
        or any(code == c.to_edition_id or code in {e.code for e in c.from_editions.all()} for c in campaigns)
    ]
    annex = []
    for row in registry_rows(versions, as_of=on).iterator(chunk_size=2000):
        mode, conclusion = latest_inspection.get(row.agency_id, ("", ""))
        annex.append(
            [
                row.agency.code,
                row.name,
                category_labels[row.category],
                version_labels.get(version_of.get(row.agency_id) or NONE, version_of.get(row.agency_id)),
                "x" if row.agency_id in reannounced else "",
                mode_labels.get(mode, ""),
                conclusion_labels.get(conclusion, ""),
                open_by_agency.get(row.agency_id, 0),
            ]
        )
    return {
        "province": province.name,
        "province_code": province.code,  # the document's code (templates/inspections/pdf/_code.html)
        **province.renamed_issuer(),  # the issuing body, when the province named its DOST otherwise
        "year": year,
        "as_of": on.strftime("%d/%m/%Y"),
        "period_start": start.strftime("%d/%m/%Y"),
        "total": sum(by_category.values()),
        "by_category": [(label, by_category[key]) for key, label in categories if by_category.get(key)],
        "by_obligation": [
            (label, by_obligation[key]["total"], by_obligation[key]["version_then"]) for key, label in obligations
        ],
        "changes": [(label, changes.get(key, 0)) for key, label in kinds if changes.get(key)],
        "announced": [
            *[(version_labels[k], announced.get(k, 0)) for k in shown_editions],
            (NOT_ANNOUNCED, announced.get(NONE, 0)),
        ],
        "transitions": transitions,
        "transition_heading": f"II. {transitions[0]['title']}" if len(transitions) == 1 else "",
        "announcements_in_year": Announcement.objects.filter(
            agency_id__in=rows.values("agency_id"), decision_date__range=(start, on)
        ).count(),
        "reports": {
            "round": bool(reporting_round),
            "asked": sum(by_category.values()),
            "submitted": report_states.get("submitted", 0) + report_states.get("accepted", 0),
            "accepted": report_states.get("accepted", 0),
            "returned": report_states.get("returned", 0),
        },
        "inspected": sum(by_mode.values()),
        "onsite": by_mode.get(Mode.ONSITE, 0),
        "dossier": by_mode.get(Mode.DOSSIER, 0),
        "by_conclusion": [(label, by_conclusion.get(key, 0)) for key, label in conclusions],
        "findings_total": finding_counts["total"],
        "findings_overdue": finding_counts["overdue"],
        "by_severity": [(label, finding_counts[f"sev_{key}"]) for key, label in severities],
        "by_status": [(label, finding_counts[f"st_{key}"]) for key, label in statuses],
        "actions_rejected": rejected,
        "formality": formality,
        "spent": spent_in_period,
        "spent_to_date": spending["total"],
        "over_cap": [(r["agency__name"], r["spent"], r["cap"]) for r in spending["over_cap"]],
        "trained": trained,
        "flags": [(flag_labels[key], n) for key, n in flags.items() if n],
        "annex_headers": [
            pgettext("annual report annex", "Code"),
            pgettext("annual report annex", "Agency name"),
            pgettext("annual report annex", "Category"),
            pgettext("annual report annex", "Standard announced"),
            (
                pgettext("annual report annex", "Transition %(edition)s") % {"edition": latest.to_edition_id}
                if latest
                else pgettext("annual report annex", "Transition")
            ),
            pgettext("annual report annex", "Kind of inspection"),
            pgettext("annual report annex", "Conclusion"),
            pgettext("annual report annex", "Nonconformities not corrected"),
        ],
        "annex": annex,
    }


def fingerprint(figures: dict, narrative: dict) -> str:
    payload = json.dumps({"figures": figures, "narrative": narrative}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
