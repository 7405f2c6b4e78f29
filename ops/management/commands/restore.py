from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, restore_backup


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
        self.stdout.write(
            f"Restored and checked: {found['agencies']} agencies, {found['users']} users, "
            f"{found['annual_reports']} annual reports, {found['files']} files, every file present."
        )
