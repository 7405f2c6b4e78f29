"""Benchmark: the QMS dashboard, a flag list and a profile at national scale with ten years of history.

    .venv/bin/python bench/qms_dashboard.py [--agencies 10000] [--repeat 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/iso_tracker .venv/bin/python bench/qms_dashboard.py

Each agency gets two announcements, an internal audit and a management review a year for ten years,
the milestones of two transitions (2008 → 2015, past its deadline; 2015 → 2026, under way), five
procedures and five processes (one of each left unlinked at every fifth agency), two ISO staff with
roles and training, and at a few a consultant contract and legal revisions.
"""

import argparse
import datetime

from harness import analyze, measure, report, signed_in_client, test_database

D = datetime.date


def build(province, count):
    from agencies.models import Agency
    from agencies.tests.factories import bulk_agencies
    from iso_tracker.permissions import SYSTEM
    from migrations_tracker import services
    from migrations_tracker.models import (
        AdministrativeProcedure,
        Announcement,
        Attendance,
        ConsultantContract,
        Edition,
        LegalChange,
        Milestone,
        Process,
        ProcessRevision,
        QMSProfile,
        Review,
        RoleAssignment,
        StaffMember,
        TrainingCourse,
    )

    bulk_agencies(province, count, prefix="A", parents=max(count // 100, 1))
    editions = {e.code: e for e in Edition.objects.all()}
    editions["2026"] = Edition.objects.get_or_create(
        code="2026",
        defaults={"title_vi": "TCVN ISO 9001:2026", "title_en": "TCVN ISO 9001:2026", "iso_edition": "ISO 9001:2026"},
    )[0]
    to_2015, to_2026 = (
        services.campaign_open(
            province=province,
            actor=SYSTEM,
            template=template,
            from_editions=[editions[source]],
            to_edition=editions[target],
            opened_on=opened,
            deadline=deadline,
        )
        for template, source, target, opened, deadline in (
            ("2008-2015", "2008", "2015", D(2015, 9, 15), D(2021, 6, 30)),
            ("2015-2026", "2015", "2026", D(2026, 10, 1), D(2029, 9, 30)),
        )
    )
    agencies = list(Agency.objects.filter(province=province))
    batch = {"batch_size": 5000}
    QMSProfile.objects.bulk_create(
        [QMSProfile(agency=a, edition_id="2015", stage="maintaining") for a in agencies], **batch
    )
    Announcement.objects.bulk_create(
        [
            Announcement(agency=a, decision_number=f"{i}/QĐ", decision_date=D(2014, 5, 1), edition_id="2008", scope="x")
            for i, a in enumerate(agencies)
        ]
        + [
            Announcement(
                agency=a,
                decision_number=f"{i}/QĐ-2015",
                decision_date=D(2020, 6, 1),
                edition_id="2015",
                scope="x",
                is_reannouncement=True,
            )
            for i, a in enumerate(agencies)
            if i % 5
        ],
        **batch,
    )
    Review.objects.bulk_create(
        [
            Review(agency=a, kind=kind, date=D(year, month, 10))
            for i, a in enumerate(agencies)
            for year in range(2016, 2027)
            for kind, month in (("audit", 10), ("review", 12))
            if not (i % 17 == 0 and year >= 2025)
        ],
        **batch,
    )
    Milestone.objects.bulk_create(
        [
            Milestone(agency=a, step=step, date=D(2020, 1 + n, 1))
            for i, a in enumerate(agencies)
            if i % 5
            for n, step in enumerate(to_2015.steps.all())
        ]
        + [
            Milestone(agency=a, step=step, date=D(2026, 10, 5 + n))
            for i, a in enumerate(agencies)
            if i % 7 == 0
            for n, step in enumerate(list(to_2026.steps.all())[:3])
        ],
        **batch,
    )
    procedures = AdministrativeProcedure.objects.bulk_create(
        [AdministrativeProcedure(agency=a, code=f"TT{n}", name=f"Thủ tục {n}") for a in agencies for n in range(5)],
        **batch,
    )
    processes = Process.objects.bulk_create(
        [Process(agency=a, code=f"QT{n}", name=f"Quy trình {n}") for a in agencies for n in range(5)], **batch
    )
    links = Process.procedures.through
    links.objects.bulk_create(
        [
            links(process_id=q.pk, administrativeprocedure_id=p.pk)
            for k, (p, q) in enumerate(zip(procedures, processes, strict=True))
            if not (k % 25 == 4)
        ],
        **batch,
    )
    course = TrainingCourse.objects.create(
        province=province, title="ISO 9001:2015", organiser="STAMEQ", start_date=D(2019, 7, 16), end_date=D(2019, 7, 18)
    )
    staff = StaffMember.objects.bulk_create(
        [StaffMember(agency=a, full_name=f"Cán bộ {n}") for a in agencies for n in range(2)], **batch
    )
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(staff=s, role=("secretary", "leader_rep")[k % 2], start_date=D(2018, 1, 1))
            for k, s in enumerate(staff)
        ],
        **batch,
    )
    Attendance.objects.bulk_create([Attendance(course=course, staff=s) for k, s in enumerate(staff) if k % 23], **batch)
    ConsultantContract.objects.bulk_create(
        [
            ConsultantContract(
                agency=a, consultant="Tư vấn", signed_on=D(2019, 6, 1), value_vnd=25_000_000 + i % 3 * 20_000_000
            )
            for i, a in enumerate(agencies)
            if i % 5 == 0
        ],
        **batch,
    )
    laws = [
        LegalChange.objects.create(
            province=province,
            number=f"{n}/2024",
            title="Luật",
            effective_date=D(2024, n, 1),
            revision_due_on=D(2024, n + 3, 1),
        )
        for n in range(1, 4)
    ]
    ProcessRevision.objects.bulk_create(
        [
            ProcessRevision(legal_change=law, process=q, revised_on=None if k % 2 else D(2024, 9, 1))
            for law in laws
            for k, q in enumerate(processes[::50])
        ],
        **batch,
    )
    return agencies[len(agencies) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with test_database():
        from agencies.models import Province, User

        rows = []
        for count in args.agencies:
            province = Province.objects.create(code=f"{count}", name=f"Tỉnh {count}")
            sample = build(province, count)
            analyze()
            client = signed_in_client(User.objects.create(username=f"d{count}", role="dost", province=province))
            pages = [
                ("dashboard, today", "/qms/", {}),
                ("dashboard, as of 31/12/2019", "/qms/", {"as_of": "31/12/2019"}),
                ("flag list, no audit", "/qms/flags/no_internal_audit/", {}),
                ("flag list, untrained", "/qms/flags/untrained_staff/", {}),
                ("profile of one agency", f"/qms/agencies/{sample.pk}/", {}),
            ]
            rows += [(count, name, *measure(client, url, params, args.repeat)) for name, url, params in pages]
        report(rows)


if __name__ == "__main__":
    main()
