"""Issue 18: the API is checked against its own schema. schemathesis generates requests from the OpenAPI
schema and sends them to a live server holding the demo, with a token of each role (DOST read only, a
secretary, leadership and Ministry staff, the last three able to record): no answer is a server error,
every status, content type and body is one the schema documents, and an operation called without the
token is refused (schemathesis' `ignored_auth`).

On the PostgreSQL path only (CI runs it; the embedded path would repeat the same requests on SQLite, and
the CI's time is counted): `DATABASE_URL` set."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from agencies.models import ApiToken, User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="run on the PostgreSQL path (CI)"),
]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth"
ROLES = [("dost", True), ("tk.skhcn", False), ("lanhdao", False), ("bokhcn", False)]


def test_every_answer_is_one_the_schema_documents_for_every_role(live_server, monkeypatch, tmp_path):
    from rest_framework.throttling import SimpleRateThrottle

    from conftest import seed_demo_quietly

    seed_demo_quietly()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "100000/minute")  # every request is looked at
    binary = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    for username, read_only in ROLES:
        _token, text = ApiToken.issue(
            user=User.objects.get(username=username),
            name="schemathesis",
            read_only=read_only,
            expires_at=timezone.now() + datetime.timedelta(hours=1),
        )
        run = subprocess.run(
            [
                binary,
                "run",
                f"{live_server.url}/api/schema/?format=json",
                "--header",
                f"Authorization: Bearer {text}",
                "--checks",
                CHECKS,
                "--phases",
                "fuzzing",
                "--max-examples",
                "8",
                "--seed",
                "2026",
                "--no-shrink",
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--report-dir",
                str(tmp_path / username),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert run.returncode == 0, f"{username}:\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}"
        selected, tested = (re.search(rf"{word}: (\d+)", run.stdout) for word in ("Selected", "Tested"))
        assert selected and tested and int(tested[1]) == int(selected[1].split("/")[0]) > 20, run.stdout[-2000:]
