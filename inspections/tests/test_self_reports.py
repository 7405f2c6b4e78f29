"""Self-reports: the state machine, the concurrent-edit guard, pre-filling, DOST's overview, scoping."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections import services
from inspections.models import ReportingRound, SelfReport
from inspections.sections import SECTION_KEYS
from iso_tracker.permissions import SYSTEM
from migrations_tracker import services as qms
from migrations_tracker.models import Announcement

pytestmark = pytest.mark.django_db
D = datetime.date
FULL = {key: f"Trả lời mục {key}" for key in SECTION_KEYS}


@pytest.fixture
def round_2025(province, dost):
    return services.round_open(
        province=province, year=2025, opened_on=D(2025, 9, 1), deadline=D(2025, 10, 15), actor=dost
    )


def _url(reporting_round, agency):
    return reverse("inspections:report", args=[reporting_round.pk, agency.pk])


def _post(client, reporting_round, agency, answers, revision, action="save"):
    return client.post(_url(reporting_round, agency), {**answers, "revision": revision, action: "1"})


def test_dost_opens_a_round_once_a_year(dost_client, province):
    data = {"year": "2025", "opened_on": "01/09/2025", "deadline": "15/10/2025"}
    assert dost_client.post(reverse("inspections:rounds"), data).status_code == 302
    again = dost_client.post(reverse("inspections:rounds"), data)
    assert again.status_code == 400
    assert "Tỉnh đã có đợt báo cáo cho năm này." in again.content.decode()
    bad = dost_client.post(reverse("inspections:rounds"), {**data, "year": "2026", "deadline": "01/08/2025"})
    assert "Hạn nộp không thể trước ngày mở đợt báo cáo." in bad.content.decode()
    assert ReportingRound.objects.count() == 1


def test_the_full_cycle_draft_submit_return_resubmit_accept(secretary_client, dost_client, round_2025, agency):
    page = secretary_client.get(_url(round_2025, agency))
    assert page.status_code == 200 and page.context["item"].status == "draft"
    assert not SelfReport.objects.exists(), "opening the page writes nothing; the first save starts the report"
    assert _post(secretary_client, round_2025, agency, {**FULL, "scope": ""}, 0).status_code == 302
    report = SelfReport.objects.get()
    incomplete = _post(secretary_client, round_2025, agency, {**FULL, "scope": ""}, 1, "submit")
    assert incomplete.status_code == 400
    assert "Phạm vi" in incomplete.context["form"].non_field_errors()[0]
    report.refresh_from_db()
    assert report.status == "draft"
    assert _post(secretary_client, round_2025, agency, FULL, report.revision, "submit").status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted" and report.submitted_at is not None
    decide = reverse("inspections:report_decide", args=[round_2025.pk, agency.pk])
    revision = SelfReport.objects.get().revision
    dost_client.post(decide, {"return": "1", "comment": "", "revision": revision})  # a return needs a reason
    report.refresh_from_db()
    assert report.status == "submitted"
    dost_client.post(decide, {"return": "1", "comment": "Bổ sung biên bản đánh giá nội bộ.", "revision": revision})
    report.refresh_from_db()
    assert report.status == "returned" and report.dost_comment == "Bổ sung biên bản đánh giá nội bộ."
    assert "Bổ sung biên bản đánh giá nội bộ." in secretary_client.get(_url(round_2025, agency)).content.decode()
    assert _post(secretary_client, round_2025, agency, FULL, report.revision, "submit").status_code == 302
    dost_client.post(decide, {"accept": "1", "revision": SelfReport.objects.get().revision})
    report.refresh_from_db()
    assert report.status == "accepted"
    locked = _post(secretary_client, round_2025, agency, FULL, report.revision)
    assert locked.status_code == 403


def test_no_skipping_states(round_2025, agency, secretary, dost):
    report = services.report_for(actor=SYSTEM, reporting_round=round_2025, agency=agency)
    with pytest.raises(ValidationError):
        services.report_accept(report=report, expected_revision=report.revision, actor=dost)  # a draft cannot be
    with pytest.raises(ValidationError):
        services.report_return(report=report, comment="x", expected_revision=report.revision, actor=dost)


def test_a_secretary_cannot_accept_or_return_their_own_report(secretary_client, round_2025, agency, secretary):
    report = services.report_for(actor=SYSTEM, reporting_round=round_2025, agency=agency)
    services.report_submit(report=report, answers=FULL, expected_revision=0, actor=secretary)
    with pytest.raises(PermissionDenied):
        services.report_accept(report=report, expected_revision=report.revision, actor=secretary)
    response = secretary_client.post(
        reverse("inspections:report_decide", args=[round_2025.pk, agency.pk]), {"accept": "1"}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "submitted"


def test_two_people_editing_one_draft_do_not_overwrite_each_other(secretary_client, round_2025, agency):
    secretary_client.get(_url(round_2025, agency))
    first = _post(secretary_client, round_2025, agency, {**FULL, "scope": "Bản của người thứ nhất"}, 0)
    assert first.status_code == 302
    stale = _post(secretary_client, round_2025, agency, {**FULL, "scope": "Bản của người thứ hai"}, 0)
    assert stale.status_code == 409
    assert "Bản của người thứ hai" in stale.content.decode()  # nothing typed is lost
    assert "Có người khác đã lưu báo cáo này" in stale.content.decode()
    assert SelfReport.objects.get().answers["scope"] == "Bản của người thứ nhất"


def test_prefilled_from_last_year_and_from_what_the_app_knows(round_2025, agency, province, dost, secretary):
    qms.announcement_create(
        actor=SYSTEM,
        agency=agency,
        announcement=Announcement(
            decision_number="7/QĐ-SKHCN", decision_date=D(2019, 12, 1), edition_id="2015", scope="x"
        ),
    )
    report = services.report_for(actor=SYSTEM, reporting_round=round_2025, agency=agency)
    assert "7/QĐ-SKHCN" in report.answers["announcement"]
    services.report_submit(
        report=report, answers={**FULL, "improvement": "Số hóa hồ sơ"}, expected_revision=0, actor=secretary
    )
    next_round = services.round_open(
        province=province, year=2026, opened_on=D(2026, 9, 1), deadline=D(2026, 10, 15), actor=dost
    )
    assert (
        services.report_for(actor=SYSTEM, reporting_round=next_round, agency=agency).answers["improvement"]
        == "Số hóa hồ sơ"
    )


def test_evidence_is_checked_and_scoped(secretary_client, client, round_2025, agency, other_agency):
    url = reverse("inspections:evidence_add", args=[round_2025.pk, agency.pk])
    secretary_client.get(_url(round_2025, agency))
    secretary_client.post(url, {"section": "audits", "evidence": SimpleUploadedFile("bb.pdf", b"MZ fake")})
    report = SelfReport.objects.get()
    assert not report.evidence.exists()
    secretary_client.post(url, {"section": "audits", "evidence": SimpleUploadedFile("bb.pdf", b"%PDF-1.4 ok")})
    assert report.evidence.count() == 1
    other = reverse("inspections:evidence_add", args=[round_2025.pk, other_agency.pk])
    assert secretary_client.post(other, {"evidence": SimpleUploadedFile("x.pdf", b"%PDF-1.4")}).status_code == 404
    assert secretary_client.get(_url(round_2025, other_agency)).status_code == 404
    assert secretary_client.post(_url(round_2025, other_agency), {**FULL, "revision": 0}).status_code == 404


def test_leadership_reads_but_cannot_write(leader_client, round_2025, agency, secretary):
    services.report_for(actor=SYSTEM, reporting_round=round_2025, agency=agency)
    assert leader_client.get(_url(round_2025, agency)).status_code == 200
    assert leader_client.post(_url(round_2025, agency), {**FULL, "revision": 0}).status_code == 403
    decide = reverse("inspections:report_decide", args=[round_2025.pk, agency.pk])
    assert leader_client.post(decide, {"accept": "1"}).status_code == 403
    assert leader_client.post(reverse("inspections:rounds"), {"year": "2030"}).status_code == 403


def test_another_provinces_round_is_invisible(foreign_dost_client, round_2025, agency):
    assert foreign_dost_client.get(round_2025.get_absolute_url()).status_code == 404
    assert foreign_dost_client.get(_url(round_2025, agency)).status_code == 404


def test_dost_sees_who_has_not_submitted_is_late_or_was_returned(demo, client):
    from agencies.models import User

    client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    reporting_round = ReportingRound.objects.get(year=2019)
    page = client.get(reporting_round.get_absolute_url())
    counts = {key: n for key, _label, n in page.context["states"]}
    assert counts == {"not_started": 5, "draft": 3, "submitted": 22, "returned": 4, "accepted": 43, "late": 13}
    late = client.get(reporting_round.get_absolute_url(), {"state": "late"})
    assert {"SNGV", "H06", "CCTL"} <= {row.agency.code for row in late.context["page"]}
    returned = client.get(reporting_round.get_absolute_url(), {"state": "returned"})
    assert sorted(row.agency.code for row in returned.context["page"]) == ["CCKL", "H08", "H13-TNMT", "SGTVT"]


def test_round_overview_uses_a_bounded_number_of_queries(dost_client, province, round_2025):
    from agencies.tests.factories import bulk_agencies

    bulk_agencies(province, 30, prefix="A")
    url = round_2025.get_absolute_url()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert dost_client.get(url, {"state": "late"}).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    bulk_agencies(province, 2970, prefix="B")
    assert count() == small


def test_facts_beside_a_past_report_are_those_of_its_year(secretary_client, round_2025, agency):
    from migrations_tracker.models import Review

    Review.objects.create(agency=agency, kind="audit", date=D(2025, 3, 1))
    Review.objects.create(agency=agency, kind="audit", date=D(2026, 3, 1))  # after the round's deadline
    page = secretary_client.get(_url(round_2025, agency)).content.decode()
    assert "Đánh giá nội bộ gần nhất: 01/03/2025." in page
    assert "01/03/2026" not in page


def test_a_secretary_of_an_agency_that_ended_before_the_round_has_no_report_in_it(secretary_client, agency, dost):
    from agencies.services import LegalBasis, reorganisation_dissolve

    reorganisation_dissolve(
        actor=SYSTEM,
        province=agency.province,
        agencies=[agency],
        basis=LegalBasis("1/NQ-UBTVQH", D(2025, 6, 1), D(2025, 7, 1)),
    )
    later = services.round_open(
        province=agency.province, year=2026, opened_on=D(2026, 9, 1), deadline=D(2026, 10, 15), actor=dost
    )
    assert secretary_client.get(_url(later, agency)).status_code == 404
    assert _post(secretary_client, later, agency, FULL, 0).status_code == 404
    assert not SelfReport.objects.filter(round=later).exists()


def test_a_decision_is_on_the_revision_dost_read(secretary_client, dost_client, round_2025, agency):
    """DOST opened a submitted report; meanwhile it was returned by a colleague, revised and submitted again.
    The first member's Accept names the revision they read, so it is refused, not applied to text they never saw."""
    assert _post(secretary_client, round_2025, agency, FULL, 0, "submit").status_code == 302
    report = SelfReport.objects.get()
    read = report.revision
    decide = reverse("inspections:report_decide", args=[round_2025.pk, agency.pk])
    dost_client.post(decide, {"return": "1", "comment": "Thiếu biên bản.", "revision": read})  # a colleague
    report.refresh_from_db()
    assert _post(secretary_client, round_2025, agency, {**FULL, "scope": "Đã bổ sung"}, report.revision, "submit")
    response = dost_client.post(decide, {"accept": "1", "revision": read}, follow=True)
    report.refresh_from_db()
    assert report.status == "submitted", "not accepted: the text changed after it was read"
    assert "Báo cáo đã thay đổi sau khi bạn mở" in response.content.decode()
    assert dost_client.post(decide, {"accept": "1"}).status_code == 302  # no revision named: nothing decided
    report.refresh_from_db()
    assert report.status == "submitted"
    dost_client.post(decide, {"accept": "1", "revision": report.revision})
    report.refresh_from_db()
    assert report.status == "accepted"


