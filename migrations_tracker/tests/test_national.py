"""Issue 17: Ministry staff read every province and write nothing; the national dashboard's figures are the
provinces' own dashboards' figures, summed."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import Category, Province, User
from agencies.tests.factories import make_agency, make_user
from inspections.models import Finding, Inspection

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def second_province(demo):
    """Bắc Kạn: a few agencies, one inspected this year with an overdue finding."""
    province = Province.objects.create(code="06", name="Bắc Kạn")
    agencies = [
        make_agency(province, code=f"BK{n}", name=f"Sở thử số {n} Bắc Kạn", category=Category.PROVINCIAL_AGENCY)
        for n in range(4)
    ]
    year = datetime.date.today().year
    inspection = Inspection.objects.create(
        province=province, agency=agencies[0], year=year, mode="onsite", start_date=datetime.date(year, 3, 2)
    )
    Finding.objects.create(
        inspection=inspection,
        agency=agencies[0],
        item="5.1",
        severity="minor",
        description="Chưa phổ biến chính sách chất lượng.",
        due_on=datetime.date(year, 1, 1) if datetime.date.today() > datetime.date(year, 1, 1) else None,
    )
    make_user("dost-bk", User.Role.DOST, province=province)
    return province


@pytest.fixture
def ministry(demo):
    return _signed_in(make_user("bo-khcn", User.Role.MINISTRY))


def _row(page: str, code: str) -> str:
    return page.split(f'data-testid="province-{code}"', 1)[1].split("</tr>", 1)[0]


def _figure(row: str, name: str) -> int:
    return int(re.search(rf'data-testid="{name}">([\d.]+)<', row).group(1).replace(".", ""))


def test_the_national_figures_are_each_province_dashboards_summed(ministry, second_province):
    page = ministry.get(reverse("qms:national")).content.decode()
    totals = {key: 0 for key in ("agencies", "mandatory", "encouraged", "announced", "onsite", "dossier")}
    totals |= {"findings-open": 0, "findings-overdue": 0}
    for code, username in (("04", "dost"), ("06", "dost-bk")):
        own = _signed_in(User.objects.get(username=username)).get(reverse("qms:dashboard")).context
        row = _row(page, code)
        versions = {key: n for key, _label, n in own["versions"]}
        obligations = {key: figures["total"] for key, _label, figures in own["obligations"]}
        expected = {
            "agencies": own["total"],
            "mandatory": obligations["mandatory"],
            "encouraged": obligations["encouraged"],
            "announced": own["total"] - versions["none"],
            "onsite": own["cycle"]["inspections"]["onsite"],
            "dossier": own["cycle"]["inspections"]["dossier"],
            "findings-open": own["cycle"]["findings"]["unclosed"],
            "findings-overdue": own["cycle"]["findings"]["overdue"],
        }
        assert {name: _figure(row, name) for name in expected} == expected, code
        for name, value in expected.items():
            totals[name] += value
    assert totals["agencies"] == 87 + 4 and totals["onsite"] >= 1 and totals["findings-open"] >= 1
    foot = page.split('data-testid="national-total"', 1)[1].split("</tr>", 1)[0]
    assert f">{totals['agencies']}<" in foot
    assert f"{totals['findings-open']} / {totals['findings-overdue']}" in foot


def test_as_of_2019_shows_the_province_of_2019(ministry):
    page = ministry.get(reverse("qms:national"), {"as_of": "31/12/2019"}).content.decode()
    assert _figure(_row(page, "04"), "agencies") == 77  # the registry of 2019 (seed facts)


def test_the_rows_sort_by_any_column(ministry, second_province):
    page = ministry.get(reverse("qms:national"), {"sort": "agencies", "desc": "1"}).content.decode()
    assert page.index('data-testid="province-04"') < page.index('data-testid="province-06"')
    page = ministry.get(reverse("qms:national"), {"sort": "agencies"}).content.decode()
    assert page.index('data-testid="province-06"') < page.index('data-testid="province-04"')
    assert ministry.get(reverse("qms:national"), {"sort": "'; DROP", "as_of": "99/99/9999"}).status_code == 200


def test_a_number_opens_the_province_page_read_only(ministry, demo):
    province = Province.objects.get(code="04")
    agency = province.agencies.filter(ended_on__isnull=True).first()
    assert ministry.get(reverse("qms:dashboard")).status_code == 403  # no province chosen yet
    go = ministry.get(reverse("qms:national_go", args=[province.pk]), {"next": reverse("qms:list")})
    assert go.status_code == 302 and go["Location"] == reverse("qms:list")
    dashboard = ministry.get(reverse("qms:dashboard"))
    assert dashboard.status_code == 200 and 'data-testid="national-viewing"' in dashboard.content.decode()
    assert ministry.get(reverse("agencies:detail", args=[agency.pk])).status_code == 200
    assert ministry.get(reverse("agencies:edit", args=[agency.pk])).status_code == 403
    assert ministry.get(reverse("agencies:create")).status_code == 403
    assert ministry.get(reverse("accounts:users")).status_code == 403
    assert User.objects.get(username="bo-khcn").province_id is None  # never stored on the account
    # Only a path of this site is followed afterwards.
    away = ministry.get(reverse("qms:national_go", args=[province.pk]), {"next": "https://evil.example/"})
    assert away["Location"] == reverse("qms:dashboard")


def test_the_choice_is_bound_to_the_account(ministry, demo):
    province = Province.objects.get(code="04")
    ministry.get(reverse("qms:national_go", args=[province.pk]))
    colleague = _signed_in(make_user("bo-khcn-2", User.Role.MINISTRY))
    colleague.cookies = ministry.cookies  # the same browser's cookies, another account's session
    colleague.force_login(User.objects.get(username="bo-khcn-2"), backend="django.contrib.auth.backends.ModelBackend")
    assert colleague.get(reverse("qms:dashboard")).status_code == 403


def test_a_dost_cannot_give_the_ministry_role(demo):
    dost = _signed_in(User.objects.get(username="dost"))
    response = dost.post(
        reverse("accounts:create"),
        {"username": "gia-mao", "last_name": "Giả", "first_name": "Mạo", "role": "ministry", "is_active": "on"}
        | {"new_password": "Mat-khau-dai-2026!", "your_password": "CaoBang@2019"},
    )
    assert response.status_code == 200 and not User.objects.filter(username="gia-mao").exists()
    assert "role" in response.context["form"].errors


def test_the_national_dashboard_costs_the_same_for_more_provinces(
    ministry, second_province, django_assert_max_num_queries
):
    ministry.get(reverse("qms:national"))  # counted once per version of the data
    with django_assert_max_num_queries(8):
        assert ministry.get(reverse("qms:national")).status_code == 200


def test_ministry_staff_start_on_the_national_dashboard(ministry):
    response = ministry.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("qms:national")
    page = ministry.get(reverse("qms:national")).content.decode()
    assert "Mọi tỉnh" in page or "Toàn quốc" in page
