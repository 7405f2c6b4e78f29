"""With CACHE_URL (production, and CI's PostgreSQL path) every process shares one cache: an API user's
calls are throttled across gunicorn's workers together, and a dashboard's figures are computed once for
all of them. Here a separate process (as another worker would be) reads the count of the calls this one
made."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("CACHE_URL"), reason="needs CACHE_URL (a Redis database)"),
]


def test_another_process_sees_the_api_calls_this_one_made(demo, monkeypatch):
    from rest_framework.test import APIClient
    from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

    from agencies.models import User

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/minute")
    dost = User.objects.get(username="dost")
    client = APIClient()
    client.force_authenticate(dost)
    assert [client.get("/api/v1/agencies/").status_code for _ in range(3)] == [200, 200, 200]
    assert client.get("/api/v1/agencies/").status_code == 429

    key = UserRateThrottle.cache_format % {"scope": "user", "ident": dost.pk}
    read = f"from django.core.cache import cache; print('calls', len(cache.get({key!r}, [])))"
    other = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", read],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DEBUG": "true"},
    )
    assert "calls 3" in other.stdout, other.stdout + other.stderr