def test_attaching_evidence_saves_the_text_typed_before_it(secretary_client, round_2025, agency, dost):
    """The "Attach" button posts the report's form: the answers typed so far are saved as the draft first,
    even when the file itself is refused; a concurrent save is reported with the typed text kept."""
    url = reverse("inspections:evidence_add", args=[round_2025.pk, agency.pk])
    page = secretary_client.get(_url(round_2025, agency)).content.decode()
    assert 'form="report-form"' in page and 'data-testid="attach"' in page
    typed = {**FULL, "audits": "Đã đánh giá nội bộ ngày 10/10/2025", "revision": 0}
    response = secretary_client.post(
        url, {**typed, "section": "audits", "evidence": SimpleUploadedFile("bb.pdf", b"%PDF-1.4 ok")}
    )
    assert response.status_code == 302
    report = SelfReport.objects.get()
    assert report.answers["audits"] == "Đã đánh giá nội bộ ngày 10/10/2025" and report.evidence.count() == 1
    refused = {**typed, "audits": "Sửa lần hai", "revision": report.revision, "section": "audits"}
    secretary_client.post(url, {**refused, "evidence": SimpleUploadedFile("x.exe", b"MZ fake")})
    report.refresh_from_db()
    assert report.answers["audits"] == "Sửa lần hai" and report.evidence.count() == 1
    stale = {**typed, "audits": "Bản của tôi", "revision": 0, "section": "audits"}
    conflict = secretary_client.post(url, {**stale, "evidence": SimpleUploadedFile("c.pdf", b"%PDF-1.4")})
    assert conflict.status_code == 409 and "Bản của tôi" in conflict.content.decode()
    report.refresh_from_db()
    assert report.answers["audits"] == "Sửa lần hai" and report.evidence.count() == 1
