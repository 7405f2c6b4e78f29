"""Reads of the QMS data: the flags DOST acts on and the province dashboard, computed in the database.

Every flag is an SQL expression on the agency, evaluated "as of" a date, so the dashboard counts all
of them in one query and a flag's list is the same expression as a filter."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import BooleanField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, AgencyVersion, Category, User
from agencies.selectors import existing_on, obligation_counts, obligation_filter, registry_rows, visible_versions

from .models import (
    NONE,
    AdministrativeProcedure,
    Announcement,
    Attendance,
    Campaign,
    ConsultantContract,
    Edition,
    Milestone,
    Process,
    ProcessRevision,
    QMSProfile,
    Review,
    RoleAssignment,
    Stage,
    Step,
)

Expression = Callable[[datetime.date, str], Exists | Q | Value]


def twelve_months_before(on: datetime.date) -> datetime.date:
    return on - relativedelta(months=12)


def revision_due(effective: datetime.date) -> datetime.date:
    """Decree 19 / Circular 26: fold a change of law into the processes within 3 months of it taking effect."""
    return effective + relativedelta(months=3)


def _no_review(kind: str) -> Expression:
    def expression(on: datetime.date, outer: str) -> Q:
        recent = Review.objects.filter(
            agency=OuterRef(outer), kind=kind, date__gte=twelve_months_before(on), date__lte=on
        )
        return ~Exists(recent)

    return expression


def _latest_announcement(on: datetime.date, outer: str) -> QuerySet[Announcement]:
    return Announcement.objects.filter(agency=OuterRef(outer), decision_date__lte=on).order_by("-decision_date", "-pk")


def _not_announced(on: datetime.date, outer: str) -> Q:
    return ~Exists(_latest_announcement(on, outer))


def _scope_not_reannounced(on: datetime.date, outer: str) -> Q:
    # `last` sits inside the profile query, so its outer reference is the profile's agency.
    last = Subquery(_latest_announcement(on, "agency_id").values("decision_date")[:1])
    changed = QMSProfile.objects.filter(agency=OuterRef(outer), scope_changed_on__lte=on, scope_changed_on__gt=last)
    return Exists(changed)


LINKS = Process.procedures.through  # which process serves which procedure


def _uncovered_procedures(on: datetime.date, outer: str) -> Exists:
    linked = LINKS.objects.filter(administrativeprocedure=OuterRef("pk"))
    return Exists(AdministrativeProcedure.objects.filter(agency=OuterRef(outer)).filter(~Exists(linked)))


def _orphan_processes(on: datetime.date, outer: str) -> Exists:
    linked = LINKS.objects.filter(process=OuterRef("pk"))
    return Exists(Process.objects.filter(agency=OuterRef(outer)).filter(~Exists(linked)))


def _revision_overdue(on: datetime.date, outer: str) -> Exists:
    pending = ProcessRevision.objects.filter(
        process__agency=OuterRef(outer), legal_change__revision_due_on__lt=on
    ).filter(Q(revised_on__isnull=True) | Q(revised_on__gt=on))
    return Exists(pending)


def _untrained_staff(on: datetime.date, outer: str) -> Exists:
    trained = Attendance.objects.filter(staff=OuterRef("staff"), course__start_date__lte=on)
    holders = RoleAssignment.objects.filter(
        staff__agency=OuterRef(outer),
        role__in=[RoleAssignment.Role.SECRETARY, RoleAssignment.Role.LEADERSHIP_REP],
        start_date__lte=on,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
    return Exists(holders.filter(~Exists(trained)))


@dataclass(frozen=True)
class Flag:
    key: str
    label: Promise
    explanation: Promise
    expression: Expression


FLAGS = [
    Flag(
        "not_announced", _("Not announced"), _("No announcement of conformity (công bố) recorded yet."), _not_announced
    ),
    Flag(
        "no_internal_audit",
        _("No internal audit in 12 months"),
        _("At least one internal audit a year is required."),
        _no_review(Review.Kind.INTERNAL_AUDIT),
    ),
    Flag(
        "no_management_review",
        _("No management review in 12 months"),
        _("At least one management review a year is required."),
        _no_review(Review.Kind.MANAGEMENT_REVIEW),
    ),
    Flag(
        "scope_not_reannounced",
        _("Scope changed, not re-announced"),
        _("Procedures entered or left the scope after the last announcement."),
        _scope_not_reannounced,
    ),
    Flag(
        "uncovered_procedures",
        _("Procedures no process covers"),
        _("Administrative procedures served to citizens that no QMS process covers."),
        _uncovered_procedures,
    ),
    Flag(
        "orphan_processes",
        _("Processes tied to no procedure"),
        _("QMS processes written apart from the administrative procedures (two parallel systems)."),
        _orphan_processes,
    ),
    Flag(
        "revision_overdue",
        _("Legal revision overdue"),
        _("A process affected by a changed law was not revised within 3 months."),
        _revision_overdue,
    ),
    Flag(
        "untrained_staff",
        _("Untrained secretary or representative"),
        _("The current ISO secretary or leadership representative has no QMS training."),
        _untrained_staff,
    ),
]
FLAGS_BY_KEY = {flag.key: flag for flag in FLAGS}
TRANSITION_FLAG = "transition_overdue"  # the key of a campaign's flag in a plan's risk reasons


def campaign_flag(campaign: Campaign) -> Flag:
    """A transition's own flag: announced on one of its "from" editions, not on its target, after its deadline."""
    sources = [edition.code for edition in campaign.from_editions.all()]

    def expression(on: datetime.date, outer: str) -> Q | Value:
        if on <= campaign.deadline:
            return Value(False, output_field=BooleanField())
        announced = Announcement.objects.filter(agency=OuterRef(outer), decision_date__lte=on)
        return Exists(announced.filter(edition_id__in=sources)) & ~Exists(
            announced.filter(edition_id=campaign.to_edition_id)
        )

    names = {"to": campaign.to_edition.title, "deadline": campaign.deadline.strftime("%d/%m/%Y")}
    return Flag(
        f"transition-{campaign.to_edition_id}",  # one transition to an edition per province
        format_lazy(_("Transition to {to} overdue"), **names),
        format_lazy(
            _("Announced on {sources} and not yet on {to} after the deadline of {deadline}."),
            sources=", ".join(e.title for e in campaign.from_editions.all()),
            **names,
        ),
        expression,
    )


