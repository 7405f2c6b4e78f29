"""The Cao Bằng demo's QMS history: announcements since 2013, yearly audits and reviews, the 2019
transition round (12 provincial agencies + Chi cục TĐC on TCVN ISO 9001:2015 by the end of 2019, seed
fact F10), the consultants of Decision 2323/QĐ-UBND (325.000.000 VND, F3), the July 2019 course with
STAMEQ's training centre (F9), staff turnover, changed laws and scope gaps. People and numbers are
illustrative; it is deterministic, so tests can rely on it.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from agencies.demo import SECRETARY_NAMES
from agencies.models import Agency, Category, Province
from iso_tracker.permissions import SYSTEM

from . import services
from .models import (
    AdministrativeProcedure,
    Announcement,
    Attendance,
    Campaign,
    ConsultantContract,
    Edition,
    LegalChange,
    Process,
    ProcessRevision,
    QMSProfile,
    Review,
    RoleAssignment,
    StaffMember,
    Stage,
    TrainingCourse,
)

D = datetime.date
# Seed fact F10: 12 provincial agencies and the Chi cục TĐC completed the transition in 2019.
DONE_2019 = ["VPUB", "SNV", "STP", "SKHDT", "STC", "SCT", "SNN", "SXD", "STNMT", "SKHCN", "SYT", "SGDDT", "CCTDC"]
NEVER_DONE = ["SNGV", "BQLKKT", "CCTL", "TW-HQ"]  # still on 2008 today: transition overdue
NO_RECENT_AUDIT = ["STTTT", "SGTVT", "CCKL", "TW-TK"]  # skipped the last audit and review
UNTRAINED_SUCCESSOR = ["STC", "SVHTTDL", "CCDS", "X04", "TW-BHXH"]  # new secretary in 2025, no course yet
SCOPE_CHANGED = ["STP", "SCT"]  # procedures added in 2026, not re-announced
UNCOVERED = ["SXD", "SGTVT", "SYT", "CCATVSTP", "TW-THUE"]  # procedures no process covers
ORPHANS = ["SNV", "SLDTBXH", "BDT"]  # processes written apart from the procedures (D2)
MERGED_2025 = ["SKHDT", "SGTVT", "SLDTBXH", "SNN", "STNMT"]  # departments merged away on 1/3/2025
APPLYING_2025 = ["X04", "X05", "X06"]  # the three wards; the 53 new communes have not announced a QMS yet
FIELDS = ["Đất đai", "Môi trường", "Đầu tư", "Xây dựng", "Y tế", "Giáo dục", "Lao động", "Văn hóa", "Tư pháp", "Thuế"]
PEOPLE = [*SECRETARY_NAMES, "Lý Thị Nga", "Mã Văn Khánh"]
POLICY = (
    "Cán bộ, công chức cam kết giải quyết thủ tục hành chính đúng pháp luật, công khai, minh bạch, "
    "đúng hẹn; lấy sự hài lòng của người dân và doanh nghiệp làm thước đo chất lượng."
)


def _last_day(agency: Agency) -> D:
    return agency.ended_on - datetime.timedelta(days=1) if agency.ended_on else D(2026, 11, 1)


# The national list as a DOST of 2026 would keep it. ISO 9001:2026's TCVN number is not confirmed in our
# sources: the demo calls it TCVN ISO 9001:2026 and keeps it a draft.
EDITIONS = [
    ("2008", "TCVN ISO 9001:2008", "TCVN ISO 9001:2008", "ISO 9001:2008", D(2008, 11, 15), None, "withdrawn", ""),
    ("2015", "TCVN ISO 9001:2015", "TCVN ISO 9001:2015", "ISO 9001:2015", D(2015, 9, 15), None, "in_force", ""),
    (
        "2015-amd1",
        "TCVN ISO 9001:2015/Amd 1:2024",
        "TCVN ISO 9001:2015/Amd 1:2024",
        "ISO 9001:2015/Amd 1:2024",
        D(2024, 2, 23),
        "2015",
        "in_force",
        "Đã xem xét biến đổi khí hậu trong bối cảnh tổ chức và nhu cầu của các bên quan tâm (điều 4.1, 4.2)",
    ),
    ("2026", "TCVN ISO 9001:2026", "TCVN ISO 9001:2026", "ISO 9001:2026", D(2026, 9, 30), None, "draft", ""),
]
# The 2015 → 2026 transition DOST opened in 2026: where a few agencies stand (milestone codes of the template).
STARTED_2026 = {
    "SKHCN": ["gap", "trained", "consultant", "documents"],
    "CCTDC": ["gap", "trained", "consultant"],
    "VPUB": ["gap", "trained"],
    "STC": ["gap"],
    "SYT": ["gap"],
}
AMENDMENT_CHECKED = {"SKHCN": True, "CCTDC": True, "VPUB": True, "STC": True, "SNV": False}


def editions_ensure() -> dict[str, Edition]:
    """The editions the demo names (kept if already there: the migration made 2008 and 2015)."""
    editions = {}
    for code, title_vi, title_en, iso, published, base, status, question in EDITIONS:
        editions[code] = Edition.objects.get_or_create(
            code=code,
            defaults={
                "title_vi": title_vi,
                "title_en": title_en,
                "iso_edition": iso,
                "published_on": published,
                "amendment_of": editions.get(base),
                "status": status,
                "check_question": question,
            },
        )[0]
    return editions


def _campaign(province: Province, editions: dict, template: str, source: str, target: str, **dates) -> Campaign:
    existing = Campaign.objects.filter(province=province, to_edition=editions[target]).first()
    if existing is not None:  # a province that existed before editions were data got it from the migration
        return existing
    return services.campaign_open(
        province=province,
        actor=SYSTEM,
        template=template,
        from_editions=[editions[source]],
        to_edition=editions[target],
        **dates,
    )


@transaction.atomic
def seed_qms(province: Province) -> bool:
    """Load the QMS history once; later calls change nothing. Returns whether it loaded now."""
    # Units set up in 2025 come after the others, so the history of the others stays as it was before them;
    # of the new commune-level units only those in APPLYING_2025 have built a QMS (it is encouraged for them).
    agencies = sorted(
        (
            a
            for a in Agency.objects.filter(province=province)
            if a.category != Category.COMMUNE_LEVEL_PC or a.code in APPLYING_2025
        ),
        key=lambda a: (bool(a.established_on and a.established_on >= D(2025, 1, 1)), a.code),
    )
    if QMSProfile.objects.filter(agency__province=province).exists():
        return False
    rng = random.Random(2019)  # noqa: S311 - repeatable demo data, not security
    by_code = {a.code: a for a in agencies}
    editions = editions_ensure()
    to_2015 = _campaign(
        province,
        editions,
        "2008-2015",
        "2008",
        "2015",
        opened_on=D(2015, 9, 15),
        deadline=D(2021, 6, 30),
        basis="419/BKHCN-TĐC (2018)",
    )
    steps_2015 = {step.key: step for step in to_2015.steps.all()}

    course_2019 = services.course_create(
        actor=SYSTEM,
        province=province,
        course=TrainingCourse(
            title="Chuyển đổi HTQLCL sang TCVN ISO 9001:2015",
            start_date=D(2019, 7, 16),
            end_date=D(2019, 7, 18),
            organiser="Sở KH&CN Cao Bằng và Trung tâm Đào tạo, Tổng cục Tiêu chuẩn Đo lường Chất lượng",
        ),
    )
    course_2016 = services.course_create(
        actor=SYSTEM,
        province=province,
        course=TrainingCourse(
            title="Xây dựng, áp dụng HTQLCL theo TCVN ISO 9001:2008",
            start_date=D(2016, 5, 10),
            end_date=D(2016, 5, 12),
            organiser="Sở Khoa học và Công nghệ Cao Bằng",
        ),
    )
    course_2022 = services.course_create(
        actor=SYSTEM,
        province=province,
        course=TrainingCourse(
            title="Chuyên gia đánh giá nội bộ HTQLCL theo TCVN ISO 9001:2015",
            start_date=D(2022, 9, 20),
            end_date=D(2022, 9, 22),
            organiser="Sở Khoa học và Công nghệ Cao Bằng",
        ),
    )

    reviews, staff_rows, roles, attendances = [], [], [], []
    for number, agency in enumerate(agencies):
        start = agency.established_on or D(2013 + number % 4, 3 + number % 8, 1 + number % 20)
        first_year = start.year
        on_2008 = start < D(2019, 1, 1)
        done_2019 = agency.code in DONE_2019
        ends = _last_day(agency)
        # announcements
        announce_on = D(first_year, 9, 15) if agency.established_on is None else start + datetime.timedelta(days=200)
        first_version = "2008" if on_2008 else "2015"
        services.announcement_create(
            actor=SYSTEM,
            agency=agency,
            announcement=Announcement(
                decision_number=f"{100 + number}/QĐ-{agency.code}",
                decision_date=announce_on,
                edition_id=first_version,
                scope="Toàn bộ thủ tục hành chính thuộc thẩm quyền giải quyết của cơ quan.",
                dost_notified_on=announce_on + datetime.timedelta(days=10),
                posted_at_office=True,
                website_url=f"https://{agency.code.lower()}.caobang.gov.vn/iso",
            ),
        )
        transition_on = None
        if on_2008 and done_2019:
            transition_on = D(2019, 12, 1 + number % 20)
        elif on_2008 and agency.code not in NEVER_DONE and agency.is_active_on(D(2020, 1, 1)):
            transition_on = D(2020 + number % 2, 3 + number % 9, 5 + number % 20)
        if transition_on and transition_on <= ends:
            for kind, offset in (
                ("trained", -150),
                ("consultant", -120),
                ("documents", -90),
                ("audit", -45),
                ("review", -20),
            ):
                if kind == "consultant" and not done_2019:
                    continue  # only the 2019 round hired consultants (Decision 2323, 13 contracts); later ones did not
                services.milestone_record(
                    actor=SYSTEM,
                    agency=agency,
                    step=steps_2015[kind],
                    date=transition_on + datetime.timedelta(days=offset),
                )
            services.announcement_create(
                actor=SYSTEM,
                agency=agency,
                announcement=Announcement(
                    is_reannouncement=True,
                    decision_number=f"{300 + number}/QĐ-{agency.code}",
                    decision_date=transition_on,
                    edition_id="2015",
                    scope="Toàn bộ thủ tục hành chính thuộc thẩm quyền, theo TCVN ISO 9001:2015.",
                    dost_notified_on=transition_on + datetime.timedelta(days=7),
                    posted_at_office=True,
                ),
            )
        elif on_2008 and agency.code in NEVER_DONE:
            services.milestone_record(actor=SYSTEM, agency=agency, step=steps_2015["trained"], date=D(2019, 7, 18))
        profile = services.profile_for(agency)
        profile.stage = Stage.MAINTAINING if number % 5 else Stage.ANNOUNCED
        profile.quality_policy = POLICY if number % 3 == 0 else ""
        profile.save()
        # yearly internal audit (October) and management review (December)
        skip_recent = agency.code in NO_RECENT_AUDIT
        for year in range(announce_on.year + 1, 2027):
            audit_on, review_on = D(year, 10, 15 + number % 10), D(year, 12, 5 + number % 10)
            on_2015 = transition_on is not None and audit_on > transition_on
            if audit_on <= ends and not (skip_recent and year >= 2025):
                reviews.append(
                    Review(
                        agency=agency,
                        kind=Review.Kind.INTERNAL_AUDIT,
                        date=audit_on,
                        edition_id="2015" if on_2015 else None,
                        scope="Tất cả quy trình trong phạm vi áp dụng",
                        nonconformities=rng.randint(0, 4),
                        result="Hệ thống được duy trì; các điểm không phù hợp đã có hành động khắc phục.",
                    )
                )
            if review_on <= ends and not (skip_recent and year >= 2025):
                reviews.append(
                    Review(
                        agency=agency,
                        kind=Review.Kind.MANAGEMENT_REVIEW,
                        date=review_on,
                        edition_id="2015" if on_2015 else None,
                        result="Lãnh đạo xác nhận hệ thống hoạt động hiệu lực.",
                    )
                )
        # ISO staff: a secretary and a leadership representative, both trained
        secretary = StaffMember(
            agency=agency,
            full_name=agency.secretary_name or PEOPLE[number % len(PEOPLE)],
            position="Chuyên viên",
            email=agency.secretary_email,
        )
        leader = StaffMember(agency=agency, full_name=PEOPLE[(number + 5) % len(PEOPLE)], position="Phó Thủ trưởng")
        staff_rows += [secretary, leader]
    bulk_create_with_history(reviews, Review, batch_size=1000)
    StaffMember.objects.bulk_create(staff_rows)

    staff_by_agency: dict[int, list[StaffMember]] = {}
    for person in StaffMember.objects.filter(agency__province=province).order_by("pk"):
        staff_by_agency.setdefault(person.agency_id, []).append(person)
    for agency in agencies:
        secretary, leader = staff_by_agency[agency.pk]
        since = agency.established_on or D(2015, 1, 5)
        roles += [
            RoleAssignment(staff=secretary, role="secretary", start_date=since),
            RoleAssignment(staff=leader, role="leader_rep", start_date=since),
        ]
        course = course_2016 if since < D(2016, 5, 10) else (course_2019 if since < D(2019, 7, 16) else course_2022)
        if since >= D(2022, 9, 20):
            course = None
        if course is not None:
            attendances += [
                Attendance(course=course, staff=secretary, certificate_number=f"CN-{secretary.pk}"),
                Attendance(course=course, staff=leader, certificate_number=f"CN-{leader.pk}"),
            ]
        if agency.code in DONE_2019 or (agency.category == "district_pc" and since < D(2019, 7, 16)):
            attendances.append(Attendance(course=course_2019, staff=secretary, certificate_number=f"TT-{secretary.pk}"))
    RoleAssignment.objects.bulk_create(roles)
    Attendance.objects.bulk_create([a for a in attendances if a.course_id], ignore_conflicts=True)
    # a trained leader for the newest agencies (established after the last course)
    for agency in agencies:
        if agency.established_on and agency.established_on >= D(2022, 9, 20):
            for person in staff_by_agency[agency.pk]:
                Attendance.objects.get_or_create(course=course_2022, staff=person)
    # turnover (D1): a new secretary in 2025, not yet trained
    for index, code in enumerate(UNTRAINED_SUCCESSOR):
        agency = by_code.get(code)
        if agency and agency.ended_on is None:
            newcomer = StaffMember.objects.create(
                agency=agency, full_name=PEOPLE[(index + 7) % len(PEOPLE)], position="Chuyên viên mới"
            )
            services.role_assign(actor=SYSTEM, staff=newcomer, role="secretary", start_date=D(2025, 8, 1 + index))

    _consultants(by_code, to_2015)
    _scope(by_code)
    _legal_changes(province, by_code)
    _transition_2026(province, editions, by_code)
    return True


def _transition_2026(province: Province, editions: dict[str, Edition], by_code: dict[str, Agency]) -> None:
    """The 2015 → 2026 transition opened on 01/10/2026 (deadline set by DOST: 30/09/2029), a few agencies
    under way, and the Amd 1:2024 climate question answered by some."""
    campaign = _campaign(
        province,
        editions,
        "2015-2026",
        "2015",
        "2026",
        opened_on=D(2026, 10, 1),
        deadline=D(2029, 9, 30),
        basis="Kế hoạch chuyển đổi của Sở KH&CN (minh họa)",
    )
    steps = {step.key: step for step in campaign.steps.all()}
    for number, (code, reached) in enumerate(STARTED_2026.items()):
        for order, key in enumerate(reached):
            services.milestone_record(
                actor=SYSTEM,
                agency=by_code[code],
                step=steps[key],
                date=D(2026, 10, 5 + number + 7 * order),
                note="Biên bản lưu tại cơ quan (minh họa)",
            )
    for number, (code, done) in enumerate(AMENDMENT_CHECKED.items()):
        services.amendment_check_record(
            actor=SYSTEM,
            agency=by_code[code],
            edition=editions["2015-amd1"],
            considered=done,
            checked_on=D(2025, 3, 10 + number),
            note="Xem xét trong cuộc họp xem xét của lãnh đạo" if done else "Chưa xem xét",
        )


def _consultants(by_code: dict[str, Agency], campaign: Campaign) -> None:
    """Decision 2323/QĐ-UBND: 325.000.000 VND for the 2019 round; the Chi cục TĐC's passes its cap."""
    values = {code: 25_000_000 for code in DONE_2019}
    values["CCTDC"], values["SKHCN"] = 40_000_000, 10_000_000
    for code, value in values.items():
        services.contract_create(
            contract=ConsultantContract(
                consultant="Trung tâm Năng suất Việt Nam",
                contract_number=f"HĐ-{code}-2019",
                signed_on=D(2019, 6, 20),
                value_vnd=value,
                funding_decision="2323/QĐ-UBND",
                campaign=campaign,
            ),
            agency=by_code[code],
            actor=SYSTEM,
        )


