"""Backup and restore: a backup of this install restored into an empty one holds every agency,
report and file; a restore refuses an install that holds data, and an archive with unsafe paths."""

import io
import sqlite3
import tarfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from agencies.models import Document, User
from agencies.tests.factories import make_agency, make_province, make_user
from agencies.uploads import document_store
from inspections.models import AnnualReport, ReportFile
from iso_tracker.tests.test_settings_guard import _run

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _manage(env_overrides, *args):
    """manage.py of the second install: its own database (or none: SQLite in its DATA_DIR) and media."""
    overrides = {"SECRET_KEY": "restore-test-" + "x" * 50, "ALLOWED_HOSTS": "localhost", **env_overrides}
    return _run(overrides, *args, drop=("DATABASE_URL", "MEDIA_ROOT", "DATA_DIR"))


@pytest.fixture
def empty_install(tmp_path):
    """Settings of a second, empty install: its own database and its own media folder."""
    env = {"DATA_DIR": str(tmp_path / "restored"), "MEDIA_ROOT": str(tmp_path / "restored-media")}
    if connection.vendor != "postgresql":
        yield env, None
        return
    import psycopg

    db = connection.settings_dict
    name = f"iso_restore_{uuid.uuid4().hex[:8]}"
    admin = dict(
        host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None, password=db["PASSWORD"] or None
    )
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env["DATABASE_URL"] = f"postgres://{user}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"
    yield env, (name, admin)
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _restored_rows(env, target, sql):
    if target is None:
        with sqlite3.connect(Path(env["DATA_DIR"]) / "iso_tracker.sqlite3") as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    name, admin = target
    with psycopg.connect(dbname=name, **admin) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_install_with_every_agency_report_and_file(tmp_path, empty_install):
    env, target = empty_install
    province = make_province()
    agencies = [make_agency(province, code=f"CB{i:02d}", name=f"Sở thứ {i} tỉnh Cao Bằng") for i in range(12)]
    dost = make_user("dost", User.Role.DOST, province=province)
    documents = [
        document_store(
            agency=agencies[i], upload=SimpleUploadedFile(f"quyết-định-{i}.pdf", PDF + bytes([i])), actor=dost
        )
        for i in range(3)
    ]
    report = AnnualReport.objects.create(province=province, year=2019, number="45/BC-SKHCN")
    report_file = ReportFile(report=report, format="pdf", status="ready", data_hash="a" * 64, size=len(PDF))
    report_file.file.save("bao-cao-2019.pdf", ContentFile(PDF), save=False)
    report_file.save()

    archive = tmp_path / "backup.tar.gz"
    out = io.StringIO()
    call_command("backup", "--output", str(archive), stdout=out)
    assert "12 agencies" in out.getvalue() and "4 files" in out.getvalue()

    restored = _manage(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "12 agencies" in restored.stdout and "1 annual reports" in restored.stdout and "4 files" in restored.stdout

    # Checked from outside the command too: the rows, and each file byte for byte.
    names = {row[0] for row in _restored_rows(env, target, "SELECT name FROM agencies_agency")}
    assert names == {a.name for a in agencies}
    assert _restored_rows(env, target, "SELECT number FROM inspections_annualreport") == [("45/BC-SKHCN",)]
    media = Path(env["MEDIA_ROOT"])
    for document in documents:
        assert (media / document.file.name).read_bytes() == Path(settings.MEDIA_ROOT, document.file.name).read_bytes()
    assert (media / report_file.file.name).read_bytes() == PDF
    stored = {row[0] for row in _restored_rows(env, target, "SELECT file FROM agencies_document")}
    assert stored == {d.file.name for d in Document.objects.all()}

    # Accounts come back with their password hashes: their users sign in as before.
    hashes = dict(_restored_rows(env, target, "SELECT username, password FROM agencies_user"))
    assert hashes == {"dost": User.objects.get(username="dost").password}

    # A second restore into the now full install is refused; nothing is lost.
    again = _manage(env, "restore", str(archive))
    assert again.returncode != 0 and "already holds data" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_an_archive_with_unsafe_paths(tmp_path, empty_install):
    env, _target = empty_install
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"owned"
        info = tarfile.TarInfo("../../outside.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    result = _manage(env, "restore", str(archive))
    assert result.returncode != 0 and "unsafe entry" in result.stderr
    assert not (tmp_path.parent / "outside.txt").exists()
