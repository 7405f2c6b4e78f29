"""Vietnamese by default with every string translated; dates as dd/mm/yyyy."""

import datetime
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import formats, translation

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_translates_every_string():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(ROOT / "locale/vi/LC_MESSAGES/django.po")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_compiled_catalogue_is_current(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(ROOT / "locale/vi/LC_MESSAGES/django.po")], check=True)
    with translation.override("vi"):
        assert compiled.read_bytes() == (ROOT / "locale/vi/LC_MESSAGES/django.mo").read_bytes()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_dates_are_day_month_year(language):
    with translation.override(language):
        assert formats.date_format(datetime.date(2020, 1, 1), "SHORT_DATE_FORMAT") == "01/01/2020"
        assert formats.date_format(datetime.date(2019, 12, 31)) == "31/12/2019"
        assert formats.number_format(325000000, force_grouping=True) == "325.000.000"


@pytest.mark.django_db
def test_pages_are_vietnamese_even_for_an_english_browser(dost_client, agency):
    page = dost_client.get(reverse("agencies:detail", args=[agency.pk]), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = page.content.decode()
    assert "Lịch sử thay đổi" in body and "Cơ quan chuyên môn cấp tỉnh" in body
