"""Agency pickers scale (issue 16): every agency field is a search-as-you-type picker scoped by the
permission layer, with a plain fallback (typed codes or names), and no page grows with the number of
agencies."""

import pytest
from django.urls import reverse

from agencies.models import Agency, Category, Reorganisation
from agencies.tests.factories import bulk_agencies, make_agency, make_user

pytestmark = pytest.mark.django_db

LEGAL = {"decision_number": "12/QĐ-UBND", "decision_date": "01/02/2026", "effective_date": "01/03/2026"}


def _offered(client, **params) -> list[int]:
    response = client.get(reverse("agencies:pick"), params)
    assert response.status_code == 200, response.content[:300]
    return [result["id"] for result in response.json()["results"]]


def test_the_picker_offers_only_what_the_user_may_see_and_the_field_accepts(
    dost_client, leader_client, secretary_client, foreign_dost_client, province, agency, foreign_agency
):
    unit = make_agency(province, code="CCTDC", name="Chi cục Tiêu chuẩn", category=Category.PROVINCIAL_UNIT)
    assert _offered(dost_client, q=agency.code) == [agency.pk]
    assert unit.pk in _offered(dost_client, q="tiêu chuẩn") or unit.pk in _offered(dost_client, q="Tiêu chuẩn")
    assert unit.pk not in _offered(dost_client, kind="parents", q="CCTDC")  # a unit under a department is no parent
    assert agency.pk in _offered(dost_client, kind="parents", q=agency.code)
    assert foreign_agency.pk not in _offered(dost_client, q=foreign_agency.code)  # another province: nothing
    assert agency.pk not in _offered(foreign_dost_client, q=agency.code)
    assert _offered(leader_client, q=agency.code) == [agency.pk]  # leadership reads
    assert secretary_client.get(reverse("agencies:pick"), {"q": "S"}).status_code == 403
    assert dost_client.get(reverse("agencies:pick"), {"kind": "everything"}).status_code == 400
    # Who may take over an ended unit's items: for DOST only, among those existing on the day it ended.
    ended = make_agency(province, code="CU", name="Sở Cũ")
    Agency.objects.filter(pk=ended.pk).update(ended_on="2025-03-01")
    kind = f"successors-{ended.pk}"
    assert agency.pk in _offered(dost_client, kind=kind, q=agency.code)
    assert ended.pk not in _offered(dost_client, kind=kind, q="CU")
    assert leader_client.get(reverse("agencies:pick"), {"kind": kind}).status_code == 403
    assert foreign_dost_client.get(reverse("agencies:pick"), {"kind": kind}).status_code == 404
    assert len(_offered(dost_client, q="")) <= 20


def test_without_javascript_a_typed_code_or_name_is_the_choice_and_a_vague_one_comes_back(dost_client, province):
    unit = make_agency(province, code="CCTDC", name="Chi cục Tiêu chuẩn Đo lường", category=Category.PROVINCIAL_UNIT)
    make_agency(province, code="CCKL", name="Chi cục Kiểm lâm", category=Category.PROVINCIAL_UNIT)
    url = reverse("agencies:reorganisation_create", args=["rename"])
    vague = dost_client.post(url, {**LEGAL, "agency__search": "Chi cục", "new_name": "Chi cục mới"})
    assert vague.status_code in (200, 400)
    page = vague.content.decode()
    assert "khớp với nhiều cơ quan" in page and 'value="Chi cục"' in page  # the reason, and what was typed, kept
    unknown = dost_client.post(url, {**LEGAL, "agency__search": "Không có", "new_name": "X"}).content.decode()
    assert "Không có cơ quan nào khớp với “Không có”" in unknown
    assert not Reorganisation.objects.exists()
    done = dost_client.post(url, {**LEGAL, "agency__search": "cctdc", "new_name": "Chi cục TĐC"})
    assert done.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "Chi cục TĐC"
    # Several, typed with commas: a dissolution of two units.
    other = make_agency(province, code="CCX", name="Chi cục X", category=Category.PROVINCIAL_UNIT)
    response = dost_client.post(
        reverse("agencies:reorganisation_create", args=["dissolution"]), {**LEGAL, "agencies__search": "CCX, CCKL"}
    )
    assert response.status_code == 302
    assert set(Reorganisation.objects.get(kind="dissolution").predecessors.all()) == {
        other,
        Agency.objects.get(code="CCKL"),
    }


def test_no_page_grows_with_the_number_of_agencies(dost_client, dost, province, agency):
    from inspections.services import round_open  # noqa: F401 - the inspections app is loaded

    ended = make_agency(province, code="CU", name="Sở Cũ")
    Agency.objects.filter(pk=ended.pk).update(ended_on="2025-03-01")
    secretary = make_user("tk.cu", "secretary", agency=agency)
    pages = [
        reverse("agencies:reorganisation_create", args=[kind])
        for kind in ("merge", "split", "rename", "transfer", "dissolution")
    ] + [
        reverse("agencies:create"),
        reverse("agencies:edit", args=[agency.pk]),
        reverse("accounts:create"),
        reverse("accounts:edit", args=[secretary.pk]),
        reverse("inspections:inspections"),
        reverse("agencies:handover", args=[ended.pk]),
        # the lists and dashboards: a page of rows, counts and filters, whatever the size of the province
        "/",
        reverse("agencies:list"),
        reverse("agencies:list") + "?as_of=31/12/2019&status=all",
        reverse("agencies:handover_flag"),
        reverse("qms:dashboard"),
        reverse("qms:list"),
        reverse("inspections:findings"),
        reverse("inspections:rounds"),
        reverse("inspections:plans"),
    ]
    bulk_agencies(province, 70, prefix="A")
    small = {url: len(dost_client.get(url).content) for url in pages}
    # No agency field walks its choices (the bench found one that read every agency to list none of them).
    from django.forms.models import ModelChoiceIterator

    def listing(iterator):
        raise AssertionError(f"{iterator.field.label}: every choice read")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ModelChoiceIterator, "__iter__", listing)
        for url in pages:
            assert dost_client.get(url).status_code == 200, url
    bulk_agencies(province, 2000, prefix="B")
    assert Agency.objects.count() > 2000
    for url in pages:
        large = len(dost_client.get(url).content)
        # A few bytes of tokens and digits, and at national scale the dashboard's "computed at" line: not
        # 2,000 options or rows (a list is a page of 50 whatever the province).
        assert large - small[url] < 400, (url, small[url], large)
