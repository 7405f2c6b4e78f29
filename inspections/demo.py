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
    SelfReport.objects.bulk_create(reports)
    return True
