"""The registry list, its filters, the agency page and its change history, create and edit."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies import services
from agencies.models import Agency, Category
from agencies.services import LegalBasis
from agencies.tests.factories import bulk_agencies, make_agency
from iso_tracker.permissions import SYSTEM

pytestmark = pytest.mark.django_db


def _names(response):
    return [row.name for row in response.context["page"]]


def test_list_search_and_filters(dost_client, province, agency, other_agency, district):
    office = make_agency(
        province,
        code="H05-TNMT",
        name="Phòng Tài nguyên và Môi trường huyện Hà Quảng",
        category=Category.DISTRICT_OFFICE,
        parent=district,
        locality="Huyện Hà Quảng",
    )
    url = reverse("agencies:list")
    assert set(_names(dost_client.get(url))) == {agency.name, other_agency.name, district.name, office.name}
    assert _names(dost_client.get(url, {"q": "tư pháp"})) == [other_agency.name]
    assert _names(dost_client.get(url, {"q": "SKHCN"})) == [agency.name]
    assert _names(dost_client.get(url, {"category": Category.DISTRICT_OFFICE})) == [office.name]
    assert _names(dost_client.get(url, {"parent": district.pk})) == [office.name]
    assert set(_names(dost_client.get(url, {"locality": "Huyện Hà Quảng"}))) == {district.name, office.name}


def test_list_as_of_and_status(dost_client, province, agency, other_agency):
    services.reorganisation_dissolve(
        actor=SYSTEM,
        province=province,
        agencies=[other_agency],
        basis=LegalBasis("5/QĐ-UBND", datetime.date(2024, 5, 1), datetime.date(2024, 6, 1)),
    )
    url = reverse("agencies:list")
    assert _names(dost_client.get(url)) == [agency.name]
    assert set(_names(dost_client.get(url, {"as_of": "31/05/2024"}))) == {agency.name, other_agency.name}
    assert _names(dost_client.get(url, {"status": "ended"})) == [other_agency.name]
    assert set(_names(dost_client.get(url, {"status": "all"}))) == {agency.name, other_agency.name}
    page = dost_client.get(url, {"as_of": "31/05/2024"}).content.decode()
    assert "31/05/2024" in page


def test_list_rejects_a_bad_date_with_a_message(dost_client, agency):
    response = dost_client.get(reverse("agencies:list"), {"as_of": "32/13/2024"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["as_of"]
    assert "Nhập một ngày hợp lệ" in response.content.decode()


def test_dost_creates_an_agency_in_the_web_ui(dost_client, dost, province, agency):
    response = dost_client.post(
        reverse("agencies:create"),
        {
            "code": "CCTDC",
            "name": "Chi cục Tiêu chuẩn Đo lường Chất lượng",
            "category": Category.PROVINCIAL_UNIT,
            "parent": agency.pk,
            "locality": "Cao Bằng",
            "established_on": "15/03/2010",
            "email": "cctdc@caobang.gov.vn",
            "secretary_name": "Bế Thị Hằng",
        },
    )
    created = Agency.objects.get(code="CCTDC")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert created.province == province and created.parent == agency
    assert created.established_on == datetime.date(2010, 3, 15)
    version = created.versions.get()
    assert version.valid_from == datetime.date(2010, 3, 15) and version.parent == agency


def test_duplicate_code_is_refused_with_a_message_and_nothing_saved(dost_client, agency):
    response = dost_client.post(
        reverse("agencies:create"),
        {
            "code": agency.code,
            "name": "Trùng mã",
            "category": Category.PROVINCIAL_AGENCY,
        },
    )
    assert response.status_code == 200
    assert "Đã có cơ quan mang mã này trong tỉnh." in response.content.decode()
    assert Agency.objects.filter(code=agency.code).count() == 1


def test_edit_is_recorded_in_history_and_shown_on_the_page(dost_client, dost, agency):
    response = dost_client.post(
        reverse("agencies:edit", args=[agency.pk]),
        {
            "revision": agency.revision,
            "code": agency.code,
            "name": "Sở Khoa học và Công nghệ tỉnh Cao Bằng",
            "category": agency.category,
            "locality": "Cao Bằng",
            "phone": "0206.3851234",
        },
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.name == "Sở Khoa học và Công nghệ tỉnh Cao Bằng"
    assert agency.versions.get().name == agency.name  # a correction rewrites the current period
    record = agency.history.latest()
    assert record.history_user == dost
    page = dost_client.get(agency.get_absolute_url())
    entry = next(e for e in page.context["history"] if e.what == "Cơ quan")
    assert entry.who == dost.get_full_name()
    assert entry.kind == "thay đổi"
    changed = {c.field: (c.old, c.new) for c in entry.changes}
    assert changed["tên"] == ("Sở Khoa học và Công nghệ", "Sở Khoa học và Công nghệ tỉnh Cao Bằng")
    assert changed["điện thoại"] == ("—", "0206.3851234")
    assert "Sở Khoa học và Công nghệ tỉnh Cao Bằng" in page.content.decode()
    created = next(e for e in page.context["history"] if e.what == "Cơ quan" and e.kind == "tạo mới")
    assert ("tỉnh", "Cao Bằng") in {(c.field, c.new) for c in created.changes}


def test_history_names_the_parent_not_its_id(dost_client, province, agency, other_agency):
    unit = make_agency(province, code="CCTDC", name="Chi cục TĐC", category=Category.PROVINCIAL_UNIT, parent=agency)
    dost_client.post(
        reverse("agencies:edit", args=[unit.pk]),
        {
            "revision": unit.revision,
            "code": "CCTDC",
            "name": "Chi cục TĐC",
            "category": Category.PROVINCIAL_UNIT,
            "parent": other_agency.pk,
        },
    )
    history = dost_client.get(unit.get_absolute_url()).context["history"]
    changes = {(c.field, c.old, c.new) for entry in history for c in entry.changes}
    assert ("cơ quan cấp trên", "Sở Khoa học và Công nghệ", "Sở Tư pháp") in changes


def test_agency_page_shows_periods_and_successors(dost_client, province, agency, other_agency):
    services.reorganisation_merge(
        actor=SYSTEM,
        province=province,
        predecessors=[other_agency],
        into=agency,
        basis=LegalBasis("12/NQ-HĐND", datetime.date(2025, 2, 20), datetime.date(2025, 3, 1)),
    )
    page = dost_client.get(other_agency.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200
    assert "12/NQ-HĐND" in body
    assert f'href="{agency.get_absolute_url()}" data-testid="successor"' in body
    assert "01/03/2025" in body


def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_registry_list_and_export_use_a_constant_number_of_queries(dost_client, province):
    bulk_agencies(province, 30, prefix="A")
    url = reverse("agencies:list")
    small = _count_queries(dost_client, url)
    small_export = _count_queries(dost_client, reverse("agencies:export_csv"))
    bulk_agencies(province, 2970, prefix="B")
    assert Agency.objects.count() == 3010
    large = _count_queries(dost_client, url)
    assert large == small
    assert large <= 12
    assert _count_queries(dost_client, url, {"as_of": "01/01/2020", "status": "all", "q": "Cơ"}) <= 12
    assert _count_queries(dost_client, reverse("agencies:export_csv")) == small_export


def test_two_people_saving_one_agency_do_not_lose_each_others_change(dost_client, secretary_client, agency, province):
    """Both open the edit page; the second save started from an older revision: refused with what was typed
    kept (409), never silently written over the first."""
    from django.test import Client

    from agencies.models import Agency, User
    from agencies.tests.factories import make_user

    colleague = Client()
    colleague.force_login(
        make_user("dost2", User.Role.DOST, province=province), backend="django.contrib.auth.backends.ModelBackend"
    )
    url = reverse("agencies:edit", args=[agency.pk])
    first, second = dost_client.get(url).context["form"], colleague.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in first.initial.items()}
    data["parent"] = ""
    assert data["revision"] == second.initial["revision"] == agency.revision
    assert dost_client.post(url, {**data, "phone": "0206 3852 001"}).status_code == 302
    late = colleague.post(url, {**data, "email": "skhcn@caobang.gov.vn"})
    assert late.status_code == 409
    assert "skhcn@caobang.gov.vn" in late.content.decode()  # what was typed is kept
    assert (
        "nothing of yours was saved" in str(late.context["form"].non_field_errors())
        or late.context["form"].non_field_errors()
    )
    agency.refresh_from_db()
    assert agency.phone == "0206 3852 001" and agency.email != "skhcn@caobang.gov.vn"
    # The secretary's contact form follows the same rule.
    stale = secretary_client.get(url).context["form"].initial["revision"]
    assert dost_client.post(url, {**data, "revision": agency.revision, "phone": "0206 3852 002"}).status_code == 302
    contact = {
        field: getattr(Agency.objects.get(pk=agency.pk), field)
        for field in ("address", "phone", "email", "website", "secretary_name", "secretary_phone", "secretary_email")
    }
    assert (
        secretary_client.post(url, {**contact, "address": "Số 1 Hoàng Đình Giong", "revision": stale}).status_code
        == 409
    )
    assert Agency.objects.get(pk=agency.pk).address != "Số 1 Hoàng Đình Giong"
