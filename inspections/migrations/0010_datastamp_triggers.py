"""The inspections area of data (agencies.stamps): a write to any of these tables renews its token, so the
year's figures are computed once per version of the data."""

from django.db import migrations

from agencies.stamps import triggers_operation

TABLES = (
    "inspections_reportinground",
    "inspections_selfreport",
    "inspections_inspectionplan",
    "inspections_planentry",
    "inspections_inspection",
    "inspections_finding",
    "inspections_correctiveaction",
)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0008_datastamp"),
        ("inspections", "0009_finding_agency"),
    ]

    operations = [migrations.RunPython(*triggers_operation("inspections", TABLES))]
