import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from agencies import registry_io
from agencies.models import AgencyVersion, Province
from agencies.selectors import Status, registry_rows


class Command(BaseCommand):
    help = "Write the agency registry as it stood on a date, as CSV or Excel (the same data as the web export)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="Date, YYYY-MM-DD")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="File to write (default: standard output; required for xlsx)")
        parser.add_argument("--province", help="Province code (needed when the site holds several provinces)")

    def handle(self, *args, as_of, format, output=None, province=None, **options):
        try:
            date = datetime.date.fromisoformat(as_of)
        except ValueError:
            raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {as_of!r}") from None
        provinces = Province.objects.all()
        if province:
            provinces = provinces.filter(code=province)
            if not provinces.exists():
                raise CommandError(f"No province has the code {province!r}.")
        elif provinces.count() > 1:
            codes = ", ".join(provinces.values_list("code", flat=True))
            raise CommandError(f"This site holds several provinces; choose one with --province ({codes}).")
        rows = registry_rows(
            AgencyVersion.objects.filter(agency__province__in=provinces), as_of=date, status=Status.ACTIVE
        )
        rows = rows.iterator(chunk_size=2000)
        if format == "xlsx":
            if not output:
                raise CommandError("--output is required for --format xlsx.")
            with open(output, "wb") as out:
                registry_io.write_xlsx(rows, out, title="Sổ đăng ký")
        elif output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                registry_io.write_csv(rows, out)
        else:
            registry_io.write_csv(rows, sys.stdout)
        if output:
            self.stderr.write(f"Wrote the registry as of {date:%d/%m/%Y} to {output}")
