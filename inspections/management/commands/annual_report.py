from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Province
from inspections.models import AnnualReport
from inspections.reports.data import annual_figures
from inspections.reports.render import RENDERERS


class Command(BaseCommand):
    help = "Write the annual report of a year as PDF, Excel or Word: the same document as the web page."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=sorted(RENDERERS), default="pdf")
        parser.add_argument("--output", required=True, help="File to write")
        parser.add_argument("--province", help="Province code (needed when the site holds several provinces)")

    def handle(self, *args, year, format, output, province=None, **options):
        provinces = Province.objects.all()
        if province:
            provinces = provinces.filter(code=province)
        if provinces.count() != 1:
            codes = ", ".join(Province.objects.values_list("code", flat=True))
            raise CommandError(f"Choose one province with --province ({codes}).")
        chosen = provinces.get()
        report = AnnualReport.objects.filter(province=chosen, year=year).first() or AnnualReport(
            province=chosen, year=year
        )
        with Path(output).open("wb") as out:
            RENDERERS[format](annual_figures(chosen, year), report.narrative(), out)
        self.stderr.write(f"Wrote the {year} report of {chosen.name} to {output}")
