"""Each flag: an agency that should carry it does, one that should not does not, at the boundaries."""

import datetime

import pytest

from agencies.tests.factories import make_agency
from iso_tracker.permissions import SYSTEM
from migrations_tracker import selectors, services
from migrations_tracker.models import (
    AdministrativeProcedure,
    Announcement,
    Attendance,
    LegalChange,
    Process,
    ProcessRevision,
    Review,
    StaffMember,
    TrainingCourse,
)

pytestmark = pytest.mark.django_db
D = datetime.date


def flags(agency, on):
    campaigns = selectors.province_campaigns(agency.province_id)
    keys = {flag.key for flag in selectors.agency_flags(agency, on, campaigns)}
    # a transition's flag by the name it had when there was one transition
    return {"transition_overdue" if key.startswith("transition-") else key for key in keys}


def announce(agency, on, version="2008"):
    return services.announcement_create(
        actor=SYSTEM,
        agency=agency,
        announcement=Announcement(
            decision_number=f"{on:%Y%m%d}/QĐ", decision_date=on, edition_id=version, scope="Toàn bộ thủ tục"
        ),
    )


def test_not_announced_until_the_decision_date(agency):
    assert "not_announced" in flags(agency, D(2020, 1, 1))
    announce(agency, D(2020, 6, 1))
    assert "not_announced" in flags(agency, D(2020, 5, 31))
    assert "not_announced" not in flags(agency, D(2020, 6, 1))


@pytest.mark.parametrize("kind, key", [("audit", "no_internal_audit"), ("review", "no_management_review")])
def test_twelve_month_rule_at_its_boundary(agency, kind, key):
    Review.objects.create(agency=agency, kind=kind, date=D(2024, 3, 15))
    assert key in flags(agency, D(2024, 3, 14))  # before it happened
    assert key not in flags(agency, D(2024, 3, 15))
    assert key not in flags(agency, D(2025, 3, 15))  # exactly 12 months later: still within
    assert key in flags(agency, D(2025, 3, 16))
    other = "no_management_review" if key == "no_internal_audit" else "no_internal_audit"
    assert other in flags(agency, D(2024, 6, 1))  # one kind does not stand in for the other


def test_scope_change_needs_a_reannouncement(agency, other_agency):
    services.profile_for(other_agency)  # so that the agency's profile and the agency have different ids
    announce(agency, D(2019, 1, 10))
    services.procedure_create(
        actor=SYSTEM, agency=agency, on=D(2019, 1, 10), procedure=AdministrativeProcedure(code="TT01", name="Cấp phép")
    )
    assert "scope_not_reannounced" not in flags(agency, D(2020, 1, 1))
    services.procedure_create(
        actor=SYSTEM,
        agency=agency,
        on=D(2021, 4, 1),
        procedure=AdministrativeProcedure(code="TT02", name="Thủ tục mới"),
    )
    assert "scope_not_reannounced" not in flags(agency, D(2021, 3, 31))
    assert "scope_not_reannounced" in flags(agency, D(2021, 4, 1))
    services.announcement_create(
        actor=SYSTEM,
        agency=agency,
        announcement=Announcement(
            is_reannouncement=True,
            decision_number="9/QĐ",
            decision_date=D(2021, 5, 1),
            edition_id="2008",
            scope="Mở rộng",
        ),
    )
    assert "scope_not_reannounced" not in flags(agency, D(2021, 5, 1))


def test_scope_gaps_both_ways_and_their_counts(dost, agency, other_agency):
    covered = services.procedure_create(
        actor=SYSTEM, agency=agency, procedure=AdministrativeProcedure(code="TT01", name="A")
    )
    services.procedure_create(actor=SYSTEM, agency=agency, procedure=AdministrativeProcedure(code="TT02", name="B"))
    services.process_save(
        actor=SYSTEM, agency=agency, process=Process(code="QT01", name="Quy trình A"), procedures=[covered]
    )
    services.process_save(
        actor=SYSTEM, agency=other_agency, process=Process(code="QT09", name="Quy trình nội bộ"), procedures=[]
    )
    today = D(2026, 1, 1)
    assert {"uncovered_procedures"} <= flags(agency, today)
    assert "orphan_processes" not in flags(agency, today)
    assert "orphan_processes" in flags(other_agency, today)
    assert "uncovered_procedures" not in flags(other_agency, today)
    rows = selectors.population(dost, today)
    assert selectors.gap_counts(rows) == {"procedures": 2, "uncovered": 1, "processes": 2, "orphans": 1}


def test_a_process_cannot_serve_another_agencys_procedure(agency, other_agency):
    from django.core.exceptions import ValidationError

    foreign = services.procedure_create(
        actor=SYSTEM, agency=other_agency, procedure=AdministrativeProcedure(code="X", name="X")
    )
    with pytest.raises(ValidationError):
        services.process_save(actor=SYSTEM, agency=agency, process=Process(code="QT1", name="Q"), procedures=[foreign])


