"""The Cao Bằng demo's self-reports: the 2018 round, all accepted, and the 2019 round with every state —
most submitted on time and accepted, some late, some returned, a few drafts and a few not started."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone, translation

from agencies.models import Agency, AgencyVersion, Province, User
from agencies.selectors import existing_on

from .models import ReportingRound, SelfReport
from .sections import SECTIONS

D = datetime.date
RETURNED_2019 = ["SGTVT", "CCKL", "H08", "H13-TNMT"]
LATE_2019 = ["SNGV", "BQLKKT", "H02", "H03-LDTBXH", "TW-HQ"]
DRAFT_2019 = ["CCTL", "H12-TNMT", "X03"]
NOT_STARTED_2019 = ["H06", "H06-LDTBXH", "H06-TNMT", "TW-TK", "X02"]


def _at(day: D, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _answers(agency: Agency, year: int) -> dict[str, str]:
    with translation.override("vi"):
        return {s.key: f"{s.title} năm {year}: {agency.name} đã thực hiện theo kế hoạch." for s in SECTIONS}


@transaction.atomic
def seed_reports(province: Province) -> bool:
    if ReportingRound.objects.filter(province=province).exists():
        return False
    dost = User.objects.filter(province=province, role=User.Role.DOST).first()
    note = (
        "Đề nghị các cơ quan báo cáo tình hình xây dựng, áp dụng, duy trì và cải tiến HTQLCL, kèm tài liệu minh chứng."
    )
    round_2018 = ReportingRound.objects.create(
        province=province, year=2018, opened_on=D(2018, 9, 3), deadline=D(2018, 10, 15), note=note, created_by=dost
    )
    round_2019 = ReportingRound.objects.create(
        province=province, year=2019, opened_on=D(2019, 9, 3), deadline=D(2019, 10, 15), note=note, created_by=dost
    )
    versions = existing_on(AgencyVersion.objects.filter(agency__province=province), round_2019.deadline)
    agencies = [v.agency for v in versions.select_related("agency").order_by("agency__code")]
    reports = []
    for number, agency in enumerate(agencies):
        reports.append(
            SelfReport(
                round=round_2018,
                agency=agency,
                status=SelfReport.Status.ACCEPTED,
                answers=_answers(agency, 2018),
                submitted_at=_at(D(2018, 10, 1 + number % 14)),
                decided_at=_at(D(2018, 10, 25)),
                decided_by=dost,
                revision=2,
            )
        )
        code = agency.code
        if code in NOT_STARTED_2019:
            continue
        report = SelfReport(round=round_2019, agency=agency, answers=_answers(agency, 2019), revision=3)
        if code in DRAFT_2019:
            report.status = SelfReport.Status.DRAFT
        else:
            submitted = D(2019, 10, 20 + number % 8) if code in LATE_2019 else D(2019, 10, 1 + number % 14)
            report.submitted_at = _at(submitted)
            if code in RETURNED_2019:
                report.status = SelfReport.Status.RETURNED
                report.dost_comment = (
                    "Bổ sung minh chứng về đánh giá nội bộ và hành động khắc phục; cập nhật danh mục thủ tục."
                )
                report.decided_at, report.decided_by = _at(D(2019, 10, 28)), dost
            elif number % 3 == 0:
                report.status = SelfReport.Status.SUBMITTED
            else:
                report.status = SelfReport.Status.ACCEPTED
                report.decided_at, report.decided_by = _at(D(2019, 10, 30)), dost
        reports.append(report)
    # 2026: the round open now, its deadline two weeks away: a few drafts, a few submitted already
    round_2026 = ReportingRound.objects.create(
        province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10), note=note, created_by=dost
    )
    today = existing_on(AgencyVersion.objects.filter(agency__province=province), round_2026.deadline)
    for number, version in enumerate(today.select_related("agency").order_by("agency__code")):
        agency = version.agency
        if agency.code == "SKHCN" or number % 3 == 0:
            continue  # not started
        submitted = number % 3 == 1
        reports.append(
            SelfReport(
                round=round_2026,
                agency=agency,
                answers=_answers(agency, 2026),
                revision=1,
                status=SelfReport.Status.SUBMITTED if submitted else SelfReport.Status.DRAFT,
                submitted_at=_at(D(2026, 11, 20)) if submitted else None,
            )
        )
    SelfReport.objects.bulk_create(reports)
    return True


# The 2018 and 2019 inspections ------------------------------------------------------------------

NOT_INSPECTED_2019 = ["H06", "H06-LDTBXH", "H06-TNMT", "TW-TK", "X02", "CCTL"]  # 71 of 77 (seed fact F7)
MOVED_TO_DOSSIER = "TW-KBNN"  # the proposal put it on site; DOST chose a dossier check (25 on site, F7)
FORMALITY_2019 = ["H11", "H12", "H03-TNMT"]  # "applied as a formality" (F8)
REPEATED = ["SGTVT", "H08", "H13"]  # the same nonconformity in 2018 and 2019


def _users(province: Province) -> tuple[User, dict[int, User]]:
    dost = User.objects.get(province=province, role=User.Role.DOST, username="dost")
    secretaries = {u.agency_id: u for u in User.objects.filter(province=province, role=User.Role.SECRETARY)}
    return dost, secretaries


@transaction.atomic
def seed_inspections(province: Province) -> bool:
    from . import services
    from .models import Inspection, InspectionPlan

    if (
        InspectionPlan.objects.filter(province=province).exists()
        or Inspection.objects.filter(province=province).exists()
    ):
        return False
    dost, secretaries = _users(province)
    by_code = {a.code: a for a in Agency.objects.filter(province=province)}

    # 2018: on-site visits whose findings recur in 2019
    for number, code in enumerate([*REPEATED, "SYT", "SCT", "H01", "H05"]):
        inspection = services.inspection_start(
            agency=by_code[code], mode="onsite", start_date=D(2018, 6, 4 + number), team="Chi cục TĐC", actor=dost
        )
        services.finding_add(
            inspection=inspection,
            item="audits",
            severity="minor",
            actor=dost,
            description="Chưa thực hiện đầy đủ hành động khắc phục sau đánh giá nội bộ.",
            clause="10.2",
        )
        services.inspection_conclude(
            inspection=inspection,
            conclusion="findings",
            conclusion_note="",
            actor=dost,
            minutes_signed_on=D(2018, 6, 10 + number),
            end_date=D(2018, 6, 4 + number),
        )
        for finding in inspection.findings.all():
            answer = services.action_report(
                finding=finding,
                action="Đã bổ sung kế hoạch và hồ sơ khắc phục.",
                upload=None,
                actor=secretaries[finding.inspection.agency_id],
            )
            services.action_decide(action=answer, accept=True, reason="", actor=dost)

    # 2019: the plan from the risk scores, then 71 inspections: 25 on site, 46 by dossier
    plan = services.plan_propose(province=province, year=2019, on=D(2019, 1, 15), actor=dost)
    plan.approval_decision, plan.approved_on = "245/QĐ-UBND", D(2019, 2, 20)
    plan.save()
    moved = plan.entries.get(agency__code=MOVED_TO_DOSSIER)
    if moved.mode == "onsite":
        services.plan_entry_update(
            entry=moved, actor=dost, mode="dossier", override_reason="Đã kiểm tra tại Bộ chủ quản năm 2018"
        )
    onsite = list(
        plan.entries.filter(mode="onsite")
        .exclude(agency__code__in=NOT_INSPECTED_2019)
        .order_by("-risk_score", "agency__code")
    )
    for entry in onsite[25:]:  # keep exactly 25 on site (F7)
        services.plan_entry_update(
            entry=entry, actor=dost, mode="dossier", override_reason="Điều chỉnh theo kinh phí được phê duyệt"
        )
    severities = ["minor", "observation", "major", "minor"]
    for number, entry in enumerate(
        plan.entries.exclude(agency__code__in=NOT_INSPECTED_2019).select_related("agency").order_by("agency__code")
    ):
        start = D(2019, 6 + number % 4, 3 + number % 20)
        services.plan_entry_update(
            entry=entry,
            actor=dost,
            mode=entry.mode,
            override_reason=entry.override_reason,
            planned_date=start,
            team="Chi cục TĐC; Phòng Quản lý Tiêu chuẩn Chất lượng",
            budget_vnd=3_000_000 if entry.mode == "onsite" else 500_000,
        )
        inspection = services.inspection_start(
            agency=entry.agency,
            mode=entry.mode,
            entry=entry,
            start_date=start,
            decision_number=f"{50 + number}/QĐ-SKHCN" if entry.mode == "onsite" else "",
            actor=dost,
        )
        code = entry.agency.code
        results = {key: ("ok", "") for key in services.SECTION_KEYS}
        findings = []
        if code in REPEATED:
            findings.append(
                ("audits", "minor", "Lặp lại: chưa thực hiện đầy đủ hành động khắc phục sau đánh giá nội bộ.")
            )
        if code in FORMALITY_2019:
            findings.append(("processes", "major", "Quy trình không được thực hiện trên thực tế; hồ sơ lập bổ sung."))
        elif number % 4 == 1:
            findings.append(
                ("legal", severities[number // 4 % 4], "Chưa cập nhật văn bản pháp luật mới vào quy trình.")
            )
        for item, _severity, _text in findings:
            results[item] = ("nc", _text)
        services.checks_record(inspection=inspection, results=results, actor=dost)
        for item, severity, text in findings:
            services.finding_add(inspection=inspection, item=item, severity=severity, description=text, actor=dost)
        conclusion = "formality" if code in FORMALITY_2019 else ("findings" if findings else "effective")
        services.inspection_conclude(
            inspection=inspection,
            conclusion=conclusion,
            actor=dost,
            end_date=start,
            conclusion_note="Hệ thống được áp dụng mang tính hình thức." if conclusion == "formality" else "",
            minutes_signed_on=start + datetime.timedelta(days=3),
        )
        # corrective actions in every state: closed, awaiting DOST, rejected, and never answered
        for index, finding in enumerate(inspection.findings.all()):
            state = (number // 4 + index) % 4
            if state == 3:
                continue  # never answered: overdue ever since
            answer = services.action_report(
                finding=finding,
                action="Đã rà soát, sửa đổi quy trình và tập huấn lại.",
                upload=None,
                actor=secretaries[entry.agency_id],
            )
            if state == 0:
                services.action_decide(action=answer, accept=True, reason="", actor=dost)
            elif state == 1:
                services.action_decide(
                    action=answer, accept=False, actor=dost, reason="Chưa có minh chứng việc sửa đổi quy trình."
                )
    return True