# Where a flag is acted on: the form that records what it asks for, else the part of the QMS profile.
FLAG_FORMS = {
    "not_announced": "announcement",
    "scope_not_reannounced": "announcement",
    "no_internal_audit": "review",
    "no_management_review": "review",
    "uncovered_procedures": "process",
    "untrained_staff": "attendance",
}
FLAG_ANCHORS = {"orphan_processes": "scope", "revision_overdue": "revisions"}


def flag_action(agency_id: int, flag: Flag) -> str:
    """The address where the agency does what `flag` asks (a transition's: record its milestone)."""
    section = "milestone" if flag.key.startswith("transition-") else FLAG_FORMS.get(flag.key)
    if section:
        return reverse("qms:add", args=[agency_id, section])
    return reverse("qms:profile", args=[agency_id]) + f"#{FLAG_ANCHORS.get(flag.key, 'scope')}"


def completing_step(campaign: Campaign) -> Step | None:
    """The milestone that says an agency has moved: the one an announcement completes, else the last."""
    steps = list(campaign.steps.all())
    return next((s for s in steps if s.completed_by == Step.CompletedBy.ANNOUNCEMENT), steps[-1] if steps else None)


def province_campaigns(province_id: int | None) -> list[Campaign]:
    """The province's transitions with their editions and milestones (three queries)."""
    return list(
        Campaign.objects.filter(province_id=province_id)
        .select_related("to_edition")
        .prefetch_related("from_editions", "steps")
    )


def all_campaigns() -> list[Campaign]:
    """Every province's transitions with their editions and milestones (three queries), by province."""
    return list(
        Campaign.objects.order_by("province_id", "opened_on", "pk")
        .select_related("to_edition")
        .prefetch_related("from_editions", "steps")
    )


def campaign_shown(campaigns: list[Campaign], on: datetime.date, pk: int | None = None) -> Campaign | None:
    """The transition a page shows: the one asked for, else the latest opened by `on`, else the first."""
    if pk is not None:
        return next((c for c in campaigns if c.pk == pk), None)
    opened = opened_by(campaigns, on)
    if opened:
        return opened[-1]
    return campaigns[0] if campaigns else None


def opened_by(campaigns: list[Campaign], on: datetime.date) -> list[Campaign]:
    return [c for c in campaigns if c.opened_on <= on]


def flags_for(campaigns: list[Campaign]) -> list[Flag]:
    return [*FLAGS, *(campaign_flag(c) for c in campaigns)]


