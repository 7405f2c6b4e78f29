from django.core.management.base import BaseCommand

from agencies.demo import DEMO_PASSWORD, PROVINCE_NAME, seed_demo
from agencies.models import Province
from inspections.demo import seed_inspections, seed_reports
from migrations_tracker.demo import seed_qms


class Command(BaseCommand):
    help = "Load the Cao Bằng demo registry and its users once (a second run changes nothing), and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Print only the DOST and leadership logins.")

    def handle(self, *args, quiet_logins=False, **options):
        loaded, logins = seed_demo()
        province = Province.objects.get(code="04")
        loaded |= seed_qms(province)
        loaded |= seed_reports(province)
        loaded |= seed_inspections(province)
        if loaded:
            self.stdout.write(self.style.SUCCESS(f"Demo data for {PROVINCE_NAME} loaded."))
        else:
            self.stdout.write(f"Demo data for {PROVINCE_NAME} already present; nothing changed.")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
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
