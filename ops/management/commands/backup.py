import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, make_backup, some_names


class Command(BaseCommand):
    help = "Write a consistent backup of the database and the uploaded files to one .tar.gz file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            help="The archive to write (default: DATA_DIR/backups/iso-tracker-YYYYMMDD-HHMMSS.tar.gz)",
        )

    def handle(self, *args, output=None, **options):
        if not output:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            output = Path(settings.DATA_DIR) / "backups" / f"iso-tracker-{stamp}.tar.gz"
        try:
            manifest = make_backup(Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        counts = manifest["counts"]
        self.stdout.write(
            f"Backup written to {output}: {counts['agencies']} agencies, {counts['users']} users, "
            f"{counts['annual_reports']} annual reports, {manifest['files']} files."
        )
        missing = manifest["missing_files"]
        if missing:
            # The archive still restores: those rows come back without their files, and the restore says so.
            was = (
                "1 file named by the database was"
                if len(missing) == 1
                else f"{len(missing)} files named by the database were"
            )
            self.stderr.write(
                f"Warning: {was} not on disk (deleted during the backup, or lost before): {some_names(missing)}"
            )
