"""Reorganising the registry without losing history, through the web UI and on the demo data."""

import datetime

import pytest
from django.db.models import F
from django.urls import reverse

from agencies.models import Agency, Category, Reorganisation
from agencies.services import LegalBasis
from agencies.tests.factories import make_agency
from iso_tracker.permissions import SYSTEM

pytestmark = pytest.mark.django_db

LEGAL = {"decision_number": "864/NQ-UBTVQH14", "decision_date": "10/12/2019", "effective_date": "01/01/2020"}


def _counts(client, as_of):
    response = client.get(reverse("agencies:list"), {"as_of": as_of})
    assert response.status_code == 200
    return response.context["total"], {key: n for key, _label, n in response.context["summary"]}


def test_demo_registry_through_time(demo, client):
    from agencies.models import User

    client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    total, by_category = _counts(client, "31/12/2019")
    assert total == 77
    assert by_category == {
        Category.PROVINCIAL_AGENCY: 20,
        Category.PROVINCIAL_UNIT: 9,
        Category.DISTRICT_PC: 13,
        Category.DISTRICT_OFFICE: 26,
        Category.COMMUNE_PC: 3,
        Category.CENTRAL_AGENCY: 6,
    }
    total, by_category = _counts(client, "01/01/2020")
    assert by_category[Category.DISTRICT_PC] == 10
    assert by_category[Category.DISTRICT_OFFICE] == 20
    assert total == 68
    total, by_category = _counts(client, "30/06/2025")
    # 1/3/2025: Planning and Investment, Transport, Labour and Information and Communications merged into other
    # departments; Agriculture and Natural Resources into the new Agriculture and Environment: 20 - 6 + 1.
    assert by_category[Category.PROVINCIAL_AGENCY] == 15
    assert by_category[Category.PROVINCIAL_UNIT] == 9  # the chi cục moved under the new department first
    assert by_category[Category.DISTRICT_PC] == 10
    total, by_category = _counts(client, "01/07/2025")
    assert Category.DISTRICT_PC not in by_category and Category.DISTRICT_OFFICE not in by_category  # none left
    assert Category.COMMUNE_PC not in by_category
    # The registry as of 02/12/2026 is the province of two-level local government.
    total, by_category = _counts(client, "02/12/2026")
    assert by_category == {
        Category.PROVINCIAL_AGENCY: 15,
        Category.PROVINCIAL_UNIT: 9,
        Category.COMMUNE_LEVEL_PC: 56,  # 53 communes and 3 wards
        Category.SERVICE_CENTRE: 1,
        Category.CENTRAL_AGENCY: 6,
    }
    assert total == 87
    names = {
        row.name
        for row in client.get(
            reverse("agencies:list"), {"as_of": "02/12/2026", "category": Category.PROVINCIAL_AGENCY}
        ).context["page"]
    }
    today = {"Sở Tài chính", "Sở Xây dựng", "Sở Nội vụ", "Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ"}
    assert today <= names
    assert not names & {"Sở Kế hoạch và Đầu tư", "Sở Giao thông vận tải", "Sở Tài nguyên và Môi trường"}
    agriculture = Agency.objects.get(code="SNNMT")
    assert set(agriculture.children.values_list("code", flat=True)) >= {"CCKL", "CCTTBVTV", "CCCNTY", "CCTL", "CCBVMT"}
    # Every new commune with an illustrative name says so in its note, shown on its page.
    communes = Agency.objects.filter(category=Category.COMMUNE_LEVEL_PC, name__startswith="UBND xã")
    assert communes.count() == 53 and not communes.exclude(note__startswith="Tên minh họa").exists()
    assert "Tên minh họa (demo)" in client.get(communes.first().get_absolute_url()).content.decode()

    # The merged district keeps its history and points to its successor.
    thong_nong = Agency.objects.get(code="H04")
    assert thong_nong.ended_on == datetime.date(2020, 1, 1)
    page = client.get(thong_nong.get_absolute_url()).content.decode()
    ha_quang = Agency.objects.get(code="H05")
    assert f'href="{ha_quang.get_absolute_url()}" data-testid="successor"' in page
    quang_hoa = Agency.objects.get(code="H14")
    assert set(Agency.objects.filter(reorganisations_out__successors=quang_hoa).values_list("code", flat=True)) == {
        "H09",
        "H10",
    }
    # The renamed agency answers with its old name for an old date.
    as_of_2019 = client.get(reverse("agencies:list"), {"as_of": "31/12/2019", "q": "BDT"})
    assert [row.name for row in as_of_2019.context["page"]] == ["Ban Dân tộc"]
    today = client.get(reverse("agencies:list"), {"q": "BDT"})
    assert [row.name for row in today.context["page"]] == ["Sở Dân tộc và Tôn giáo"]


