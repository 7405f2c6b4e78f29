"""Figures computed once per version of the data (issue 16): the database renews the registry's token on
every write, however it is made, and the registry list reads the province once per version."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from agencies import stamps
from agencies.models import Agency, AgencyVersion, ApplicationRule, Category, DataStamp, Province, User
from agencies.tests.factories import bulk_agencies, make_agency, make_user

pytestmark = pytest.mark.django_db


def _statements(client, url, params=None) -> tuple[object, list[str]]:
    seen: list[str] = []
    with connection.execute_wrapper(lambda run, sql, *args: seen.append(sql) or run(sql, *args)):
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, seen


def test_every_kind_of_write_to_the_registry_renews_its_token_and_nothing_else_does(province, agency, dost):
    seen = [stamps.token(stamps.REGISTRY)]

    def renewed() -> bool:
        now = stamps.token(stamps.REGISTRY)
        fresh = now not in seen
        seen.append(now)
        return fresh

    assert seen[0] is not None
    make_agency(province, code="SYT", name="Sở Y tế")  # through the services
    assert renewed()
    Agency.objects.filter(pk=agency.pk).update(locality="Thành phố Cao Bằng")  # a queryset update, no signal
    assert renewed()
    bulk_agencies(province, 30, prefix="K")  # bulk_create: no signal, no save()
    assert renewed()
    with connection.cursor() as cursor:  # a shell's raw SQL
        cursor.execute("UPDATE agencies_agencyversion SET locality = %s WHERE agency_id = %s", ["Hòa An", agency.pk])
    assert renewed()
    AgencyVersion.objects.filter(agency__code__startswith="K").delete()
    assert renewed()
    ApplicationRule.objects.create(
        province=province, category=Category.COMMUNE_LEVEL_PC, obligation="encouraged", valid_from="2026-01-01"
    )  # who must apply changes the list's "mandatory" and "encouraged"
    assert renewed()
    # Writes elsewhere leave the registry's figures where they were.
    Province.objects.create(code="06", name="Bắc Kạn")
    make_user("tk.moi", User.Role.DOST, province=province)
    assert not renewed()


def test_pruning_keeps_the_latest_stamp_of_each_area(province):
    bulk_agencies(province, 5, prefix="P")
    make_agency(province, code="STC", name="Sở Tài chính")
    latest = stamps.token(stamps.REGISTRY)
    stamps.prune()
    assert DataStamp.objects.filter(area=stamps.REGISTRY).count() == 1
    assert stamps.token(stamps.REGISTRY) == latest


def test_the_registry_list_reads_the_province_once_per_version_of_its_data(dost_client, province, agency):
    bulk_agencies(province, 120, prefix="B")
    existing = Agency.objects.count()
    url = reverse("agencies:list")
    first, _ = _statements(dost_client, url)
    assert first.context["total"] == existing and first.context["page"].paginator.count == existing
    second, statements = _statements(dost_client, url)
    # Neither the counts by category nor the sorted ids are read again: one page of rows by id.
    assert not [sql for sql in statements if "GROUP BY" in sql], statements
    assert not [sql for sql in statements if "ORDER BY CASE" in sql.replace('"', "")]
    assert [row.agency.code for row in second.context["page"]] == [row.agency.code for row in first.context["page"]]

    # Any change, even one no signal sees, is on the next page shown.
    bulk_agencies(province, 3, prefix="C")
    third, statements = _statements(dost_client, url, {"category": Category.DISTRICT_OFFICE})
    assert third.context["total"] == existing + 8  # three offices under five new committees
    assert third.context["page"].paginator.count == 123
    Agency.objects.filter(code="C000001").update(name="Phòng đổi tên")
    AgencyVersion.objects.filter(agency__code="C000001").update(name="Phòng đổi tên")
    last = dost_client.get(url, {"category": Category.DISTRICT_OFFICE, "page": "3"})  # rows 101-123
    assert "Phòng đổi tên" in last.content.decode()

    # A search is read from the database each time (and counted there).
    found = dost_client.get(url, {"q": "Phòng đổi tên"})
    assert [row.agency.code for row in found.context["page"]] == ["C000001"]


def test_the_locality_choices_are_those_of_the_day_shown(dost_client, province, agency):
    version = agency.versions.get()
    version.valid_to = datetime.date(2025, 7, 1)
    version.locality = "Huyện Hòa An"
    version.save()
    AgencyVersion.objects.create(
        agency=agency, name=agency.name, category=agency.category, locality="Xã Hòa An", valid_from="2025-07-01"
    )
    url = reverse("agencies:list")
    today = dost_client.get(url).context["filter"].form.fields["locality"].choices
    then = dost_client.get(url, {"as_of": "31/12/2019"}).context["filter"].form.fields["locality"].choices
    assert [name for name, _ in today if name] == ["Xã Hòa An"]
    assert [name for name, _ in then if name] == ["Huyện Hòa An"]
    page = dost_client.get(url, {"as_of": "31/12/2019", "locality": "Huyện Hòa An"})
    assert [row.agency_id for row in page.context["page"]] == [agency.pk]


def test_the_parent_filter_is_a_picker_of_parents_of_any_day(dost_client, secretary_client, province, agency):
    committees = [
        make_agency(province, code=f"UB{i}", name=f"UBND huyện Thử {i}", category=Category.DISTRICT_PC)
        for i in range(3)
    ]
    office = make_agency(
        province, code="PNV", name="Phòng Nội vụ", category=Category.DISTRICT_OFFICE, parent=committees[1]
    )
    Agency.objects.filter(pk=committees[1].pk).update(ended_on="2025-07-01")  # the district was abolished
    response = dost_client.get(reverse("agencies:list"))
    html = response.content.decode()
    assert f'<option value="{committees[0].pk}"' not in html  # no option a parent: the picker asks as one types
    assert 'name="parent__search"' in html
    offered = dost_client.get(reverse("agencies:pick"), {"kind": "ever-parents", "q": "Thử"}).json()["results"]
    assert [result["id"] for result in offered] == [committees[1].pk]  # the only one that was ever a parent
    # Without JavaScript the typed name is the filter.
    typed = dost_client.get(reverse("agencies:list"), {"parent__search": "UBND huyện Thử 1", "status": "all"})
    assert [row.agency_id for row in typed.context["page"]] == [office.pk]
    # A secretary's registry is their own agency: no parent filter, no call to the picker.
    assert "parent" not in secretary_client.get(reverse("agencies:list")).context["filter"].form.fields


def test_the_years_inspection_figures_are_counted_once_per_version_of_the_data(dost, dost_client, agency):
    from inspections import services

    url, year = reverse("inspections:inspections"), {"year": 2026}
    inspection = services.inspection_start(
        agency=agency, mode="onsite", start_date=datetime.date(2026, 3, 1), actor=dost
    )
    first = dost_client.get(url, year).context["figures"]
    assert first["inspected"] == 1 and first["findings"]["total"] == 0
    _, statements = _statements(dost_client, url, year)
    assert not [sql for sql in statements if "GROUP BY" in sql or 'COUNT("inspections_finding"' in sql]
    services.finding_add(
        inspection=inspection, item="scope", severity="minor", description="Thiếu quy trình", actor=dost
    )
    again = dost_client.get(url, year).context["figures"]
    assert again["findings"]["total"] == 1 and dict((k, n) for k, _l, n in again["by_severity"])["minor"] == 1
    # A change to the registry (the category a finding is counted under) counts the year again too.
    Agency.objects.filter(pk=agency.pk).update(category=Category.PROVINCIAL_UNIT)
    by_category = dict((k, n) for k, _l, n in dost_client.get(url, year).context["figures"]["by_category"])
    assert by_category == {Category.PROVINCIAL_UNIT: 1}


def test_the_annual_reports_figures_are_counted_once_per_version_of_the_data(dost, dost_client, agency, province):
    from inspections import services
    from inspections.models import CorrectiveAction

    url = reverse("inspections:annual_report", args=[2026])
    inspection = services.inspection_start(
        agency=agency, mode="onsite", start_date=datetime.date(2026, 3, 1), actor=dost
    )
    first, counted = _statements(dost_client, url)
    assert first.context["figures"]["inspected"] == 1 and first.context["figures"]["findings_total"] == 0
    _, again = _statements(dost_client, url)
    assert len(again) < len(counted) - 10  # the page's own queries, not the year's counts
    finding = services.finding_add(
        inspection=inspection, item="scope", severity="minor", description="Thiếu quy trình", actor=dost
    )
    assert dost_client.get(url).context["figures"]["findings_total"] == 1
    CorrectiveAction.objects.create(finding=finding, action="Bổ sung", decision=CorrectiveAction.Decision.REJECTED)
    assert dost_client.get(url).context["figures"]["actions_rejected"] == 1
    # The province's reporting period is part of what the figures are counted for.
    Province.objects.filter(pk=province.pk).update(reporting_period=Province.ReportingPeriod.DECREE_09)
    assert dost_client.get(url).context["figures"]["period_start"] != first.context["figures"]["period_start"]
