from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, restore_backup, some_names


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into an empty install, then check every agency, report and file."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz written by `manage.py backup`")
        parser.add_argument("--force", action="store_true", help="Replace the data of an install that is not empty")

    def handle(self, *args, archive, force=False, **options):
        try:
            found = restore_backup(archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        missing = found["missing"]
        self.stdout.write(
            f"Restored and checked: {found['agencies']} agencies, {found['users']} users, "
            f"{found['annual_reports']} annual reports, {found['files']} files, "
            + (f"{len(missing)} of them missing (see below)." if missing else "every file present.")
        )
        if missing:
            self.stderr.write(
                f"Warning: {len(missing)} of the files were already missing when the backup was taken "
                f"(their rows are restored without them): {some_names(missing)}"
            )
