"""The QMS area of data (agencies.stamps): a write to any table of this app (every QMS record, not the
dashboard's snapshots, which are a cache) renews its token, so the leadership summary is made once per
version of the data."""

from django.db import migrations

from agencies.stamps import QMS, first_stamp_sql, qms_tables, trigger_sql


def create_triggers(apps, schema_editor):
    create, _drop = trigger_sql(schema_editor.connection.vendor, QMS, qms_tables(apps))
    for statement in create:
        schema_editor.execute(statement)
    schema_editor.execute(first_stamp_sql(schema_editor.connection.vendor, QMS))


def drop_triggers(apps, schema_editor):
    _create, drop = trigger_sql(schema_editor.connection.vendor, QMS, qms_tables(apps))
    for statement in drop:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0008_datastamp"),
        ("migrations_tracker", "0005_editions_required"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