def campaigns_flagged(campaigns: list[Campaign], on: datetime.date, shown: Campaign | None) -> list[Campaign]:
    """The transitions whose overdue flag a page of `on` shows: the one shown, and every one past its deadline."""
    return [c for c in campaigns if c == shown or c.deadline < on]


def flag_by_key(key: str, campaigns: list[Campaign]) -> Flag | None:
    return next((f for f in flags_for(campaigns) if f.key == key), None)


def editions() -> list[Edition]:
    """The editions (not amendments) of the national list, oldest first."""
    return list(Edition.objects.filter(amendment_of__isnull=True))


def population(user: User, on: datetime.date) -> QuerySet[AgencyVersion]:
    """The agencies the user may see that existed on `on`, one version row each (lean: for aggregates)."""
    return existing_on(visible_versions(user), on)


def population_rows(user: User, on: datetime.date) -> QuerySet[AgencyVersion]:
    """The same agencies as registry rows (names, parents as they were), for lists."""
    return registry_rows(visible_versions(user), as_of=on)


def flag_counts(rows: QuerySet[AgencyVersion], on: datetime.date, flags: list[Flag]) -> dict[str, int]:
    """How many agencies carry each flag: one query a flag, each the count of that flag's list.

    (One query for all flags is possible, but PostgreSQL then runs every EXISTS once a row; as
    filters it turns them into hashed semi-joins, about ten times faster at 10,000 agencies.)"""
    return {flag.key: flagged(rows.order_by(), flag, on).count() for flag in flags}


def flagged(rows: QuerySet[AgencyVersion], flag: Flag, on: datetime.date) -> QuerySet[AgencyVersion]:
    return rows.annotate(flagged=flag.expression(on, "agency_id")).filter(flagged=True)


def agency_flags(agency: Agency, on: datetime.date, campaigns: list[Campaign]) -> list[Flag]:
    """The flags one agency carries (its province's transitions included), in one query."""
    flags = flags_for(campaigns)
    names = {f"flag_{i}": flag for i, flag in enumerate(flags)}
    values = (
        Agency.objects.filter(pk=agency.pk)
        .annotate(**{name: f.expression(on, "pk") for name, f in names.items()})
        .values(*names)
        .get()
    )
    return [f for name, f in names.items() if values[name]]


def with_version(rows: QuerySet[AgencyVersion], on: datetime.date) -> QuerySet[AgencyVersion]:
    """Each row with `version_then`: the edition (code) of its latest announcement on or before `on`."""
    return rows.annotate(version_then=Subquery(_latest_announcement(on, "agency_id").values("edition_id")[:1]))


def matching(
    rows: QuerySet[AgencyVersion],
    on: datetime.date,
    *,
    version: str = "",
    stage: str = "",
    milestone: str = "",
    category: str = "",
    obligation: str = "",
    campaign: Campaign | None = None,
    provinces=(),
) -> QuerySet[AgencyVersion]:
    """The agencies behind a dashboard number: by announced edition, stage, a transition's milestone
    reached (its code, in `campaign`), category, obligation (by the rules of `provinces` on `on`)."""
    if version == NONE:
        rows = rows.filter(~Exists(_latest_announcement(on, "agency_id")))
    elif version:
        rows = with_version(rows, on).filter(version_then=version)
    if stage:
        rows = (
            rows.filter(agency__qms__stage=stage)
            if stage != Stage.BUILDING
            else rows.filter(Q(agency__qms__stage=stage) | Q(agency__qms__isnull=True))
        )
    if milestone:
        reached = Milestone.objects.filter(
            agency=OuterRef("agency_id"), step__campaign=campaign, step__key=milestone, date__lte=on
        )
        rows = rows.filter(Exists(reached))
    if category:
        rows = rows.filter(category=category)
    if obligation:
        rows = rows.filter(obligation_filter(provinces, on, obligation))
    return rows


def obligation_figures(rows: QuerySet[AgencyVersion], on: datetime.date) -> dict[str, dict]:
    """Agencies for which applying a QMS is mandatory / encouraged on `on`, and how many of them had
    announced it by then."""
    return obligation_counts(with_version(rows, on), on, "version_then")


def version_counts(rows: QuerySet[AgencyVersion], on: datetime.date) -> dict[str, int]:
    """Agencies by the edition of their latest announcement on or before `on` (none yet: no announcement)."""
    counted = with_version(rows.order_by(), on).values("version_then").annotate(n=Count("pk"))
    return {(row["version_then"] or NONE): row["n"] for row in counted}


