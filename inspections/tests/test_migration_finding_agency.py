"""Migration 0009 of inspections gives every existing finding (and its history) the agency that must
correct it: its inspection's agency. No finding is lost or changed otherwise."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("back_to_latest_migrations")]
D = datetime.date
BEFORE = [("inspections", "0008_finding_clause_label")]
AFTER = [("inspections", "0009_finding_agency")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    others = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] != "inspections"]
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([*others, *targets]).apps


def test_every_finding_is_the_inspected_agencys_after_the_migration():
    old = _migrate(BEFORE)
    Province = old.get_model("agencies", "Province")
    Agency = old.get_model("agencies", "Agency")
    Inspection = old.get_model("inspections", "Inspection")
    Finding = old.get_model("inspections", "Finding")
    HistoricalFinding = old.get_model("inspections", "HistoricalFinding")
    province = Province.objects.create(code="04", name="Cao Bằng")
    agencies = [
        Agency.objects.create(province=province, code=code, name=code, category="provincial_agency")
        for code in ("SKHCN", "STP")
    ]
    before = []
    for n, agency in enumerate(agencies * 2):
        inspection = Inspection.objects.create(
            province=province, agency=agency, year=2019, mode="onsite", start_date=D(2019, 9, 1 + n)
        )
        finding = Finding.objects.create(
            inspection=inspection, item="legal", severity="minor", description=f"Phát hiện {n}", status="open"
        )
        values = {f.attname: getattr(finding, f.attname) for f in finding._meta.concrete_fields if f.name != "revision"}
        HistoricalFinding.objects.create(**values, history_date=timezone.now(), history_type="+")
        before.append((finding.pk, agency.pk, finding.description, finding.status))

    new = _migrate(AFTER)
    Finding = new.get_model("inspections", "Finding")
    after = [(f.pk, f.agency_id, f.description, f.status) for f in Finding.objects.order_by("pk")]
    assert after == before
    assert all(f.agency_id == f.inspection.agency_id for f in Finding.objects.select_related("inspection"))
    history = new.get_model("inspections", "HistoricalFinding")
    assert sorted(history.objects.values_list("id", "agency_id")) == sorted((pk, a) for pk, a, _d, _s in before)
