"""The dashboard names only the agencies most over the consultant cap (issue 16: a national snapshot held
every one) and counts them all; the full list is its own paged page with the same count."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import User
from migrations_tracker import snapshots

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_dashboard_counts_every_agency_over_the_cap_and_lists_the_top(demo, monkeypatch):
    leader = _client("lanhdao")
    page = leader.get(reverse("qms:dashboard")).content.decode()
    shown = int(re.search(r'data-testid="over-cap-count">(\d+)<', page).group(1))
    listed = leader.get(reverse("qms:over_cap"))
    assert listed.status_code == 200 and listed.context["page"].paginator.count == shown >= 1
    row = listed.context["page"][0]
    named = f'<a href="{reverse("qms:profile", args=[row["agency_id"]])}">{row["agency__name"]}</a>:'
    assert named in page and row["agency__name"] in listed.content.decode()
    monkeypatch.setattr(snapshots, "OVER_CAP_SHOWN", 0)  # more over the cap than the dashboard names
    from django.core.cache import cache

    cache.clear()  # the figures are kept per version of the data: the code changed, not the data
    response = leader.get(reverse("qms:dashboard"))
    page = response.content.decode()
    assert named not in page and f"Cả {shown} cơ quan vượt mức chi" in page
    assert leader.get(reverse("qms:over_cap"), {"as_of": "31/12/2019"}).status_code == 200
