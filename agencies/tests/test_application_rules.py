"""Who must apply a QMS (issue 14): a rule per category, dated, that DOST changes from the web; the
registry, the dashboard and the annual report split their figures by it and agree."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import ApplicationRule, Category, User
from agencies.tests.factories import make_agency

D = datetime.date


def _client(user):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _registry(client, **query):
    response = client.get(reverse("agencies:list"), query)
    assert response.status_code == 200
    split = {key: n for key, _label, n in response.context["obligations"]}
    return response, split


def test_the_2019_registry_dashboard_and_report_agree_on_who_must_apply(demo):
    """Decision 19/2014 on the demo: 74 bodies must apply (provincial, district, central), 3 communes are
    encouraged; the dashboard and the annual report of 2019 give the same split, and the lists behind
    the numbers hold exactly those agencies."""
    from agencies.models import Province
    from inspections.reports.data import annual_figures

    dost = _client(User.objects.get(username="dost"))
    response, split = _registry(dost, as_of="31/12/2019")
    assert response.context["total"] == 77
    assert split == {"mandatory": 74, "encouraged": 3}
    listed, _ = _registry(dost, as_of="31/12/2019", obligation="encouraged")
    assert listed.context["page"].paginator.count == 3
    assert {row.category for row in listed.context["page"]} == {Category.COMMUNE_PC}

    board = dost.get(reverse("qms:dashboard"), {"as_of": "31/12/2019"})
    on_board = {key: (n["total"], n["version_then"]) for key, _label, n in board.context["obligations"]}
    report = annual_figures(Province.objects.get(code="04"), 2019)
    in_report = {label: (n, announced) for label, n, announced in report["by_obligation"]}
    assert in_report == {"Bắt buộc": on_board["mandatory"], "Khuyến khích": on_board["encouraged"]}
    assert on_board["mandatory"][0] == 74 and sum(a for _n, a in on_board.values()) == 77  # all announced in 2019
    behind = dost.get(reverse("qms:list"), {"obligation": "mandatory", "as_of": "31/12/2019"})
    assert behind.context["page"].paginator.count == 74
    page = board.content.decode()
    assert 'data-testid="obligation-mandatory"' in page and "Khuyến khích" in page


@pytest.mark.django_db
def test_dost_changes_a_rule_from_a_date_and_the_figures_follow(province, dost, leader):
    """A province extends the obligation to commune-level units from 1/1/2026: before that day they
    are encouraged, from it mandatory; removing the rule brings Decision 19/2014 back."""
    commune = make_agency(province, code="X01", name="UBND xã Minh Khai", category=Category.COMMUNE_LEVEL_PC)
    make_agency(province, code="S01", name="Sở Tư pháp")
    client = _client(dost)
    page = client.get(reverse("agencies:rules"))
    assert page.status_code == 200 and "Quyết định 19/2014/QĐ-TTg" in page.content.decode()
    assert _registry(client, as_of="02/12/2026")[1] == {"mandatory": 1, "encouraged": 1}

    response = client.post(
        reverse("agencies:rules"),
        {
            "category": Category.COMMUNE_LEVEL_PC,
            "obligation": "mandatory",
            "valid_from": "01/01/2026",
            "basis": "Quyết định 12/2025/QĐ-UBND",
            "note": "Mở rộng cho cấp xã",
        },
    )
    assert response.status_code == 302
    rule = ApplicationRule.objects.get(province=province)
    assert (rule.valid_from, rule.created_by) == (D(2026, 1, 1), dost)

    assert _registry(client, as_of="31/12/2025")[1] == {"mandatory": 1, "encouraged": 1}
    assert _registry(client, as_of="01/01/2026")[1] == {"mandatory": 2, "encouraged": 0}
    detail = client.get(commune.get_absolute_url()).content.decode()
    assert "Quyết định 12/2025/QĐ-UBND" in detail and 'data-testid="obligation"' in detail
    board = client.get(reverse("qms:dashboard"))
    assert {key: n["total"] for key, _l, n in board.context["obligations"]} == {"mandatory": 2, "encouraged": 0}
    rules_page = client.get(reverse("agencies:rules")).content.decode()
    assert "Mở rộng cho cấp xã" in rules_page and "01/01/2026" in rules_page

    # Leadership reads the rules but cannot change them: nothing is written or removed.
    leader_client = _client(leader)
    assert leader_client.get(reverse("agencies:rules")).status_code == 200
    refused = leader_client.post(
        reverse("agencies:rules"),
        {"category": Category.COMMUNE_PC, "obligation": "mandatory", "valid_from": "01/01/2026", "basis": "x"},
    )
    assert refused.status_code == 403
    assert leader_client.post(reverse("agencies:rule_delete", args=[rule.pk])).status_code == 403
    assert ApplicationRule.objects.count() == 1

    assert client.post(reverse("agencies:rule_delete", args=[rule.pk])).status_code == 302
    assert _registry(client, as_of="01/01/2026")[1] == {"mandatory": 1, "encouraged": 1}


@pytest.mark.django_db
def test_a_bad_rule_comes_back_with_a_message_and_what_was_typed(province, dost):
    client = _client(dost)
    typed = {"category": "nonsense", "obligation": "mandatory", "valid_from": "31/02/2026", "basis": "QĐ 7/2026"}
    response = client.post(reverse("agencies:rules"), typed)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nhập một ngày hợp lệ" in text and 'value="QĐ 7/2026"' in text and 'value="31/02/2026"' in text
    good = {**typed, "category": Category.COMMUNE_PC, "valid_from": "01/02/2026"}
    assert client.post(reverse("agencies:rules"), good).status_code == 302
    twice = client.post(reverse("agencies:rules"), good)
    assert twice.status_code == 400 and "đã có quy định từ ngày đó" in twice.content.decode()
    assert ApplicationRule.objects.count() == 1


@pytest.mark.django_db
def test_another_province_cannot_touch_the_rules(province, other_province, dost, foreign_dost, secretary):
    rule = ApplicationRule.objects.create(
        province=province,
        category=Category.COMMUNE_PC,
        obligation="mandatory",
        valid_from=D(2026, 1, 1),
        basis="QĐ 99/2025/QĐ-UBND",
    )
    foreign = _client(foreign_dost)
    assert foreign.post(reverse("agencies:rule_delete", args=[rule.pk])).status_code == 404
    assert "QĐ 99/2025/QĐ-UBND" not in foreign.get(reverse("agencies:rules")).content.decode()
    assert "QĐ 99/2025/QĐ-UBND" in _client(dost).get(reverse("agencies:rules")).content.decode()
    assert _client(secretary).get(reverse("agencies:rules")).status_code == 403
    assert ApplicationRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.django_db
def test_the_rules_page_and_the_split_registry_cost_a_fixed_number_of_queries(province, dost):
    client = _client(dost)
    counted = []
    for n in (2, 12):
        while province.agencies.count() < n:
            make_agency(province, category=Category.COMMUNE_LEVEL_PC if n % 2 else Category.PROVINCIAL_AGENCY)
        for url, query in ((reverse("agencies:rules"), {}), (reverse("agencies:list"), {"obligation": "mandatory"})):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, query).status_code == 200
            counted.append(len(queries))
    assert counted[:2] == counted[2:]