def test_merge_into_a_new_agency_through_the_form(dost_client, dost, province):
    a = make_agency(province, code="H09", name="UBND huyện Quảng Uyên", category=Category.DISTRICT_PC)
    b = make_agency(province, code="H10", name="UBND huyện Phục Hòa", category=Category.DISTRICT_PC)
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["merge"]),
        {
            **LEGAL,
            "predecessors": [a.pk, b.pk],
            "new_code": "H14",
            "new_name": "UBND huyện Quảng Hòa",
            "new_category": Category.DISTRICT_PC,
            "new_locality": "Huyện Quảng Hòa",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    new = Agency.objects.get(code="H14")
    assert new.established_on == datetime.date(2020, 1, 1)
    reorganisation = Reorganisation.objects.get()
    assert reorganisation.created_by == dost
    assert set(reorganisation.predecessors.all()) == {a, b}
    assert list(reorganisation.successors.all()) == [new]
    for old in (a, b):
        old.refresh_from_db()
        assert old.ended_on == datetime.date(2020, 1, 1) and old.end_reason == "merged"
        assert old.versions.get().valid_to == datetime.date(2020, 1, 1)


def test_merge_refuses_to_orphan_units_and_saves_nothing(dost_client, province, district):
    office = make_agency(province, code="H04-TNMT", name="Phòng TN&MT Thông Nông", category=Category.DISTRICT_OFFICE)
    thong_nong = make_agency(province, code="H04", name="UBND huyện Thông Nông", category=Category.DISTRICT_PC)
    office.parent = thong_nong
    from agencies import services

    services.agency_update(actor=SYSTEM, agency=office, parent=thong_nong)
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["merge"]),
        {
            **LEGAL,
            "predecessors": [thong_nong.pk],
            "into": district.pk,
        },
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "Phòng TN&MT Thông Nông" in errors
    thong_nong.refresh_from_db()
    assert thong_nong.ended_on is None
    assert not Reorganisation.objects.exists()


def test_split_creates_successors(dost_client, province):
    old = make_agency(province, code="SNNTN", name="Sở Nông nghiệp và Tài nguyên")
    data = {
        **LEGAL,
        "predecessor": old.pk,
        "new-TOTAL_FORMS": "3",
        "new-INITIAL_FORMS": "0",
        "new-MIN_NUM_FORMS": "2",
        "new-MAX_NUM_FORMS": "1000",
    }
    for i, (code, name) in enumerate([("SNN", "Sở Nông nghiệp"), ("STNMT", "Sở Tài nguyên và Môi trường")]):
        data.update({f"new-{i}-code": code, f"new-{i}-name": name, f"new-{i}-category": Category.PROVINCIAL_AGENCY})
    response = dost_client.post(reverse("agencies:reorganisation_create", args=["split"]), data)
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.end_reason == "split"
    assert set(Reorganisation.objects.get().successors.values_list("code", flat=True)) == {"SNN", "STNMT"}


def test_rename_and_transfer_keep_one_identity_with_dated_periods(dost_client, province, agency, other_agency):
    unit = make_agency(province, code="CCTDC", name="Chi cục TĐC", category=Category.PROVINCIAL_UNIT, parent=agency)
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["rename"]),
        {
            **LEGAL,
            "agency": unit.pk,
            "new_name": "Chi cục Tiêu chuẩn Đo lường Chất lượng",
        },
    )
    assert response.status_code == 302
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["transfer"]),
        {
            "decision_number": "7/QĐ-UBND",
            "decision_date": "01/02/2021",
            "effective_date": "01/03/2021",
            "agency": unit.pk,
            "new_parent": other_agency.pk,
        },
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.parent == other_agency and unit.name == "Chi cục Tiêu chuẩn Đo lường Chất lượng"
    periods = list(
        unit.versions.order_by(F("valid_from").asc(nulls_first=True)).values_list(
            "name", "parent__code", "valid_from", "valid_to"
        )
    )
    assert periods == [
        ("Chi cục TĐC", "SKHCN", None, datetime.date(2020, 1, 1)),
        ("Chi cục Tiêu chuẩn Đo lường Chất lượng", "SKHCN", datetime.date(2020, 1, 1), datetime.date(2021, 3, 1)),
        ("Chi cục Tiêu chuẩn Đo lường Chất lượng", "STP", datetime.date(2021, 3, 1), None),
    ]
    listing = dost_client.get(reverse("agencies:list"), {"as_of": "31/12/2019", "q": "CCTDC"})
    row = listing.context["page"][0]
    assert (row.name, row.parent_name) == ("Chi cục TĐC", "Sở Khoa học và Công nghệ")


