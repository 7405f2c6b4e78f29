"""The Cao Bằng demo reproduces the article's figures through the dashboard."""

import pytest
from django.urls import reverse

from agencies.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def dost_demo(demo, client):
    client.force_login(User.objects.get(username="dost"), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_twelve_departments_and_the_chi_cuc_tdc_on_2015_by_the_end_of_2019(dost_demo):
    response = dost_demo.get(reverse("qms:dashboard"), {"as_of": "31/12/2019"})
    assert response.context["total"] == 77
    versions = {key: n for key, _label, n in response.context["versions"]}
    assert versions == {"none": 0, "2008": 64, "2015": 13}
    done = {row["category"]: row["reannounced"] for row in response.context["transition"]}
    assert done["provincial_agency"] == 12 and done["provincial_unit"] == 1 and sum(done.values()) == 13
    assert response.context["spending"]["total"] == 325_000_000
    assert "325.000.000 đ" in response.content.decode()
    assert [row["agency__name"] for row in response.context["spending"]["over_cap"]] == [
        "Chi cục Tiêu chuẩn Đo lường Chất lượng"
    ]


def test_demo_flags_on_a_set_day_link_to_the_agencies_behind_them(dost_demo):
    """As of 27/11/2026, the day the demo's story reaches (not "today": the test must pass in any year)."""
    response = dost_demo.get(reverse("qms:dashboard"), {"as_of": "27/11/2026"})
    counts = {flag.key: n for flag, n in response.context["flags"]}
    assert counts["transition-2015"] == 4  # still on 2008 after 30/06/2021
    assert counts["transition-2026"] == 0  # the 2015 → 2026 transition runs until 30/09/2029
    assert counts["untrained_staff"] == 5
    # CCKL and TW-TK skipped their last audit (STTTT and SGTVT did too, but merged away in 2025); the service
    # centre and the 56 commune-level units formed on 1/7/2025 have not held a first one: 53 communes have not
    # built a QMS yet (it is encouraged for them), the three wards announced theirs in 2026.
    assert counts["no_internal_audit"] == 3 + 56
    assert counts["not_announced"] == 53
    assert counts["scope_not_reannounced"] == 2
    assert counts["revision_overdue"] == 1  # the land law of 2024, in Agriculture and Environment's domain now
    assert counts["orphan_processes"] == 2  # Labour's orphan process stays its history (merged away)
    revision = dost_demo.get(reverse("qms:flag", args=["revision_overdue"]), {"as_of": "27/11/2026"})
    assert [row.agency.code for row in revision.context["page"]] == ["SNNMT"]
    listing = dost_demo.get(reverse("qms:flag", args=["transition-2015"]), {"as_of": "27/11/2026"})
    assert sorted(row.agency.code for row in listing.context["page"]) == ["BQLKKT", "CCTL", "SNGV", "TW-HQ"]
    # the address the flag had before transitions were data still leads to the same agencies
    legacy = dost_demo.get(reverse("qms:flag", args=["transition_overdue"]), {"as_of": "27/11/2026"})
    assert [row.pk for row in legacy.context["page"]] == [row.pk for row in listing.context["page"]]
    for flag, _n in response.context["flags"]:
        assert f'data-testid="flag-{flag.key}" href="/qms/flags/{flag.key}/' in response.content.decode()


def test_each_agencys_flags_agree_with_the_province_lists(demo):
    import datetime

    from agencies.models import Agency
    from migrations_tracker import selectors

    dost = User.objects.get(username="dost")
    for on in (datetime.date(2019, 12, 31), datetime.date(2026, 11, 27)):
        rows = selectors.population(dost, on)
        campaigns = selectors.province_campaigns(dost.province_id)
        listed = {
            flag.key: set(selectors.flagged(rows, flag, on).values_list("agency_id", flat=True))
            for flag in selectors.flags_for(campaigns)
        }
        assert {"transition-2015", "transition-2026"} <= set(listed)
        for agency in Agency.objects.filter(pk__in=rows.values("agency_id")):
            own = {flag.key for flag in selectors.agency_flags(agency, on, campaigns)}
            assert own == {key for key, ids in listed.items() if agency.pk in ids}, (on, agency.code)


def test_dashboard_numbers_link_to_the_agencies_behind_them(dost_demo):
    page = dost_demo.get(reverse("qms:dashboard"), {"as_of": "31/12/2019"}).content.decode()
    assert 'href="/qms/list/?version=2015&amp;as_of=31/12/2019"' in page
    listing = dost_demo.get(reverse("qms:list"), {"version": "2015", "as_of": "31/12/2019"})
    codes = sorted(row.agency.code for row in listing.context["page"])
    assert len(codes) == 13 and "CCTDC" in codes and "SKHCN" in codes
    assert listing.context["title"] == "TCVN ISO 9001:2015"
    reached = dost_demo.get(
        reverse("qms:list"), {"category": "provincial_agency", "milestone": "reannounced", "as_of": "31/12/2019"}
    )
    assert reached.context["page"].paginator.count == 12
    none_yet = dost_demo.get(reverse("qms:list"), {"version": "none", "as_of": "31/12/2019"})
    assert none_yet.context["page"].paginator.count == 0


def test_every_consultant_milestone_of_the_demo_is_backed_by_a_contract(demo):
    from migrations_tracker.models import ConsultantContract, Milestone

    engaged = set(Milestone.objects.filter(step__key="consultant").values_list("agency_id", flat=True))
    contracted = set(ConsultantContract.objects.values_list("agency_id", flat=True))
    assert engaged == contracted and len(contracted) == 13
