"""A consistent backup of the database and the uploaded files, and its restore into an empty install.

The archive (tar.gz) holds `manifest.json` (when, which database engine, the migrations applied, and
the counts the restore checks), the database (`database.dump` from pg_dump's one-snapshot custom
format, or `database.sqlite3` from SQLite's online backup), then `media/`. The database is copied
first: a file is written before the row that names it is committed, so every file the copied rows
name is already on disk when the files are copied."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1


class BackupError(Exception):
    pass


def _counts() -> dict[str, int]:
    from agencies.models import Agency, Document, User
    from inspections.models import AnnualReport, ReportFile

    return {
        "agencies": Agency.objects.count(),
        "users": User.objects.count(),
        "documents": Document.objects.count(),
        "annual_reports": AnnualReport.objects.count(),
        "report_files": ReportFile.objects.exclude(file="").count(),
    }


def stored_files() -> list[str]:
    """The media paths the database names (evidence files and rendered reports)."""
    from agencies.models import Document
    from inspections.models import ReportFile

    names = list(Document.objects.values_list("file", flat=True))
    names += list(ReportFile.objects.exclude(file="").values_list("file", flat=True))
    return [name for name in names if name]


def _pg_env(db: dict) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def make_backup(output: Path) -> dict:
    db = connection.settings_dict
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="iso-backup-") as folder:
        work = Path(folder)
        if vendor == "postgresql":
            args, env = _pg_env(db)
            dump = work / "database.dump"
            # One snapshot for the whole dump; no owners or grants, so it restores under any role.
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(dump), *args], env)
        else:
            dump = work / "database.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(dump)
            with target:
                connection.connection.backup(target)
            target.close()
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "engine": vendor,
            "migrations": sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()),
            "counts": _counts(),
            "files": len(stored_files()),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = output.with_suffix(output.suffix + ".part")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", arcname="manifest.json")
            archive.add(dump, arcname=dump.name)
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                archive.add(media, arcname="media")
        partial.replace(output)  # never a half-written archive under the final name
    return manifest


def _database_is_empty() -> bool:
    tables = connection.introspection.table_names()
    if "agencies_agency" not in tables:
        return True
    from agencies.models import Agency, User

    return not Agency.objects.exists() and not User.objects.exists()


def _safe_members(archive: tarfile.TarFile):
    for member in archive.getmembers():
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"The archive holds an unsafe entry: {member.name}")
        yield member


def restore_backup(archive_path: Path, *, force: bool = False) -> dict:
    archive_path = Path(archive_path)
    if not archive_path.exists():
        raise BackupError(f"No such file: {archive_path}")
    if not force and not _database_is_empty():
        raise BackupError(
            "This install already holds data. Restore into an empty install (a new database), "
            "or pass --force to replace everything in it."
        )
    with tempfile.TemporaryDirectory(prefix="iso-restore-") as folder:
        work = Path(folder)
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(work, members=list(_safe_members(archive)), filter="data")
        try:
            manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError("This file is not an ISO Tracker backup (no manifest.json).") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
        if manifest["engine"] != connection.vendor:
            raise BackupError(
                f"The backup is of a {manifest['engine']} database; this install uses {connection.vendor}. "
                "Restore it into an install with the same database engine."
            )
        _restore_database(work)
        media = Path(settings.MEDIA_ROOT)
        media.mkdir(parents=True, exist_ok=True)
        if (work / "media").exists():
            shutil.copytree(work / "media", media, dirs_exist_ok=True)
    # Migrations newer than the backup (a restore into a newer release) are applied now.
    call_command("migrate", interactive=False, verbosity=0)
    return verify(manifest)


def _restore_database(work: Path) -> None:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        args, env = _pg_env(db)
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        connections.close_all()
        _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", *args, str(work / "database.dump")], env)
    else:
        connections.close_all()
        source = sqlite3.connect(work / "database.sqlite3")
        target = sqlite3.connect(db["NAME"])
        with target:
            source.backup(target)
        source.close()
        target.close()


def verify(manifest: dict) -> dict:
    """The restored install holds what the backup counted, and every file its rows name."""
    counts = _counts()
    if counts != manifest["counts"]:
        raise BackupError(f"The restored counts {counts} differ from the backup's {manifest['counts']}.")
    media = Path(settings.MEDIA_ROOT)
    missing = [name for name in stored_files() if not (media / name).is_file()]
    if missing:
        raise BackupError(f"{len(missing)} files named in the database are missing, e.g. {missing[:3]}")
    return {**counts, "files": len(stored_files())}
