"""No silent lost update in the inspection cycle (issue 12): every edit form of a plan entry, an inspection or
a finding carries the revision it was opened on and a stale save is refused with what was typed kept (409);
every decision names the revision it was made on and decides nothing if the record changed since; opening a
page writes nothing."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from agencies.models import User
from agencies.tests.factories import make_agency, make_user
from inspections import services
from inspections.models import CorrectiveAction, Finding, Inspection, PlanEntry
from iso_tracker.concurrency import CONFLICT_MESSAGE, EditConflict

pytestmark = pytest.mark.django_db
D = datetime.date


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _says(response, message) -> bool:
    """The page shows the message, in the language the site speaks (Vietnamese once translated)."""
    with translation.override("vi"):
        return escape(str(message)) in response.content.decode()


@pytest.fixture
def colleague(province):
    """A second DOST member, working at the same time as `dost`."""
    return _client(make_user("dost2", User.Role.DOST, province=province))


@pytest.fixture
def inspection(dost, agency):
    return services.inspection_start(agency=agency, mode="onsite", start_date=D(2025, 6, 1), actor=dost)


@pytest.fixture
def finding(dost, inspection):
    return services.finding_add(
        inspection=inspection, item="audits", severity="minor", description="Thiếu biên bản", actor=dost
    )


def _state():
    """Every row the pages below could write, with its revision."""
    return (
        list(PlanEntry.objects.values_list("pk", "revision", "mode", "team").order_by("pk")),
        list(Inspection.objects.values_list("pk", "revision", "conclusion", "conclusion_note").order_by("pk")),
        list(Finding.objects.values_list("pk", "revision", "status", "due_on").order_by("pk")),
        list(CorrectiveAction.objects.values_list("pk", "decision").order_by("pk")),
        [model.history.count() for model in (PlanEntry, Inspection, Finding, CorrectiveAction)],
    )


# Services: every save counts, whoever makes it ------------------------------------------------------------


def test_every_save_moves_the_revision_on_and_a_stale_one_is_refused(dost, secretary, province, finding):
    make_agency(province, code="C1")
    plan = services.plan_propose(province=province, year=2026, on=D(2026, 1, 15), actor=dost)
    entry = plan.entries.first()
    services.plan_entry_update(entry=entry, actor=dost, mode=entry.mode, team="Đoàn 1")  # a command names none
    assert PlanEntry.objects.get(pk=entry.pk).revision == 1
    with pytest.raises(EditConflict):
        services.plan_entry_update(entry=entry, actor=dost, mode=entry.mode, team="Đoàn 2", expected_revision=0)
    assert PlanEntry.objects.get(pk=entry.pk).team == "Đoàn 1"

    inspection = finding.inspection
    services.checks_record(inspection=inspection, results={"audits": ("nc", "")}, actor=dost, expected_revision=0)
    with pytest.raises(EditConflict):
        services.inspection_conclude(
            inspection=inspection,
            conclusion="effective",
            conclusion_note="",
            minutes_signed_on=None,
            end_date=None,
            actor=dost,
            expected_revision=0,
        )
    assert Inspection.objects.get(pk=inspection.pk).revision == 1
    assert Inspection.objects.get(pk=inspection.pk).conclusion == ""
    # The signed minutes give the finding its deadline: a save of the finding too.
    services.inspection_conclude(
        inspection=inspection,
        conclusion="findings",
        conclusion_note="",
        minutes_signed_on=D(2025, 6, 10),
        end_date=None,
        actor=dost,
        expected_revision=1,
    )
    assert Finding.objects.get(pk=finding.pk).revision == 1
    with pytest.raises(EditConflict):
        services.action_report(finding=finding, action="x", upload=None, actor=secretary, expected_revision=0)
    assert not CorrectiveAction.objects.exists()


# Plan entries ---------------------------------------------------------------------------------------------


def _entry_data(entry: PlanEntry, **changes) -> dict:
    return {
        "mode": entry.mode,
        "override_reason": entry.override_reason,
        "planned_date": "",
        "team": entry.team,
        "budget_vnd": entry.budget_vnd,
        "revision": entry.revision,
        **changes,
    }


def test_two_people_editing_one_plan_entry(dost_client, colleague, dost, province):
    make_agency(province, code="C1")
    plan = services.plan_propose(province=province, year=2026, on=D(2026, 1, 15), actor=dost)
    entry = plan.entries.get()
    url = reverse("inspections:plan_entry", args=[entry.pk])
    before = _state()
    assert dost_client.get(url).context["form"].initial["revision"] == 0
    assert colleague.get(url).context["form"].initial["revision"] == 0
    assert _state() == before, "opening the form writes nothing"

    assert dost_client.post(url, _entry_data(entry, team="Đoàn của người thứ nhất")).status_code == 302
    late = colleague.post(url, _entry_data(entry, team="Đoàn của người thứ hai"))
    assert late.status_code == 409
    assert "Đoàn của người thứ hai" in late.content.decode()  # nothing typed is lost
    assert _says(late, CONFLICT_MESSAGE)
    entry.refresh_from_db()
    assert (entry.team, entry.revision) == ("Đoàn của người thứ nhất", 1)

    assert colleague.post(url, _entry_data(entry, team="Đoàn của người thứ hai")).status_code == 302
    entry.refresh_from_db()
    assert (entry.team, entry.revision) == ("Đoàn của người thứ hai", 2)
    missing = _entry_data(entry, team="Không nêu phiên bản")
    del missing["revision"]
    assert colleague.post(url, missing).status_code == 400
    assert PlanEntry.objects.get(pk=entry.pk).team == "Đoàn của người thứ hai"


# Inspections: the checklist and the conclusion -----------------------------------------------------------


def _conclude(revision: int, note: str) -> dict:
    return {
        "conclude": "1",
        "conclusion": "findings",
        "conclusion_note": note,
        "minutes_signed_on": "10/06/2025",
        "end_date": "",
        "revision": revision,
    }


def test_two_people_concluding_one_inspection(dost_client, colleague, inspection):
    url = inspection.get_absolute_url()
    before = _state()
    assert dost_client.get(url).context["conclusion_form"].initial["revision"] == 0
    assert colleague.get(url).status_code == 200
    assert _state() == before, "opening the inspection writes nothing"

    assert dost_client.post(url, _conclude(0, "Kết luận của người thứ nhất")).status_code == 302
    late = colleague.post(url, _conclude(0, "Kết luận của người thứ hai"))
    assert late.status_code == 409
    assert "Kết luận của người thứ hai" in late.content.decode()
    assert _says(late, CONFLICT_MESSAGE)
    inspection.refresh_from_db()
    assert (inspection.conclusion_note, inspection.revision) == ("Kết luận của người thứ nhất", 1)

    assert colleague.post(url, _conclude(1, "Kết luận của người thứ hai")).status_code == 302
    inspection.refresh_from_db()
    assert (inspection.conclusion_note, inspection.revision) == ("Kết luận của người thứ hai", 2)


def test_a_checklist_saved_on_an_older_revision_is_refused(dost_client, colleague, inspection):
    url = inspection.get_absolute_url()
    assert dost_client.get(url).context["checklist"]["revision"].value() == 0
    assert dost_client.post(url, _conclude(0, "Đã kết luận")).status_code == 302
    late = colleague.post(
        url, {"checks": "1", "result_audits": "nc", "note_audits": "Ghi chú bị từ chối", "revision": 0}
    )
    assert late.status_code == 409
    assert "Ghi chú bị từ chối" in late.content.decode()
    assert inspection.checks.get(item="audits").result == ""
    response = colleague.post(url, {"checks": "1", "result_audits": "nc", "note_audits": "Ghi chú mới", "revision": 1})
    assert response.status_code == 302
    assert inspection.checks.get(item="audits").note == "Ghi chú mới"
    assert Inspection.objects.get(pk=inspection.pk).revision == 2


# Findings: the secretary's answer and DOST's decisions ----------------------------------------------------


def test_two_secretaries_answering_one_finding(secretary_client, agency, finding):
    colleague = _client(make_user("thuky2", User.Role.SECRETARY, agency=agency))
    url = reverse("inspections:finding", args=[finding.pk])
    before = _state()
    assert secretary_client.get(url).context["form"].initial["revision"] == 0
    assert colleague.get(url).status_code == 200
    assert _state() == before, "opening the finding writes nothing"

    assert secretary_client.post(url, {"action": "Hành động của người thứ nhất", "revision": 0}).status_code == 302
    late = colleague.post(url, {"action": "Hành động của người thứ hai", "revision": 0})
    assert late.status_code == 409
    assert "Hành động của người thứ hai" in late.content.decode()
    assert _says(late, CONFLICT_MESSAGE)
    assert [a.action for a in finding.actions.all()] == ["Hành động của người thứ nhất"]
    assert Finding.objects.get(pk=finding.pk).revision == 1


def test_a_decision_on_a_corrective_action_is_on_the_revision_dost_read(dost_client, colleague, secretary, finding):
    from inspections.cycle_views import FINDING_CHANGED

    action = services.action_report(finding=finding, action="Đã sửa", upload=None, actor=secretary)
    url = reverse("inspections:finding", args=[finding.pk])
    decide = reverse("inspections:action_decide", args=[action.pk])
    before = _state()
    dost_client.get(url)
    colleague.get(url)
    assert _state() == before
    read = Finding.objects.get(pk=finding.pk).revision

    assert colleague.post(decide, {"reject": "1", "reason": "Thiếu minh chứng.", "revision": read}).status_code == 302
    response = dost_client.post(decide, {"accept": "1", "revision": read}, follow=True)
    assert _says(response, FINDING_CHANGED)
    action.refresh_from_db()
    assert action.decision == "rejected" and action.reason == "Thiếu minh chứng."
    assert Finding.objects.get(pk=finding.pk).status == "rejected"

    answer = services.action_report(finding=finding, action="Đã bổ sung", upload=None, actor=secretary)
    decide = reverse("inspections:action_decide", args=[answer.pk])
    assert dost_client.post(decide, {"accept": "1"}).status_code == 302  # no revision named: nothing decided
    assert Finding.objects.get(pk=finding.pk).status == "answered"
    dost_client.post(decide, {"accept": "1", "revision": Finding.objects.get(pk=finding.pk).revision})
    assert Finding.objects.get(pk=finding.pk).status == "closed"


def test_a_recheck_is_on_the_revision_dost_read(dost, dost_client, secretary, finding):
    from inspections.cycle_views import FINDING_CHANGED

    later = services.inspection_start(
        agency=finding.inspection.agency, mode="onsite", start_date=D(2026, 6, 1), actor=dost
    )
    url = later.get_absolute_url()
    before = _state()
    assert [f.pk for f in dost_client.get(url).context["carried"]] == [finding.pk]
    assert _state() == before
    services.action_report(finding=finding, action="Đã sửa", upload=None, actor=secretary)  # after DOST read it
    response = dost_client.post(url, {"recheck": finding.pk, "effective": "1", "revision": 0}, follow=True)
    assert _says(response, FINDING_CHANGED)
    finding.refresh_from_db()
    assert (finding.status, finding.rechecked_in) == ("answered", None)
    dost_client.post(url, {"recheck": finding.pk, "effective": "1"})  # no revision named: nothing decided
    assert Finding.objects.get(pk=finding.pk).rechecked_in is None
    dost_client.post(url, {"recheck": finding.pk, "effective": "1", "revision": finding.revision})
    finding.refresh_from_db()
    assert (finding.status, finding.rechecked_in) == ("closed", later)


# Opening a page ---------------------------------------------------------------------------------------------


def test_opening_the_pages_writes_nothing(dost_client, secretary_client, dost, secretary, province, finding):
    make_agency(province, code="C1")
    plan = services.plan_propose(province=province, year=2026, on=D(2026, 1, 15), actor=dost)
    services.action_report(finding=finding, action="Đã sửa", upload=None, actor=secretary)
    pages = [
        (dost_client, reverse("inspections:plan_entry", args=[plan.entries.first().pk])),
        (dost_client, finding.inspection.get_absolute_url()),
        (dost_client, reverse("inspections:finding", args=[finding.pk])),
        (secretary_client, reverse("inspections:finding", args=[finding.pk])),
    ]
    before = _state()
    for client, url in pages:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
        assert not [sql for sql in writes if "inspections_" in sql], (url, writes)
    assert _state() == before
