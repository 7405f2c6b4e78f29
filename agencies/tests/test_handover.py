"""Hand-over with every reorganisation (issue 14): what an ended unit carries goes to a successor or is
closed with it, item by item or in bulk, from the web; anything left undecided raises a flag."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Category, Document, Handover, User
from agencies.tests.factories import make_agency, make_user
from inspections.models import Finding, Inspection, ReportingRound, SelfReport
from migrations_tracker.models import AdministrativeProcedure, Process, QMSProfile, StaffMember

pytestmark = pytest.mark.django_db
D = datetime.date
LEGAL = {"decision_number": "1/NQ-HĐND", "decision_date": "20/02/2025", "effective_date": "01/03/2025"}


def _client(user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _carrying(province, agency, secretary_name):
    """An agency with one of everything a unit carries, and its secretary."""
    secretary = make_user(secretary_name, User.Role.SECRETARY, agency=agency)
    QMSProfile.objects.create(agency=agency)
    AdministrativeProcedure.objects.create(agency=agency, code="1.001", name="Cấp giấy phép")
    Process.objects.create(agency=agency, code="QT-01", name="Quy trình cấp phép")
    StaffMember.objects.create(agency=agency, full_name="Nông Thị Lan")
    inspection = Inspection.objects.create(
        province=province, agency=agency, year=2024, mode="onsite", start_date=D(2024, 10, 1)
    )
    finding = Finding.objects.create(
        inspection=inspection,
        item="legal",
        severity="minor",
        description="Chưa cập nhật văn bản",
        due_on=D(2025, 6, 30),
    )
    round_ = ReportingRound.objects.get_or_create(
        province=province, year=2025, defaults={"opened_on": D(2025, 1, 2), "deadline": D(2025, 12, 1)}
    )[0]
    SelfReport.objects.create(round=round_, agency=agency)
    document = Document(agency=agency, original_name="quy-trinh.pdf", content_type="application/pdf", size=8)
    document.file.save("x.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    return secretary, finding


def _merge(client, predecessors, into):
    response = client.post(
        reverse("agencies:reorganisation_create", args=["merge"]),
        {**LEGAL, "predecessors": [a.pk for a in predecessors], "into": into.pk},
    )
    assert response.status_code == 302, response.context["form"].errors


def _open_values(client, agency) -> list[str]:
    page = client.get(reverse("agencies:handover", args=[agency.pk]))
    assert page.status_code == 200
    return [value for group in page.context["open"] for value, _label in group["items"]]


def test_a_merger_hands_the_open_finding_and_everything_else_to_the_successor(province, dost, leader):
    labour = make_agency(province, code="SLDTBXH", name="Sở Lao động - Thương binh và Xã hội")
    home = make_agency(province, code="SNV", name="Sở Nội vụ")
    old_secretary, finding = _carrying(province, labour, "thuky-sldtbxh")
    home_secretary = make_user("thuky-snv", User.Role.SECRETARY, agency=home)
    client = _client(dost)
    _merge(client, [labour], home)

    # The ended unit carries 8 items; it is flagged until every one has a decision.
    assert len(_open_values(client, labour)) == 8
    assert 'data-testid="ended-with-open-items"' in client.get(labour.get_absolute_url()).content.decode()
    flagged = client.get(reverse("agencies:handover_flag"))
    assert [a.pk for a in flagged.context["page"]] == [labour.pk]
    assert _client(leader).get(reverse("agencies:handover_flag")).status_code == 200
    assert client.get(reverse("agencies:list")).context["ended_with_open_items"] == 1

    # In bulk: every ticked item to the merged-into department (offered first).
    page = client.get(reverse("agencies:handover", args=[labour.pk]))
    assert page.context["target"]["to"].value() == home.pk
    assert f'<option value="{home.pk}" selected>' in page.content.decode()  # only the suggested one is in the page
    response = client.post(
        reverse("agencies:handover", args=[labour.pk]),
        {"item": _open_values(client, labour), "to": home.pk, "action": "move"},
    )
    assert response.status_code == 302
    assert Handover.objects.filter(from_agency=labour, to_agency=home, outcome="moved").count() == 8
    assert _open_values(client, labour) == []
    assert not client.get(reverse("agencies:handover_flag")).context["page"].object_list

    # The finding keeps its inspection, history and deadline under the successor.
    finding.refresh_from_db()
    assert (finding.agency, finding.inspection.agency, finding.due_on) == (home, labour, D(2025, 6, 30))
    assert finding.history.count() >= 2
    for secretary in (home_secretary, old_secretary):  # the old secretary's account moved with the unit
        secretary.refresh_from_db()
        listed = _client(secretary).get(reverse("inspections:findings"))
        assert finding in list(listed.context["page"]), secretary
        detail = _client(secretary).get(reverse("inspections:finding", args=[finding.pk]))
        assert detail.status_code == 200 and 'data-testid="handed-over"' in detail.content.decode()
        assert "30/06/2025" in detail.content.decode()
    assert old_secretary.agency == home and old_secretary.is_active
    successor_page = client.get(home.get_absolute_url()).content.decode()
    assert 'data-testid="open-findings"' in successor_page and "Chưa cập nhật văn bản" in successor_page
    assert "30/06/2025" in successor_page and 'data-testid="taken-over"' in successor_page
    assert AdministrativeProcedure.objects.get(code="1.001").agency == home
    assert SelfReport.objects.get(round__year=2025, agency=home)
    assert QMSProfile.objects.get(agency=labour)  # the profile stays as the ended unit's history
    assert "Sở Nội vụ" in client.get(labour.get_absolute_url()).content.decode()


def test_a_dissolution_without_hand_over_raises_the_flag_until_items_are_closed(province, dost, secretary, agency):
    district = make_agency(province, code="H01", name="UBND huyện Hà Quảng", category=Category.DISTRICT_PC)
    office = make_agency(province, code="H01-VP", name="Văn phòng HĐND và UBND huyện Hà Quảng", parent=district)
    office_secretary, _finding = _carrying(province, office, "thuky-h01")
    commune = make_agency(province, code="X01", name="UBND xã Minh Khai", category=Category.COMMUNE_LEVEL_PC)
    client = _client(dost)
    response = client.post(
        reverse("agencies:reorganisation_create", args=["dissolution"]),
        {**LEGAL, "effective_date": "01/07/2025", "agencies": [district.pk, office.pk]},
    )
    assert response.status_code == 302, response.context["form"].errors
    flagged = {a.pk for a in client.get(reverse("agencies:handover_flag")).context["page"]}
    assert flagged == {office.pk}  # the district PC itself carried nothing

    # Item by item: the procedure to the commune; the rest closed with the unit.
    values = _open_values(client, office)
    procedure = next(v for v in values if v.startswith("procedure:"))

    def offered(text):  # what the successor picker offers for a search
        found = client.get(reverse("agencies:pick"), {"kind": f"successors-{office.pk}", "q": text}).json()
        return [result["id"] for result in found["results"]]

    assert commune.pk in offered(commune.code) and district.pk not in offered(district.code)
    assert (
        client.post(
            reverse("agencies:handover", args=[office.pk]), {"item": [procedure], "to": commune.pk, "action": "move"}
        ).status_code
        == 302
    )
    assert AdministrativeProcedure.objects.get(code="1.001").agency == commune
    rest = _open_values(client, office)
    assert len(rest) == 7 and procedure not in rest
    assert (
        client.post(reverse("agencies:handover", args=[office.pk]), {"item": rest, "action": "close"}).status_code
        == 302
    )
    office_secretary.refresh_from_db()
    assert not office_secretary.is_active  # never left active
    assert _client(office_secretary).get(reverse("agencies:list")).status_code == 302  # signed out
    assert Finding.objects.get(agency=office).status == Finding.Status.CLOSED
    assert not client.get(reverse("agencies:handover_flag")).context["page"].object_list
    assert Handover.objects.filter(from_agency=office, outcome="closed").count() == 7


def test_hand_over_refuses_what_is_not_the_units_and_successors_elsewhere(
    province, other_province, dost, leader, foreign_dost, agency, other_agency
):
    labour = make_agency(province, code="SLDTBXH", name="Sở Lao động - Thương binh và Xã hội")
    _carrying(province, labour, "thuky-sldtbxh")
    _stranger, not_its_finding = _carrying(province, other_agency, "thuky-stp")
    foreign = make_agency(other_province, code="BK-SNV", name="Sở Nội vụ Bắc Kạn")
    AdministrativeProcedure.objects.create(agency=agency, code="1.001", name="Trùng mã")
    client = _client(dost)
    _merge(client, [labour], agency)
    url = reverse("agencies:handover", args=[labour.pk])
    values = _open_values(client, labour)
    decided = Handover.objects.count

    # Another agency's finding smuggled in, an unknown kind, a successor in another province, a code clash.
    for data in (
        {"item": [f"finding:{not_its_finding.pk}"], "to": agency.pk, "action": "move"},
        {"item": ["nonsense:1"], "to": agency.pk, "action": "move"},
        {"item": ["finding:99999999999999999999"], "action": "close"},
        {"item": values, "to": foreign.pk, "action": "move"},
        {"item": values, "to": "", "action": "move"},
        {"item": values, "to": agency.pk, "action": "delete"},
        {"item": values, "to": agency.pk, "action": "move"},  # agency already has procedure 1.001
    ):
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert 'data-testid="handover-error"' in response.content.decode()
        assert decided() == 0
    clash = client.post(url, {"item": values, "to": agency.pk, "action": "move"}).content.decode()
    assert "1.001" in clash and 'value="procedure:' in clash  # the ticks are kept
    not_its_finding.refresh_from_db()
    assert not_its_finding.agency == other_agency and not_its_finding.status == Finding.Status.OPEN

    # Leadership never writes; another province's DOST does not even see the unit.
    assert _client(leader).post(url, {"item": values, "action": "close"}).status_code == 403
    assert _client(foreign_dost).post(url, {"item": values, "action": "close"}).status_code == 404
    assert _client(foreign_dost).get(url).status_code == 404
    assert decided() == 0
    # An agency that has not ended has nothing to hand over.
    assert client.get(reverse("agencies:handover", args=[agency.pk])).status_code == 404


def test_the_hand_over_pages_cost_a_fixed_number_of_queries(province, dost):
    client = _client(dost)
    into = make_agency(province, code="SNV", name="Sở Nội vụ")
    counted = []
    for n in (1, 4):
        ended = []
        for i in range(n):
            unit = make_agency(province, code=f"U{n}-{i}", name=f"Đơn vị {n}-{i}")
            _carrying(province, unit, f"thuky-{n}-{i}")
            AdministrativeProcedure.objects.create(agency=unit, code="1.002", name="Thủ tục khác")
            ended.append(unit)
        _merge(client, ended, into)
        for url in (reverse("agencies:handover_flag"), reverse("agencies:handover", args=[ended[0].pk])):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counted.append(len(queries))
    assert counted[:2] == counted[2:]


def test_the_demo_hands_over_every_ended_unit_and_the_successors_follow_up_their_findings(demo):
    from agencies.demo import successor_commune

    dost = _client(User.objects.get(username="dost"))
    flag = dost.get(reverse("agencies:handover_flag"))
    assert flag.status_code == 200 and not flag.context["page"].paginator.count, "no ended unit is left undecided"
    # Agriculture merged into Agriculture and Environment on 1/3/2025: its open finding of 2019 is the new
    # department's now, deadline kept, and the new department's secretary follows it up.
    farming = Finding.objects.filter(inspection__agency__code="SNN").exclude(status=Finding.Status.CLOSED)
    assert farming.exists() and set(farming.values_list("agency__code", flat=True)) == {"SNNMT"}
    successor = _client(User.objects.get(username="tk.snnmt"))
    page = successor.get(reverse("inspections:findings")).content.decode()
    for finding in farming:
        assert finding.description[:40] in page and finding.due_on.strftime("%d/%m/%Y") in page
    # Hạ Lang's committee was dissolved on 1/7/2025: the commune that took over its territory follows its findings,
    # and the committee's secretary account moved there; its offices' accounts were disabled.
    commune = successor_commune("H08")
    ha_lang = Finding.objects.filter(inspection__agency__code="H08").exclude(status=Finding.Status.CLOSED)
    assert ha_lang.exists() and set(ha_lang.values_list("agency__code", flat=True)) == {commune}
    moved = User.objects.get(username="tk.h08")
    assert moved.is_active and moved.agency.code == commune
    assert not User.objects.get(username="tk.h08-tnmt").is_active
    assert not User.objects.filter(role=User.Role.SECRETARY, is_active=True, agency__ended_on__isnull=False).exists()
    successor_page = _client(moved).get(reverse("agencies:detail", args=[moved.agency_id])).content.decode()
    assert ha_lang.first().due_on.strftime("%d/%m/%Y") in successor_page
    # Someone else's successor is still out of reach.
    assert _client(moved).get(reverse("inspections:finding", args=[farming.first().pk])).status_code == 404
    assert successor.get(reverse("inspections:finding", args=[farming.first().pk])).status_code == 200