def test_three_month_rule_for_legal_revisions(province, agency):
    process = services.process_save(
        actor=SYSTEM, agency=agency, process=Process(code="QT01", name="Đất đai"), procedures=[]
    )
    law = services.legal_change_create(
        province=province,
        actor=SYSTEM,
        legal_change=LegalChange(number="31/2024/QH15", title="Luật Đất đai", effective_date=D(2024, 8, 1)),
    )
    assert law.revision_due_on == D(2024, 11, 1)
    revision = ProcessRevision.objects.create(legal_change=law, process=process)
    assert "revision_overdue" not in flags(agency, D(2024, 11, 1))  # due that day
    assert "revision_overdue" in flags(agency, D(2024, 11, 2))
    services.revision_done(actor=SYSTEM, revision=revision, revised_on=D(2024, 12, 1))
    assert "revision_overdue" in flags(agency, D(2024, 11, 30))  # as it stood then
    assert "revision_overdue" not in flags(agency, D(2024, 12, 1))


def test_three_months_from_the_end_of_a_month(province):
    law = services.legal_change_create(
        province=province,
        actor=SYSTEM,
        legal_change=LegalChange(number="1/2024", title="x", effective_date=D(2024, 11, 30)),
    )
    assert law.revision_due_on == D(2025, 2, 28)


def test_untrained_secretary_after_a_hand_over(province, agency):
    course = TrainingCourse.objects.create(
        province=province, title="ISO 9001:2015", organiser="STAMEQ", start_date=D(2019, 7, 16), end_date=D(2019, 7, 18)
    )
    old = StaffMember.objects.create(agency=agency, full_name="Nông Thị Lan")
    services.role_assign(actor=SYSTEM, staff=old, role="secretary", start_date=D(2018, 1, 1))
    Attendance.objects.create(course=course, staff=old)
    assert "untrained_staff" in flags(agency, D(2019, 7, 15))  # not yet trained
    assert "untrained_staff" not in flags(agency, D(2019, 7, 16))
    new = StaffMember.objects.create(agency=agency, full_name="Lục Văn Quý")
    services.role_assign(actor=SYSTEM, staff=new, role="secretary", start_date=D(2025, 8, 1))
    old.roles.get().refresh_from_db()
    assert old.roles.get().end_date == D(2025, 7, 31)  # the hand-over is kept
    agency.refresh_from_db()
    assert agency.secretary_name == "Lục Văn Quý"  # the registry's contact follows
    assert "untrained_staff" not in flags(agency, D(2025, 7, 31))
    assert "untrained_staff" in flags(agency, D(2025, 8, 1))
    services.attendance_add(actor=SYSTEM, course=course, staff=new)  # a course attended before taking the role counts
    assert "untrained_staff" not in flags(agency, D(2025, 8, 1))


def test_an_internal_auditor_without_training_is_not_flagged(province, agency):
    auditor = StaffMember.objects.create(agency=agency, full_name="Hà Thị Thu")
    services.role_assign(actor=SYSTEM, staff=auditor, role="auditor", start_date=D(2020, 1, 1))
    assert "untrained_staff" not in flags(agency, D(2021, 1, 1))


def test_transition_overdue_only_after_the_deadline(agency, other_agency, province, transition_2015):
    announce(agency, D(2015, 5, 1))
    announce(other_agency, D(2015, 5, 1))
    announce(other_agency, D(2020, 12, 1), version="2015")
    new = make_agency(province, code="MOI", name="Cơ quan mới")
    announce(new, D(2021, 1, 1), version="2015")  # new to ISO: starts on 2015
    assert "transition_overdue" not in flags(agency, D(2021, 6, 30))
    assert "transition_overdue" in flags(agency, D(2021, 7, 1))
    assert "transition_overdue" not in flags(other_agency, D(2021, 7, 1))
    assert "transition_overdue" not in flags(new, D(2021, 7, 1))


def test_reannouncing_on_2015_completes_the_transition(agency, transition_2015):
    announce(agency, D(2015, 5, 1))
    assert agency.qms.edition_id == "2008"
    announce(agency, D(2019, 12, 5), version="2015")
    agency.qms.refresh_from_db()
    assert agency.qms.edition_id == "2015" and agency.qms.stage == "announced"
    assert agency.milestones.get(step__key="reannounced").date == D(2019, 12, 5)


def test_an_agency_new_to_iso_does_not_complete_a_transition(agency, transition_2015):
    announce(agency, D(2019, 12, 5), version="2015")  # never on 2008: nothing to move from
    assert not agency.milestones.exists()


def test_dashboard_counts_match_each_flag_list(dost, agency, other_agency):
    Review.objects.create(agency=agency, kind="audit", date=D(2026, 1, 1))
    on = D(2026, 6, 1)
    rows = selectors.population(dost, on)
    counts = selectors.flag_counts(rows, on, selectors.FLAGS)
    for flag in selectors.FLAGS:
        assert counts[flag.key] == selectors.flagged(rows, flag, on).count(), flag.key
    assert counts["no_internal_audit"] == 1 and counts["no_management_review"] == 2