def stage_counts(rows: QuerySet[AgencyVersion]) -> dict[str, int]:
    """Agencies by their current lifecycle stage (self-declared on the profile; none = building)."""
    counted = rows.order_by().values("agency__qms__stage").annotate(n=Count("pk"))
    return {(row["agency__qms__stage"] or Stage.BUILDING): row["n"] for row in counted}


def transition_by_category(rows: QuerySet[AgencyVersion], on: datetime.date, campaign: Campaign) -> list[dict]:
    """Per category with agencies: how many, and how many have reached each milestone of `campaign` by
    `on` (by code)."""
    steps = list(campaign.steps.all())
    done = {
        f"s{step.pk}": Count(
            "agency__milestones", filter=Q(agency__milestones__step=step.pk, agency__milestones__date__lte=on)
        )
        for step in steps
    }
    counted = {
        row["category"]: {"total": row["total"], **{step.key: row[f"s{step.pk}"] for step in steps}}
        for row in rows.order_by().values("category").annotate(total=Count("pk", distinct=True), **done)
    }
    # The categories of the day only: before 1 July 2025 there are no commune-level units of today's kind.
    return [{"category": key, "label": label, **counted[key]} for key, label in Category.choices if key in counted]


def spending(rows: QuerySet[AgencyVersion], on: datetime.date, since: datetime.date | None = None) -> dict:
    """Consultant contracts signed by `on` (and on or after `since`): the total, and the agencies whose
    spending passes the cap of Circular 116/2015/TT-BTC for their category (settings.CONSULTING_CAPS_VND).
    Money a unit spent stays in its province's total after a reorganisation ended the unit."""
    ended_units = Agency.objects.filter(province_id__in=rows.values("agency__province_id"), ended_on__lte=on).values(
        "pk"
    )
    contracts = ConsultantContract.objects.filter(
        Q(agency__in=rows.values("agency_id")) | Q(agency__in=ended_units), signed_on__lte=on
    )
    if since is not None:
        contracts = contracts.filter(signed_on__gte=since)
    total = contracts.aggregate(total=Sum("value_vnd"))["total"] or 0
    per_agency = (
        contracts.values("agency_id", "agency__name", "agency__category")
        .annotate(spent=Sum("value_vnd"))
        .order_by("-spent")
    )
    caps = settings.CONSULTING_CAPS_VND
    over = [
        {**row, "cap": caps[row["agency__category"]]}
        for row in per_agency
        if caps.get(row["agency__category"]) is not None and row["spent"] > caps[row["agency__category"]]
    ]
    return {"total": total, "contracts": contracts.count(), "agencies": len(per_agency), "over_cap": over}


def gap_counts(rows: QuerySet[AgencyVersion]) -> dict[str, int]:
    """Province-wide: the procedures in scopes, one per national code (the same procedure served by two
    agencies is one procedure; one without a national code counts alone), those no process covers at
    some agency, and processes tied to no procedure."""
    agencies = rows.values("agency_id")
    procedures = AdministrativeProcedure.objects.filter(agency__in=agencies).order_by()
    coded = ~Q(national_code="")
    counted = procedures.aggregate(
        codes=Count("national_code", distinct=True, filter=coded), uncoded=Count("pk", filter=~coded)
    )
    uncovered = procedures.filter(processes__isnull=True)
    missed = uncovered.aggregate(
        codes=Count("national_code", distinct=True, filter=coded), uncoded=Count("pk", filter=~coded)
    )
    return {
        "procedures": counted["codes"] + counted["uncoded"],
        "uncovered": missed["codes"] + missed["uncoded"],
        "processes": Process.objects.filter(agency__in=agencies).count(),
        "orphans": Process.objects.filter(agency__in=agencies, procedures__isnull=True).count(),
    }


def agency_gaps(agency: Agency) -> dict:
    procedures = agency.procedures.annotate(n_processes=Count("processes")).order_by("code")
    processes = agency.processes.annotate(n_procedures=Count("procedures")).order_by("code")
    return {
        "procedures": procedures,
        "processes": processes,
        "uncovered": [p for p in procedures if not p.n_processes],
        "orphans": [p for p in processes if not p.n_procedures],
    }


def overdue_revisions(agency: Agency, on: datetime.date) -> QuerySet[ProcessRevision]:
    return (
        ProcessRevision.objects.filter(process__agency=agency)
        .select_related("legal_change", "process")
        .annotate(due=F("legal_change__revision_due_on"))
        .order_by("due")
    )
