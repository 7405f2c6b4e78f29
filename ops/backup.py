"""A consistent backup of the database and the uploaded files, and its restore into an empty install.

The archive (tar.gz) holds `manifest.json` (when, which database engine, the migrations applied, the
counts the restore checks, and the files it names), the database (`database.dump` from pg_dump's
custom format, or `database.sqlite3` from SQLite's online backup), then `media/`.

Everything the manifest says is read from the same snapshot as the dump, so a backup taken while
people work restores and passes its own check: on PostgreSQL a REPEATABLE READ transaction exports its
snapshot, pg_dump runs with `--snapshot`, and the counts and the file list are read in that transaction;
on SQLite they are read from the backup copy itself. The files the snapshot's rows name are then at
once hard-linked (copied across file systems) into the archive's folder, on PostgreSQL before pg_dump
runs: a file is written before the row that names it is committed, so each is on disk, unless it was
deleted in the moment between. Such a file (or one lost before) is listed in the manifest as missing and
reported by the backup and the restore; the backup is still written, since one deleted upload must
not cost the night's backup."""

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

FORMAT = 1


class BackupError(Exception):
    pass


def _census(cursor) -> tuple[dict[str, int], list[str], list[str]]:
    """What one database holds, read through one DB-API cursor (so from one snapshot): the counts the
    restore checks, the media paths its rows name (evidence files and rendered reports), and the
    migrations applied. Plain SQL, so that it reads a PostgreSQL transaction, a SQLite backup copy and
    a restored install alike."""
    from agencies.models import Agency, Document, User
    from inspections.models import AnnualReport, ReportFile

    def select(columns: str, table: str, where: str = "") -> list[tuple]:
        # Names from the models and constants, never from input.
        cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(table)} {where}")  # noqa: S608
        return cursor.fetchall()

    has_file = "WHERE \"file\" <> ''"
    counted = {
        "agencies": (Agency, ""),
        "users": (User, ""),
        "documents": (Document, ""),
        "annual_reports": (AnnualReport, ""),
        "report_files": (ReportFile, has_file),
    }
    counts = {name: select("COUNT(*)", model._meta.db_table, where)[0][0] for name, (model, where) in counted.items()}
    files = [name for model in (Document, ReportFile) for (name,) in select('"file"', model._meta.db_table, has_file)]
    migrations = sorted(f"{app}.{name}" for app, name in select("app, name", "django_migrations"))
    return counts, files, migrations


def _stage_files(names: list[str], staging: Path) -> list[str]:
    """Hard-link (or copy, across file systems) each named file of MEDIA_ROOT into `staging`, so that a
    deletion from now on does not take it out of the backup; the names that were not there."""
    media = Path(settings.MEDIA_ROOT)
    missing = []
    for name in names:
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts:
            missing.append(name)
            continue
        source, target = media / relative, staging / relative
        if target.exists():  # named by two rows
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except FileNotFoundError:
            missing.append(name)
        except OSError:  # another file system, or hard links not allowed there
            try:
                shutil.copy2(source, target)
            except FileNotFoundError:
                missing.append(name)
    return missing


def some_names(names: list[str], limit: int = 20) -> str:
    """The first `limit` names, for a message."""
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


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


def _dump_postgresql(work: Path) -> tuple[dict[str, int], list[str], list[str], list[str]]:
    """pg_dump of the snapshot of a transaction that reads the counts and files of the same snapshot."""
    args, env = _pg_env(connection.settings_dict)
    # A connection of its own: the caller's may be in a transaction, and this one stays open while
    # pg_dump runs (the exported snapshot lives as long as the transaction that exported it).
    db = connections.create_connection(connection.alias)
    try:
        db.set_autocommit(False)
        with db.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts, files, migrations = _census(cursor)
            missing = _stage_files(files, work / "media")
            # No owners or grants, so it restores under any role.
            dump = ["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}"]
            _run([*dump, "--file", str(work / "database.dump"), *args], env)
        db.rollback()
    finally:
        db.close()
    return counts, files, migrations, missing


def _dump_sqlite(work: Path) -> tuple[dict[str, int], list[str], list[str], list[str]]:
    """SQLite's online backup (one snapshot, taken in one step), then the counts and files of the copy."""
    dump = work / "database.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(dump)
    try:
        with target:
            connection.connection.backup(target)
        counts, files, migrations = _census(target.cursor())
    finally:
        target.close()
    return counts, files, migrations, _stage_files(files, work / "media")


def make_backup(output: Path) -> dict:
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Beside the archive, where the media usually are too, so the files are linked rather than copied.
    with tempfile.TemporaryDirectory(prefix=".iso-backup-", dir=output.parent) as folder:
        work = Path(folder)
        (work / "media").mkdir()
        dump = _dump_postgresql if vendor == "postgresql" else _dump_sqlite
        counts, files, migrations, missing = dump(work)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "engine": vendor,
            "migrations": migrations,
            "counts": counts,
            "files": len(files),
            # Named by the rows but not on disk when copied: deleted during the backup, or lost before.
            "missing_files": missing,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = output.with_suffix(output.suffix + ".part")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", arcname="manifest.json")
            database = "database.dump" if vendor == "postgresql" else "database.sqlite3"
            archive.add(work / database, arcname=database)
            archive.add(work / "media", arcname="media")
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
    """The restored install holds what the backup counted, and every file its rows name (but those the
    backup already found missing, which are returned under "missing")."""
    with connection.cursor() as cursor:
        counts, files, _migrations = _census(cursor)
    if counts != manifest["counts"]:
        raise BackupError(f"The restored counts {counts} differ from the backup's {manifest['counts']}.")
    media = Path(settings.MEDIA_ROOT)
    known = set(manifest.get("missing_files", []))
    absent = [name for name in files if not (media / name).is_file()]
    lost = [name for name in absent if name not in known]
    if lost:
        raise BackupError(f"{len(lost)} files named in the database are missing, e.g. {lost[:3]}")
    return {**counts, "files": len(files), "missing": absent}
