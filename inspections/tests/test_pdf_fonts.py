"""Every PDF the app makes sets its Vietnamese in the one serif the app ships (static/fonts), embedded, so a
letter such as ể, ự or ố never falls back to another font, whatever fonts the server has."""

import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from agencies.models import User
from inspections.models import Inspection, InspectionPlan
from inspections.reports import render

pytestmark = pytest.mark.django_db


def fonts_of(data: bytes) -> list[tuple[str, str]]:
    """(font name without subset prefix, embedded yes/no) for each font pdffonts lists."""
    path = Path(tempfile.mkdtemp()) / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        if line.strip():
            cols = line.split()
            rows.append((cols[0].split("+")[-1], cols[-5]))
    return rows


def assert_one_shipped_family(data: bytes) -> None:
    rows = fonts_of(data)
    assert rows, "the PDF has text"
    assert all(name.startswith("ISO-Serif") for name, _ in rows), rows
    assert all(emb == "yes" for _, emb in rows), rows


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_annual_report_and_the_leadership_summary_use_the_shipped_serif(demo, tmp_path):
    out = tmp_path / "bao-cao-2019.pdf"
    call_command("annual_report", "--year", "2019", "--format", "pdf", "--output", str(out))
    assert_one_shipped_family(out.read_bytes())
    assert_one_shipped_family(_body(_client("lanhdao").get(reverse("inspections:summary_pdf"))))


def test_the_plan_the_decision_and_the_minutes_use_the_shipped_serif(demo, settings):
    settings.PLAN_PDF_INLINE_MAX = 1000
    dost = _client("dost")
    plan = InspectionPlan.objects.get(province__code="04", year=2019)
    assert_one_shipped_family(_body(dost.get(reverse("inspections:plan_pdf", args=[plan.pk]))))
    onsite = Inspection.objects.filter(agency__province__code="04", mode="onsite").first()
    for form in ("20", "21"):
        assert_one_shipped_family(_body(dost.get(reverse("inspections:inspection_pdf", args=[onsite.pk, form]))))


def test_the_font_comes_from_the_apps_static_files_not_from_the_system():
    fetcher = render.safe_url_fetcher()
    data = render.html_to_pdf(
        '<link rel="stylesheet" href="static:css/report.css"><p>Kiểm tra việc áp dụng TCVN ISO 9001</p>',
        url_fetcher=fetcher,
    )
    served = [url for url in fetcher.served if url.endswith(".ttf")]
    assert any("fonts/liberation-serif/LiberationSerif-Regular.ttf" in url for url in served), fetcher.served
    assert not fetcher.refused
    assert_one_shipped_family(data)
