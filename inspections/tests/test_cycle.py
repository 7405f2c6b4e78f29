"""The inspection cycle: plan and risk score, inspections, findings and their follow-up, the file."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import User
from agencies.tests.factories import make_agency, make_user
from inspections import services
from inspections.models import Finding, Inspection, PlanEntry
from iso_tracker.permissions import SYSTEM
from migrations_tracker.models import Review

pytestmark = pytest.mark.django_db
D = datetime.date


def _inspect(agency, dost, start, mode="onsite", **kwargs):
    return services.inspection_start(agency=agency, mode=mode, start_date=start, actor=dost, **kwargs)


def test_one_third_on_site_and_overrides_need_a_reason(dost, province, dost_client):
    for n in range(7):
        make_agency(province, code=f"C{n}")
    plan = services.plan_propose(province=province, year=2026, on=D(2026, 1, 15), actor=dost)
    assert plan.entries.count() == 7
    assert plan.entries.filter(proposed_mode="onsite").count() == 3  # ceil(7 / 3)
    assert services.onsite_shortfall(plan) == 0
    entry = plan.entries.filter(mode="onsite").first()
    with pytest.raises(ValidationError):
        services.plan_entry_update(entry=entry, actor=dost, mode="dossier")
    services.plan_entry_update(entry=entry, actor=dost, mode="dossier", override_reason="Đã kiểm tra tại Bộ")
    assert services.onsite_shortfall(plan) == 1
    page = dost_client.get(plan.get_absolute_url()).content.decode()
    assert "Số cơ quan kiểm tra tại trụ sở chưa đủ một phần ba" in page
    assert "Đã kiểm tra tại Bộ" in page


def test_risk_score_on_crafted_cases_and_its_explanation(dost, province, agency, other_agency, secretary):
    old = _inspect(agency, dost, D(2023, 6, 1))
    services.finding_add(
        inspection=old, item="audits", severity="major", description="x", actor=dost, due_on=D(2023, 8, 1)
    )
    services.inspection_conclude(
        inspection=old,
        conclusion="formality",
        conclusion_note="",
        actor=dost,
        minutes_signed_on=D(2023, 6, 2),
        end_date=None,
    )
    recent = _inspect(other_agency, dost, D(2025, 6, 1))
    services.inspection_conclude(
        inspection=recent,
        conclusion="effective",
        conclusion_note="",
        actor=dost,
        minutes_signed_on=D(2025, 6, 2),
        end_date=None,
    )
    for target in (other_agency,):
        Review.objects.create(agency=target, kind="audit", date=D(2025, 10, 1))
        Review.objects.create(agency=target, kind="review", date=D(2025, 12, 1))
    plan = services.plan_propose(province=province, year=2026, on=D(2026, 1, 15), actor=dost)
    risky = plan.entries.get(agency=agency)
    calm = plan.entries.get(agency=other_agency)
    reasons = {key: points for key, points, _detail in risky.risk_reasons}
    assert reasons == {
        "no_internal_audit": 2,
        "no_management_review": 2,
        "overdue_findings": 3,
        "years_since_onsite": 3,
        "formality": 4,
    }
    assert risky.risk_score == sum(reasons.values()) == 14
    assert {key for key, _p, _d in calm.risk_reasons} == {"years_since_onsite"}
    assert calm.risk_score == 1
    assert risky.proposed_mode == "onsite" and calm.proposed_mode == "dossier"


def test_two_months_to_correct_from_the_minutes(dost, agency):
    inspection = _inspect(agency, dost, D(2019, 12, 10))
    finding = services.finding_add(inspection=inspection, item="scope", severity="minor", description="x", actor=dost)
    assert finding.due_on is None
    services.inspection_conclude(
        inspection=inspection,
        conclusion="findings",
        conclusion_note="",
        actor=dost,
        minutes_signed_on=D(2019, 12, 31),
        end_date=None,
    )
    finding.refresh_from_db()
    assert finding.due_on == D(2020, 2, 29)
    later = services.finding_add(
        inspection=inspection, item="legal", severity="observation", description="y", actor=dost
    )
    assert later.due_on == D(2020, 2, 29)


def test_deadlines_follow_a_corrected_minutes_date_unless_set_otherwise(dost, agency, dost_client):
    inspection = _inspect(agency, dost, D(2019, 12, 10))
    following = services.finding_add(inspection=inspection, item="scope", severity="minor", description="x", actor=dost)
    own = services.finding_add(
        inspection=inspection, item="legal", severity="minor", description="y", due_on=D(2020, 6, 30), actor=dost
    )
    url = reverse("inspections:inspection", args=[inspection.pk])
    conclude = {"conclude": "1", "conclusion": "findings", "conclusion_note": "", "end_date": ""}
    assert dost_client.post(url, {**conclude, "minutes_signed_on": "31/12/2019", "revision": 0}).status_code == 302
    following.refresh_from_db()
    assert following.due_on == D(2020, 2, 29)
    # The minutes were in fact signed on 15/01/2020: the deadline the signing gave moves with it.
    assert dost_client.post(url, {**conclude, "minutes_signed_on": "15/01/2020", "revision": 1}).status_code == 302
    following.refresh_from_db()
    own.refresh_from_db()
    assert following.due_on == D(2020, 3, 15)
    assert own.due_on == D(2020, 6, 30), "a deadline set otherwise stays"


def test_follow_up_report_reject_answer_again_accept(dost, agency, secretary, secretary_client, dost_client):
    inspection = _inspect(agency, dost, D(2025, 6, 1))
    finding = services.finding_add(
        inspection=inspection, item="audits", severity="minor", description="x", actor=dost, due_on=D(2025, 8, 1)
    )
    url = reverse("inspections:finding", args=[finding.pk])
    response = secretary_client.post(
        url, {"action": "Đã sửa quy trình", "evidence": SimpleUploadedFile("bb.pdf", b"%PDF-1.4"), "revision": 0}
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "answered"
    action = finding.actions.get()
    with pytest.raises(PermissionDenied):
        services.action_decide(action=action, accept=True, reason="", actor=secretary)
    decide = reverse("inspections:action_decide", args=[action.pk])
    dost_client.post(decide, {"reject": "1", "reason": "", "revision": finding.revision})
    finding.refresh_from_db()
    assert finding.status == "answered"  # a rejection needs its written reason
    dost_client.post(decide, {"reject": "1", "reason": "Thiếu minh chứng.", "revision": finding.revision})
    finding.refresh_from_db()
    assert finding.status == "rejected"
    assert "Thiếu minh chứng." in secretary_client.get(url).content.decode()
    secretary_client.post(url, {"action": "Bổ sung minh chứng", "revision": finding.revision})
    second = finding.actions.order_by("pk").last()
    finding.refresh_from_db()
    dost_client.post(
        reverse("inspections:action_decide", args=[second.pk]), {"accept": "1", "revision": finding.revision}
    )
    finding.refresh_from_db()
    assert finding.status == "closed"


def test_overdue_findings_are_flagged_for_leadership(dost, agency, leader_client):
    inspection = _inspect(agency, dost, D(2025, 6, 1))
    services.finding_add(
        inspection=inspection, item="audits", severity="major", description="Quá hạn", actor=dost, due_on=D(2025, 8, 1)
    )
    services.finding_add(
        inspection=inspection,
        item="scope",
        severity="minor",
        description="Chưa đến hạn",
        actor=dost,
        due_on=D(2099, 1, 1),
    )
    listing = leader_client.get(reverse("inspections:findings"), {"overdue": "1"})
    assert [f.description for f in listing.context["page"]] == ["Quá hạn"]


def test_open_findings_are_carried_into_the_next_inspection(dost, agency, dost_client):
    first = _inspect(agency, dost, D(2024, 6, 1))
    open_one = services.finding_add(
        inspection=first, item="audits", severity="minor", description="Còn mở", actor=dost, due_on=D(2024, 8, 1)
    )
    closed = services.finding_add(
        inspection=first, item="scope", severity="minor", description="Đã đóng", actor=dost, due_on=D(2024, 8, 1)
    )
    Finding.objects.filter(pk=closed.pk).update(status="closed")
    second = _inspect(agency, dost, D(2025, 6, 1))
    page = dost_client.get(second.get_absolute_url())
    assert [f.description for f in page.context["carried"]] == ["Còn mở"]
    dost_client.post(second.get_absolute_url(), {"recheck": open_one.pk, "effective": "1", "revision": 0})
    open_one.refresh_from_db()
    assert open_one.status == "closed" and open_one.rechecked_in == second


def test_repeated_findings_across_years_are_visible(dost, agency, dost_client):
    for year in (2018, 2019):
        inspection = _inspect(agency, dost, D(year, 6, 1))
        services.finding_add(
            inspection=inspection, item="audits", severity="minor", description=f"Lần {year}", actor=dost
        )
    listing = dost_client.get(reverse("inspections:findings"), {"repeated": "1"})
    assert [f.description for f in listing.context["page"]] == ["Lần 2019"]


def test_dossier_inspection_starts_from_the_self_report(dost, agency, secretary):
    round_2019 = services.round_open(
        province=agency.province, year=2019, opened_on=D(2019, 9, 1), deadline=D(2019, 10, 15), actor=dost
    )
    report = services.report_for(actor=SYSTEM, reporting_round=round_2019, agency=agency)
    from inspections.sections import SECTION_KEYS

    services.report_submit(
        report=report, answers=dict.fromkeys(SECTION_KEYS, "x"), expected_revision=0, actor=secretary
    )
    inspection = _inspect(agency, dost, D(2019, 11, 1), mode="dossier")
    assert inspection.self_report == report
    assert inspection.checks.count() == len(SECTION_KEYS)


def test_scoping_of_inspections_findings_plans_and_files(dost, agency, other_agency, secretary_client, leader_client):
    mine = _inspect(agency, dost, D(2025, 6, 1))
    theirs = _inspect(other_agency, dost, D(2025, 6, 2))
    finding = services.finding_add(inspection=theirs, item="scope", severity="minor", description="x", actor=dost)
    assert secretary_client.get(mine.get_absolute_url()).status_code == 200
    for url in (
        theirs.get_absolute_url(),
        reverse("inspections:inspection_file", args=[theirs.pk]),
        reverse("inspections:finding", args=[finding.pk]),
    ):
        assert secretary_client.get(url).status_code == 404, url
    assert secretary_client.post(reverse("inspections:finding", args=[finding.pk]), {"action": "x"}).status_code == 404
    assert secretary_client.get(reverse("inspections:plans")).status_code == 403
    assert (
        secretary_client.post(mine.get_absolute_url(), {"conclude": "1", "conclusion": "effective"}).status_code == 403
    )
    assert leader_client.post(mine.get_absolute_url(), {"conclude": "1", "conclusion": "effective"}).status_code == 403
    listing = secretary_client.get(reverse("inspections:inspections"), {"year": 2025})
    assert [i.agency_id for i in listing.context["page"]] == [agency.pk]


def test_inspection_file_zip_holds_the_record_and_every_document(dost, agency, secretary, dost_client):
    inspection = _inspect(agency, dost, D(2025, 6, 1))
    finding = services.finding_add(
        inspection=inspection,
        item="audits",
        severity="minor",
        description="Thiếu biên bản",
        actor=dost,
        due_on=D(2025, 8, 1),
    )
    services.action_report(
        finding=finding,
        action="Đã bổ sung",
        actor=secretary,
        upload=SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 bien ban"),
    )
    response = dost_client.get(reverse("inspections:inspection_file", args=[inspection.pk]))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["00-ho-so-kiem-tra.txt", "01-bien-ban.pdf"]
    summary = archive.read("00-ho-so-kiem-tra.txt").decode()
    assert "Thiếu biên bản" in summary and agency.name in summary


def test_demo_2019_figures(demo, client):
    client.force_login(User.objects.get(username="lanhdao"), backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("inspections:inspections"), {"year": 2019})
    figures = page.context["figures"]
    assert (figures["inspected"], figures["onsite"], figures["dossier"]) == (71, 25, 46)
    assert dict((k, n) for k, _l, n in figures["by_conclusion"])["formality"] == 3
    statuses = {k: n for k, _l, n in figures["by_status"]}
    assert all(statuses[k] > 0 for k in ("open", "answered", "rejected", "closed"))
    assert "71" in page.content.decode()


def test_lists_use_a_bounded_number_of_queries(dost, dost_client, province):
    from agencies.tests.factories import bulk_agencies

    bulk_agencies(province, 30, prefix="A")
    plan = services.plan_propose(province=province, year=2026, on=D(2026, 1, 15), actor=dost)
    first = plan.entries.first().agency
    inspection = _inspect(first, dost, D(2026, 3, 1))
    services.finding_add(inspection=inspection, item="scope", severity="minor", description="x", actor=dost)
    urls = [plan.get_absolute_url(), reverse("inspections:inspections") + "?year=2026", reverse("inspections:findings")]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert dost_client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    small = counts()
    bulk_agencies(province, 2970, prefix="B")
    PlanEntry.objects.bulk_create(
        [
            PlanEntry(plan=plan, agency=a, proposed_mode="dossier", mode="dossier")
            for a in province.agencies.filter(code__startswith="B")
        ]
    )
    for agency in list(province.agencies.filter(code__startswith="B"))[:40]:
        other = Inspection.objects.create(
            province=province, agency=agency, year=2026, mode="dossier", start_date=D(2026, 4, 1)
        )
        Finding.objects.create(inspection=other, item="legal", severity="minor", description="y")
    assert counts() == small


def test_only_dost_of_the_province_plans(foreign_dost, province, agency):
    with pytest.raises(PermissionDenied):
        services.plan_propose(province=province, year=2026, on=D(2026, 1, 1), actor=foreign_dost)
    secretary = make_user("tk2", User.Role.SECRETARY, agency=agency)
    with pytest.raises(PermissionDenied):
        services.inspection_start(agency=agency, mode="onsite", start_date=D(2026, 1, 1), actor=secretary)


def test_every_inspection_url_refuses_another_agencys_secretary(dost, agency, other_agency, province, secretary_client):
    plan = services.plan_propose(province=province, year=2026, on=D(2026, 1, 15), actor=dost)
    entry = plan.entries.get(agency=other_agency)
    theirs = _inspect(other_agency, dost, D(2026, 3, 1), entry=entry)
    finding = services.finding_add(inspection=theirs, item="scope", severity="minor", description="x", actor=dost)
    other_secretary = make_user("tk-stp", User.Role.SECRETARY, agency=other_agency)
    action = services.action_report(finding=finding, action="y", upload=None, actor=other_secretary)
    evidence = services.inspection_evidence_add(
        inspection=theirs, item="scope", actor=dost, upload=SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\n....")
    )
    reporting_round = services.round_open(
        province=province, year=2026, opened_on=D(2026, 9, 1), deadline=D(2026, 10, 15), actor=dost
    )
    services.report_for(actor=SYSTEM, reporting_round=reporting_round, agency=other_agency)
    gets = [
        theirs.get_absolute_url(),
        reverse("inspections:inspection_file", args=[theirs.pk]),
        reverse("inspections:finding", args=[finding.pk]),
        plan.get_absolute_url(),
        reverse("inspections:plan_entry", args=[entry.pk]),
        reverse("inspections:start", args=[entry.pk]),
        reverse("inspections:report", args=[reporting_round.pk, other_agency.pk]),
        evidence.document.get_absolute_url(),
    ]
    posts = [
        (theirs.get_absolute_url(), {"conclude": "1", "conclusion": "formality"}),
        (reverse("inspections:finding", args=[finding.pk]), {"action": "z"}),
        (reverse("inspections:action_decide", args=[action.pk]), {"accept": "1"}),
        (reverse("inspections:plan_entry", args=[entry.pk]), {"mode": "onsite", "override_reason": "x"}),
        (reverse("inspections:start", args=[entry.pk]), {"start_date": "01/04/2026"}),
        (reverse("inspections:plans"), {"year": "2027", "on": "01/01/2027"}),
        (reverse("inspections:report", args=[reporting_round.pk, other_agency.pk]), {"revision": 0, "save": "1"}),
        (reverse("inspections:report_decide", args=[reporting_round.pk, other_agency.pk]), {"accept": "1"}),
        (reverse("inspections:evidence_add", args=[reporting_round.pk, other_agency.pk]), {}),
    ]
    for url in gets:
        assert secretary_client.get(url).status_code in (403, 404), url
    for url, data in posts:
        assert secretary_client.post(url, data).status_code in (403, 404), url
    theirs.refresh_from_db()
    finding.refresh_from_db()
    action.refresh_from_db()
    assert theirs.conclusion == "" and finding.status == "answered" and action.decision == ""
    assert finding.actions.count() == 1