def test_changes_must_be_recorded_in_date_order(dost_client, province, agency):
    dost_client.post(
        reverse("agencies:reorganisation_create", args=["rename"]),
        {
            **LEGAL,
            "agency": agency.pk,
            "new_name": "Sở KH&CN",
        },
    )
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["rename"]),
        {
            "decision_number": "1/QĐ",
            "decision_date": "01/01/2019",
            "effective_date": "01/06/2019",
            "agency": agency.pk,
            "new_name": "Tên khác",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    agency.refresh_from_db()
    assert agency.name == "Sở KH&CN"


def test_dissolution_of_the_district_level_in_one_decision(dost_client, province, district):
    office = make_agency(
        province, code="H05-LDTBXH", name="Phòng LĐ-TB&XH Hà Quảng", category=Category.DISTRICT_OFFICE, parent=district
    )
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["dissolution"]),
        {
            "decision_number": "72/2025/QH15",
            "decision_date": "16/06/2025",
            "effective_date": "01/07/2025",
            "agencies": [district.pk, office.pk],
        },
    )
    assert response.status_code == 302
    assert set(Agency.objects.filter(end_reason="dissolved").values_list("code", flat=True)) == {"H05", "H05-LDTBXH"}
    assert _counts(dost_client, "30/06/2025")[0] == 2
    assert _counts(dost_client, "01/07/2025")[0] == 0


def test_bad_dates_are_refused_with_a_message(dost_client, agency):
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["rename"]),
        {
            "decision_number": "1/QĐ",
            "decision_date": "2019-31-12",
            "effective_date": "",
            "agency": agency.pk,
            "new_name": "Tên mới",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "decision_date" in form.errors and "effective_date" in form.errors
    assert "decision_number" not in form.errors


def test_reorganisation_pages_show_names_as_they_were(demo, client):
    from agencies.models import User

    client.force_login(User.objects.get(username="lanhdao"), backend="django.contrib.auth.backends.ModelBackend")
    rename = Reorganisation.objects.get(kind="rename")
    listing = client.get(reverse("agencies:reorganisation_list"))
    row = next(r for r in listing.context["page"] if r.pk == rename.pk)
    assert [name for _agency, name in row.before] == ["Ban Dân tộc"]
    detail = client.get(rename.get_absolute_url()).content.decode()
    assert "Ban Dân tộc</a>" in detail and "Sở Dân tộc và Tôn giáo" in detail


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _renames(province, count, start):
    from agencies import services

    for i in range(count):
        agency = make_agency(province, code=f"R{start + i}")
        for year in (2020, 2021):
            services.reorganisation_rename(
                actor=SYSTEM,
                province=province,
                agency=agency,
                new_name=f"{agency.code} {year}",
                basis=LegalBasis(f"{i}/{year}", datetime.date(year, 1, 1), datetime.date(year, 2, 1)),
            )


def test_reorganisation_list_and_agency_page_use_a_bounded_number_of_queries(dost_client, province):
    _renames(province, 3, 0)
    small_list = _queries(dost_client, reverse("agencies:reorganisation_list"))
    agency = Agency.objects.get(code="R0")
    small_page = _queries(dost_client, agency.get_absolute_url())
    _renames(province, 30, 100)
    for year in range(2022, 2030):  # a long history for one agency
        from agencies import services

        services.reorganisation_rename(
            actor=SYSTEM,
            province=province,
            agency=agency,
            new_name=f"R0 {year}",
            basis=LegalBasis(f"x/{year}", datetime.date(year, 1, 1), datetime.date(year, 2, 1)),
        )
    assert _queries(dost_client, reverse("agencies:reorganisation_list")) == small_list
    assert _queries(dost_client, agency.get_absolute_url()) == small_page