def _scope(by_code: dict[str, Agency]) -> None:
    """Procedures and processes of the agencies that exist today and of the departments merged on 1/3/2025
    (as before they merged: the 2019 figures stay the same), with the gaps named above."""
    for number, agency in enumerate(a for a in by_code.values() if a.ended_on is None or a.code in MERGED_2025):
        field = FIELDS[number % len(FIELDS)]
        announced = agency.announcements.order_by("decision_date").first().decision_date
        procedures = []
        for i in range(4 + number % 4):
            procedures.append(
                services.procedure_create(
                    actor=SYSTEM,
                    agency=agency,
                    on=announced,
                    procedure=AdministrativeProcedure(
                        code=f"{agency.code}-TT{i + 1:02d}",
                        name=f"Thủ tục {field.lower()} số {i + 1}",
                        field=field,
                        legal_basis="Nghị định 61/2018/NĐ-CP",
                    ),
                )
            )
        covered = procedures[:-2] if agency.code in UNCOVERED else procedures
        for i, procedure in enumerate(covered):
            services.process_save(
                actor=SYSTEM,
                agency=agency,
                procedures=[procedure],
                process=Process(
                    code=f"QT-{i + 1:02d}",
                    name=f"Quy trình giải quyết {procedure.name.lower()}",
                    revision="02",
                    effective_date=D(2020, 1, 2),
                ),
            )
        if agency.code in ORPHANS:
            services.process_save(
                actor=SYSTEM,
                agency=agency,
                procedures=[],
                process=Process(
                    code="QT-NB01", name="Quy trình quản lý văn bản đến (ngoài thủ tục hành chính)", revision="01"
                ),
            )
        if agency.code in SCOPE_CHANGED:
            services.procedure_create(
                actor=SYSTEM,
                agency=agency,
                on=D(2026, 3, 2),
                procedure=AdministrativeProcedure(
                    code=f"{agency.code}-TT99", name="Thủ tục mới bổ sung năm 2026", field=field
                ),
            )


def _legal_changes(province: Province, by_code: dict[str, Agency]) -> None:
    laws = [
        ("61/2020/QH14", "Luật Đầu tư", D(2021, 1, 1), "Đầu tư", [("SKHDT", D(2021, 3, 15))]),
        (
            "72/2020/QH14",
            "Luật Bảo vệ môi trường",
            D(2022, 1, 1),
            "Môi trường",
            [("STNMT", D(2022, 3, 20)), ("CCBVMT", D(2022, 5, 10))],
        ),
        ("31/2024/QH15", "Luật Đất đai", D(2024, 8, 1), "Đất đai", [("SNNMT", None), ("SXD", D(2024, 10, 1))]),
    ]
    for number, title, effective, fields, affected in laws:
        change = services.legal_change_create(
            province=province,
            actor=SYSTEM,
            legal_change=LegalChange(number=number, title=title, effective_date=effective, fields=fields),
        )
        for code, revised_on in affected:
            agency = by_code[code]
            process = agency.processes.order_by("code").first()
            revision = ProcessRevision.objects.create(legal_change=change, process=process)
            if revised_on:
                services.revision_done(actor=SYSTEM, revision=revision, revised_on=revised_on)
