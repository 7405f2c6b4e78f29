import os

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agencies.demo import DEMO_PASSWORD, PROVINCE_NAME, demo_logins, seed_demo, seed_handover
from agencies.models import Province
from inspections.demo import seed_inspections, seed_reports
from migrations_tracker.demo import seed_qms

PASSWORD_VARIABLE = "SEED_DEMO_PASSWORD"  # noqa: S105  (the name of a variable, not a password)


class Command(BaseCommand):
    help = (
        "Load the Cao Bằng demo registry and its users once (a second run changes nothing), and print the logins. "
        "With DEBUG off it refuses, unless --allow-production and a new password in SEED_DEMO_PASSWORD."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Print only the DOST and leadership logins.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help=f"Load the demo into an install with DEBUG off; its accounts get the password in {PASSWORD_VARIABLE}.",
        )

    def handle(self, *args, quiet_logins=False, allow_production=False, **options):
        password = self._password(allow_production)
        loaded = seed_demo(password)
        province = Province.objects.get(code="04")
        loaded |= seed_qms(province)
        loaded |= seed_reports(province)
        loaded |= seed_inspections(province)
        loaded |= seed_handover(province)
        logins = demo_logins(province)
        if loaded:
            self.stdout.write(self.style.SUCCESS(f"Demo data for {PROVINCE_NAME} loaded."))
        else:
            self.stdout.write(f"Demo data for {PROVINCE_NAME} already present; nothing changed.")
        shown = password if password == DEMO_PASSWORD else f"the one in {PASSWORD_VARIABLE}"
        self.stdout.write(f"\nDemo logins (password for all new accounts: {shown})")
        width = max(len(username) for username, _role, _where in logins)
        for username, role, where in logins:
            if quiet_logins and username.startswith("tk."):
                continue
            self.stdout.write(f"  {username.ljust(width)}  {role} · {where}")
        if quiet_logins:
            secretaries = sum(1 for username, *_ in logins if username.startswith("tk."))
            self.stdout.write(
                f"  … and {secretaries} ISO secretaries, tk.<agency code>, e.g. tk.skhcn "
                "(run `python manage.py seed_demo` to list them all)"
            )

    def _password(self, allow_production: bool) -> str:
        """The published demo password on a development install; a new, strong one anywhere else."""
        if settings.DEBUG:
            return DEMO_PASSWORD
        if not allow_production:
            raise CommandError(
                "DEBUG is off: this looks like a production install, and the demo's accounts would have a published "
                f"password. To load it anyway, pass --allow-production and set {PASSWORD_VARIABLE} to a new password."
            )
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if not password or password == DEMO_PASSWORD:
            raise CommandError(f"Set {PASSWORD_VARIABLE} to a new password (not the published {DEMO_PASSWORD}).")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(f"{PASSWORD_VARIABLE}: {' '.join(exc.messages)}") from exc
        return password
