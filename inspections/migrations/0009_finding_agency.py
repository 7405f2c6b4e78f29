"""Issue 14: a finding names the agency that must correct it, the inspected one until a reorganisation
hands it to a successor. Every existing finding gets its inspection's agency (nothing else changes)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def inspected_agency(apps, schema_editor):
    Finding = apps.get_model("inspections", "Finding")
    Inspection = apps.get_model("inspections", "Inspection")
    agency = Inspection.objects.filter(pk=OuterRef("inspection_id")).values("agency_id")[:1]
    Finding.objects.filter(agency__isnull=True).update(agency_id=Subquery(agency))
    HistoricalFinding = apps.get_model("inspections", "HistoricalFinding")
    HistoricalFinding.objects.filter(agency__isnull=True).update(agency_id=Subquery(agency))


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_application_rules"),
        ("inspections", "0008_finding_clause_label"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="agency",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="findings",
                to="agencies.agency",
                verbose_name="agency responsible",
            ),
        ),
        migrations.AddField(
            model_name="historicalfinding",
            name="agency",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="agencies.agency",
                verbose_name="agency responsible",
            ),
        ),
        migrations.RunPython(inspected_agency, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="finding",
            name="agency",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="findings",
                to="agencies.agency",
                verbose_name="agency responsible",
            ),
        ),
    ]
