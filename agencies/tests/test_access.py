"""Role scoping, tried from the attacker's side."""

import pytest
from django.urls import reverse

from agencies.models import Agency, Reorganisation
from agencies.services import LegalBasis, reorganisation_rename
from iso_tracker.permissions import SYSTEM

pytestmark = pytest.mark.django_db


def test_secretary_sees_only_own_agency_in_list_and_export(secretary_client, agency, other_agency):
    page = secretary_client.get(reverse("agencies:list"))
    assert page.status_code == 200
    assert agency.name in page.content.decode()
    assert other_agency.name not in page.content.decode()
    export = secretary_client.get(reverse("agencies:export_csv")).content.decode("utf-8-sig")
    assert agency.code in export
    assert other_agency.code not in export


@pytest.mark.parametrize("name", ["agencies:detail", "agencies:edit"])
def test_secretary_gets_404_for_another_agencys_pages(secretary_client, other_agency, foreign_agency, name):
    for target in (other_agency, foreign_agency):
        assert secretary_client.get(reverse(name, args=[target.pk])).status_code == 404


def test_secretary_cannot_post_edits_to_another_agency(secretary_client, other_agency):
    response = secretary_client.post(reverse("agencies:edit", args=[other_agency.pk]), {"phone": "0999"})
    assert response.status_code == 404
    other_agency.refresh_from_db()
    assert other_agency.phone != "0999"


def test_secretary_edits_only_contact_data_of_own_agency(secretary_client, agency):
    response = secretary_client.post(
        reverse("agencies:edit", args=[agency.pk]),
        {
            "revision": agency.revision,
            "phone": "0206.3852222",
            "secretary_name": "Nông Thị Lan",
            "name": "Tên bị đổi trái phép",
            "code": "HACK",
        },
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.phone == "0206.3852222"
    assert agency.secretary_name == "Nông Thị Lan"
    assert agency.name == "Sở Khoa học và Công nghệ"
    assert agency.code == "SKHCN"


def test_secretary_cannot_create_import_or_reorganise(secretary_client):
    assert secretary_client.get(reverse("agencies:create")).status_code == 403
    assert secretary_client.post(reverse("agencies:create"), {"code": "X", "name": "X"}).status_code == 403
    assert secretary_client.get(reverse("agencies:import")).status_code == 403
    assert secretary_client.get(reverse("agencies:reorganisation_create", args=["merge"])).status_code == 403
    assert not Agency.objects.filter(code="X").exists()


def test_secretary_sees_only_reorganisations_of_own_agency(secretary_client, province, agency, other_agency, dost):
    import datetime

    mine = reorganisation_rename(
        actor=SYSTEM,
        province=province,
        agency=agency,
        new_name="Sở KH&CN mới",
        basis=LegalBasis("1/QĐ", datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)),
    )
    theirs = reorganisation_rename(
        actor=SYSTEM,
        province=province,
        agency=other_agency,
        new_name="Sở Tư pháp mới",
        basis=LegalBasis("2/QĐ", datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)),
    )
    assert secretary_client.get(reverse("agencies:reorganisation_detail", args=[mine.pk])).status_code == 200
    assert secretary_client.get(reverse("agencies:reorganisation_detail", args=[theirs.pk])).status_code == 404
    listing = secretary_client.get(reverse("agencies:reorganisation_list")).content.decode()
    assert "2/QĐ" not in listing


def test_leadership_reads_but_cannot_write(leader_client, agency):
    assert leader_client.get(reverse("agencies:list")).status_code == 200
    assert leader_client.get(reverse("agencies:detail", args=[agency.pk])).status_code == 200
    assert leader_client.get(reverse("agencies:edit", args=[agency.pk])).status_code == 403
    response = leader_client.post(reverse("agencies:edit", args=[agency.pk]), {"phone": "0999"})
    assert response.status_code == 403
    agency.refresh_from_db()
    assert agency.phone != "0999"
    assert leader_client.post(reverse("agencies:create"), {}).status_code == 403
    assert leader_client.post(reverse("agencies:import"), {}).status_code == 403
    assert leader_client.post(reverse("agencies:reorganisation_create", args=["dissolution"]), {}).status_code == 403
    assert Reorganisation.objects.count() == 0


def test_dost_of_another_province_sees_nothing_of_ours(foreign_dost_client, agency, foreign_agency):
    assert foreign_dost_client.get(reverse("agencies:detail", args=[agency.pk])).status_code == 404
    assert foreign_dost_client.post(reverse("agencies:edit", args=[agency.pk]), {"name": "x"}).status_code == 404
    listing = foreign_dost_client.get(reverse("agencies:list")).content.decode()
    assert foreign_agency.name in listing
    assert agency.name not in listing
    export = foreign_dost_client.get(reverse("agencies:export_xlsx"))
    assert agency.code.encode() not in export.content


def test_dost_cannot_pick_another_provinces_agency_as_parent(dost_client, foreign_agency):
    response = dost_client.post(
        reverse("agencies:create"),
        {
            "code": "NEW",
            "name": "Chi cục mới",
            "category": "provincial_unit",
            "parent": foreign_agency.pk,
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert not Agency.objects.filter(code="NEW").exists()


def test_dost_cannot_reorganise_another_provinces_agency(dost_client, foreign_agency):
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["dissolution"]),
        {
            "decision_number": "9/QĐ",
            "decision_date": "01/01/2024",
            "effective_date": "01/02/2024",
            "agencies": [foreign_agency.pk],
        },
    )
    assert response.status_code == 200
    assert "agencies" in response.context["form"].errors
    foreign_agency.refresh_from_db()
    assert foreign_agency.ended_on is None


def test_anonymous_is_sent_to_login(client, agency):
    for url in (reverse("agencies:list"), reverse("agencies:detail", args=[agency.pk]), reverse("agencies:export_csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
