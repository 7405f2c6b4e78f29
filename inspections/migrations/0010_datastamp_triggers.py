"""The inspections area of data (agencies.stamps): a write to any of these tables renews its token, so the
year's figures are computed once per version of the data."""

from django.db import migrations

from agencies.stamps import first_stamp_sql, trigger_sql

TABLES = (
    "inspections_reportinground",
    "inspections_selfreport",
    "inspections_inspectionplan",
    "inspections_planentry",
    "inspections_inspection",
    "inspections_finding",
)


def create_triggers(apps, schema_editor):
    create, _drop = trigger_sql(schema_editor.connection.vendor, "inspections", TABLES)
    for statement in create:
        schema_editor.execute(statement)
    schema_editor.execute(first_stamp_sql(schema_editor.connection.vendor, "inspections"))


def drop_triggers(apps, schema_editor):
    _create, drop = trigger_sql(schema_editor.connection.vendor, "inspections", TABLES)
    for statement in drop:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0008_datastamp"),
        ("inspections", "0009_finding_agency"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
