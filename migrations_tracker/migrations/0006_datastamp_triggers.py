"""The QMS area of data (agencies.stamps): a write to any table of this app (every QMS record, not the
dashboard's snapshots, which are a cache) renews its token, so the leadership summary is made once per
version of the data."""

from django.db import migrations

from agencies.stamps import qms_tables, triggers_operation


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0008_datastamp"),
        ("migrations_tracker", "0005_editions_required"),
    ]

    operations = [migrations.RunPython(*triggers_operation("qms", qms_tables))]
