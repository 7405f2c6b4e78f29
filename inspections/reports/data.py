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

from agencies.models import AgencyVersion, Category, Province, Reorganisation
from agencies.selectors import category_counts, existing_on, registry_rows
from migrations_tracker import selectors as qms
from migrations_tracker.models import Announcement, Attendance, Milestone, Version

from ..models import CorrectiveAction, Finding, Inspection, Mode, ReportingRound, SelfReport
from ..selectors import grouped_counts

SECTIONS = [  # (key, Vietnamese heading): data-driven, so Appendix II's final fields can be mapped later
    ("population", "I. Tình hình áp dụng HTQLCL tại các cơ quan"),
    ("transition", "II. Chuyển đổi sang TCVN ISO 9001:2015"),
    ("reports", "III. Báo cáo của các cơ quan"),
    ("inspections", "IV. Kết quả kiểm tra"),
    ("findings", "V. Điểm không phù hợp và hành động khắc phục"),
    ("money", "VI. Kinh phí và đào tạo"),
    ("assessment", "VII. Đánh giá chung"),
    ("difficulties", "VIII. Khó khăn, vướng mắc"),
    ("proposals", "IX. Đề xuất, kiến nghị"),
]


def as_of(year: int) -> datetime.date:
    today = timezone.localdate()
    end = datetime.date(year, 12, 31)
    return min(end, today) if year == today.year else end


def annual_figures(province: Province, year: int) -> dict:
    on = as_of(year)
    start = datetime.date(year, 1, 1)
    versions = AgencyVersion.objects.filter(agency__province=province)
    rows = existing_on(versions, on)
    with translation.override("vi"):
        categories = [(key, str(label)) for key, label in Category.choices]
        conclusions = [(key, str(label)) for key, label in Inspection.Conclusion.choices]
        severities = [(key, str(label)) for key, label in Finding.Severity.choices]
        statuses = [(key, str(label)) for key, label in Finding.Status.choices]
        kinds = [(key, str(label)) for key, label in Reorganisation.Kind.choices]
        flag_labels = {flag.key: str(flag.label) for flag in qms.FLAGS}
    by_category = category_counts(rows)
    changes = dict(
        Reorganisation.objects.filter(province=province, effective_date__range=(start, on))
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    announced = qms.version_counts(rows, on)
    transition = qms.transition_by_category(rows, on)
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
    trained = Attendance.objects.filter(course__province=province, course__start_date__range=(start, on)).count()
    flags = qms.flag_counts(rows, on)

    latest_inspection = {
        agency_id: (mode, conclusion)
        for agency_id, mode, conclusion in inspections.order_by("agency_id", "start_date").values_list(
            "agency_id", "mode", "conclusion"
        )
    }
    open_by_agency = Counter(
        findings.exclude(status=Finding.Status.CLOSED).values_list("inspection__agency_id", flat=True)
    )
    reannounced = set(
        Milestone.objects.filter(
            kind=Milestone.Kind.REANNOUNCED, date__lte=on, agency_id__in=rows.values("agency_id")
        ).values_list("agency_id", flat=True)
    )
    version_of = dict(qms.with_version(rows.order_by(), on).values_list("agency_id", "version_then"))
    mode_labels, conclusion_labels, category_labels = dict(Mode.choices), dict(conclusions), dict(categories)
    with translation.override("vi"):
        mode_labels = {k: str(v) for k, v in Mode.choices}
        version_labels = {k: str(v) for k, v in Version.choices}
    annex = []
    for row in registry_rows(versions, as_of=on).iterator(chunk_size=2000):
        mode, conclusion = latest_inspection.get(row.agency_id, ("", ""))
        annex.append(
            [
                row.agency.code,
                row.name,
                category_labels[row.category],
                version_labels[version_of.get(row.agency_id) or Version.NONE],
                "x" if row.agency_id in reannounced else "",
                mode_labels.get(mode, ""),
                conclusion_labels.get(conclusion, ""),
                open_by_agency.get(row.agency_id, 0),
            ]
        )
    return {
        "province": province.name,
        "year": year,
        "as_of": on.strftime("%d/%m/%Y"),
        "total": sum(by_category.values()),
        "by_category": [(label, by_category.get(key, 0)) for key, label in categories],
        "changes": [(label, changes.get(key, 0)) for key, label in kinds if changes.get(key)],
        "announced": [
            *[(version_labels[k], announced.get(k, 0)) for k in (Version.ISO_2008, Version.ISO_2015)],
            ("chưa công bố", announced.get(Version.NONE, 0)),
        ],
        "transition": [(row["label"], row["total"], row["reannounced"]) for row in transition],
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
        "spent": spending["total"],
        "over_cap": [(r["agency__name"], r["spent"], r["cap"]) for r in spending["over_cap"]],
        "trained": trained,
        "flags": [(flag_labels[key], n) for key, n in flags.items() if n],
        "annex_headers": [
            "Mã",
            "Tên cơ quan",
            "Loại cơ quan",
            "Tiêu chuẩn đã công bố",
            "Chuyển đổi 2015",
            "Hình thức kiểm tra",
            "Kết luận",
            "Điểm chưa khắc phục",
        ],
        "annex": annex,
    }


def fingerprint(figures: dict, narrative: dict) -> str:
    payload = json.dumps({"figures": figures, "narrative": narrative}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
