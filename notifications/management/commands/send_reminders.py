import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications import services


class Command(BaseCommand):
    help = "Send the daily reminders as of a day (default today), then deliver the e-mails. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD: sweep as of that day (catching up, checks)")
        parser.add_argument("--no-delivery", action="store_true", help="Only claim the reminders; send them later")
        parser.add_argument(
            "--time-limit",
            type=int,
            default=settings.CELERY_TASK_SOFT_TIME_LIMIT,
            help="Seconds: no e-mail is started after this; the rest goes with the next delivery (default %(default)s)",
        )

    def handle(self, *args, date=None, no_delivery=False, time_limit=None, **options):
        if time_limit is not None and time_limit < 1:
            raise CommandError("--time-limit must be at least 1 second")
        try:
            on = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from None
        run = services.run_daily(on=on)
        self.stdout.write(f"{on:%d/%m/%Y}: {run.claimed} new reminders")
        if not no_delivery:
            delivered = services.deliver(time_limit=time_limit)
            self.stdout.write(f"sent {delivered.sent} e-mails, {delivered.failed} failed for good")
