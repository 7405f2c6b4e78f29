"""Disk trouble is a message, not a crash (issue 12): with the media disk full or read-only, an upload gives
the form back with a Vietnamese message and what was typed, no database row and no partial file; a report
render fails cleanly, leaving no file behind. The disk is real: a 256 KB tmpfs mounted by the test (root),
or a folder without write permission (any other user)."""

import os
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies.models import Document
from inspections.models import AnnualReport, ReportFile
from inspections.reports import services as reports
from iso_tracker.storage import StorageUnavailable
from migrations_tracker.models import QMSProfile

pytestmark = pytest.mark.django_db
MESSAGE = "Không lưu được tệp"


def _mount(path: Path, *options: str) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(["size=256k", *options]), "tmpfs", str(path)],
        check=False,
        capture_output=True,
    )
    return result.returncode == 0


@pytest.fixture
def full_disk(tmp_path, settings):
    media = tmp_path / "media"
    media.mkdir()
    if not _mount(media):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        with open(media / "filler", "wb", buffering=0) as filler:  # up to the last byte
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError:
                pass
        settings.MEDIA_ROOT = str(media)
        yield media
    finally:
        subprocess.run(["umount", str(media)], check=True)


@pytest.fixture
def read_only_disk(tmp_path, settings):
    media = tmp_path / "media"
    media.mkdir()
    mounted = _mount(media, "ro")
    if not mounted:
        media.chmod(0o500)
    settings.MEDIA_ROOT = str(media)
    yield media
    if mounted:
        subprocess.run(["umount", str(media)], check=True)
    else:
        media.chmod(0o700)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _upload(client, agency):
    pdf = SimpleUploadedFile("chinh-sach.pdf", b"%PDF-1.4\n" + b"x" * (200 * 1024), content_type="application/pdf")
    return client.post(
        reverse("qms:profile_edit", args=[agency.pk]),
        {
            "edition": "2015",
            "stage": "applying",
            "quality_policy": "Chính sách chất lượng năm 2026",
            "quality_objectives": "",
            "evidence": pdf,
        },
    )


@pytest.mark.parametrize("disk", ["full_disk", "read_only_disk"])
def test_an_upload_to_a_full_or_read_only_disk_gives_the_form_back_and_keeps_nothing(
    request, disk, secretary_client, agency
):
    media = request.getfixturevalue(disk)
    before = _files(media)

    response = _upload(secretary_client, agency)

    text = response.content.decode()
    assert response.status_code == 400 and MESSAGE in text
    assert "Chính sách chất lượng năm 2026" in text  # what was typed is kept
    assert not Document.objects.exists() and not QMSProfile.objects.exists()  # no row
    assert _files(media) == before  # no partial file


def test_a_report_rendered_onto_a_full_disk_fails_cleanly_and_leaves_no_file(full_disk, province):
    report = AnnualReport.objects.create(province=province, year=2019)
    item = ReportFile.objects.create(report=report, format="pdf", data_hash="x")
    before = _files(full_disk)

    reports.render_file(item.pk)

    item.refresh_from_db()
    assert item.status == "failed" and "No space left" in item.error
    assert _files(full_disk) == before  # no orphan PDF


def test_a_storage_failure_nobody_caught_answers_507_in_vietnamese(dost, agency, monkeypatch):
    def disk_full(*args, **kwargs):
        raise StorageUnavailable(28, "No space left on device")

    monkeypatch.setattr("agencies.views.paginate", disk_full)
    client = Client(raise_request_exception=False)
    client.force_login(dost, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("agencies:list"))
    assert response.status_code == 507 and MESSAGE in response.content.decode()
    assert "No space left" not in response.content.decode()
