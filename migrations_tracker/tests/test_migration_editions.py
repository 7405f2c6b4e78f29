"""The migration that made editions and transitions data keeps every record and what it said."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("back_to_latest_migrations")]
D = datetime.date
BEFORE = [("migrations_tracker", "0003_profile_revision")]


def _migrate(targets):
    """Migrate the QMS app to `targets`, every other app staying at its latest; the models of that state."""
    executor = MigrationExecutor(connection)
    others = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in {app for app, _n in targets}]
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([*others, *targets]).apps


def _with_history(apps, name, obj):
    """The history row the app would have written (the migration's models send no signals)."""
    history = apps.get_model("migrations_tracker", f"Historical{name}")
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    history.objects.create(**values, history_date=timezone.now(), history_type="+")
    return obj


def test_records_of_the_2008_to_2015_transition_survive_the_migration():
    old = _migrate(BEFORE)
    Province = old.get_model("agencies", "Province")
    Agency = old.get_model("agencies", "Agency")
    province = Province.objects.create(code="04", name="Cao Bằng")
    other = Province.objects.create(code="06", name="Bắc Kạn")
    moved, stuck, new = (
        Agency.objects.create(province=p, code=code, name=code, category="provincial_agency")
        for p, code in ((province, "SKHCN"), (province, "SNGV"), (other, "BK-SNV"))
    )
    QMSProfile = old.get_model("migrations_tracker", "QMSProfile")
    Announcement = old.get_model("migrations_tracker", "Announcement")
    Review = old.get_model("migrations_tracker", "Review")
    Milestone = old.get_model("migrations_tracker", "Milestone")
    Contract = old.get_model("migrations_tracker", "ConsultantContract")
    QMSProfile.objects.create(agency=moved, version="2015")
    QMSProfile.objects.create(agency=stuck, version="2008")
    QMSProfile.objects.create(agency=new, version="none")
    for agency, version, on in (
        (moved, "2008", D(2014, 5, 1)),
        (moved, "2015", D(2019, 12, 1)),
        (stuck, "2008", D(2014, 5, 2)),
    ):
        announcement = Announcement.objects.create(
            agency=agency, version=version, decision_number="1", decision_date=on, scope="x"
        )
        _with_history(old, "Announcement", announcement)
    Review.objects.create(agency=moved, kind="audit", date=D(2019, 10, 1), on_2015=True)
    Review.objects.create(agency=stuck, kind="audit", date=D(2019, 10, 2), on_2015=False)
    for kind in ("trained", "consultant", "reannounced"):
        _with_history(old, "Milestone", Milestone.objects.create(agency=moved, kind=kind, date=D(2019, 7, 18)))
    Milestone.objects.create(agency=new, kind="trained", date=D(2019, 7, 18))
    Contract.objects.create(agency=moved, consultant="VPC", signed_on=D(2019, 6, 20), value_vnd=25_000_000)
    counts = {
        m: old.get_model("migrations_tracker", m).objects.count() for m in ("Announcement", "Review", "Milestone")
    }

    new_apps = _migrate(
        [("migrations_tracker", "0005_editions_required"), ("notifications", "0005_transition_reminders")]
    )
    get = lambda name: new_apps.get_model("migrations_tracker", name)  # noqa: E731
    assert {m: get(m).objects.count() for m in counts} == counts
    assert sorted(get("Edition").objects.values_list("code", flat=True)) == ["2008", "2015"]
    profiles = dict(get("QMSProfile").objects.values_list("agency__code", "edition_id"))
    assert profiles == {"SKHCN": "2015", "SNGV": "2008", "BK-SNV": None}
    assert sorted(get("Announcement").objects.values_list("agency__code", "edition_id")) == [
        ("SKHCN", "2008"),
        ("SKHCN", "2015"),
        ("SNGV", "2008"),
    ]
    assert dict(get("Review").objects.values_list("agency__code", "edition_id")) == {"SKHCN": "2015", "SNGV": None}
    # Every province gets the 2008 → 2015 transition with its deadline; milestones and contracts are its own.
    campaigns = get("Campaign").objects.order_by("province__code")
    assert [(c.province.code, c.to_edition_id, c.deadline) for c in campaigns] == [
        ("04", "2015", D(2021, 6, 30)),
        ("06", "2015", D(2021, 6, 30)),
    ]
    assert [list(c.from_editions.values_list("code", flat=True)) for c in campaigns] == [["2008"], ["2008"]]
    reached = sorted(
        get("Milestone").objects.values_list("agency__code", "step__key", "step__campaign__province__code")
    )
    assert reached == [
        ("BK-SNV", "trained", "06"),
        ("SKHCN", "consultant", "04"),
        ("SKHCN", "reannounced", "04"),
        ("SKHCN", "trained", "04"),
    ]
    assert get("ConsultantContract").objects.get().campaign.province.code == "04"
    assert get("Step").objects.get(campaign__province__code="04", key="reannounced").completed_by == "announcement"
    # The history of each record tells the same.
    assert set(get("HistoricalAnnouncement").objects.values_list("edition_id", flat=True)) == {"2008", "2015"}
    history = get("HistoricalMilestone").objects.values_list("step__key", flat=True)
    assert sorted(history) == ["consultant", "reannounced", "trained"]
