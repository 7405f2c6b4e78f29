"""Reads of the registry. Every list, page and download goes through `visible_*` here: it returns
only what the user may see, so scoping is decided in one place and never repeated in views."""

from __future__ import annotations

import datetime

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from iso_tracker.permissions import is_secretary, province_scope, scope

from .models import Agency, AgencyVersion, Category, Province, Reorganisation, User, valid_on


def visible_agencies(user: User) -> QuerySet[Agency]:
    return Agency.objects.filter(scope(user))


def visible_versions(user: User) -> QuerySet[AgencyVersion]:
    return AgencyVersion.objects.filter(scope(user, "agency"))


def visible_reorganisations(user: User) -> QuerySet[Reorganisation]:
    """A secretary sees the reorganisations their agency took part in; DOST and leadership their province's."""
    if is_secretary(user):
        mine = Q(predecessors=user.agency_id) | Q(successors=user.agency_id)
        ids = Reorganisation.objects.filter(mine).values("pk")
        return Reorganisation.objects.filter(pk__in=ids)
    return Reorganisation.objects.filter(province_scope(user))


def visible_provinces(user: User) -> QuerySet[Province]:
    return Province.objects.filter(province_scope(user, ""))


# The registry lists agencies in the order of seed fact F5, not alphabetically by category key.
CATEGORY_RANK = Case(
    *(When(category=key, then=Value(rank)) for rank, key in enumerate(Category.values)),
    default=Value(len(Category.values)),
    output_field=IntegerField(),
)


class Status:
    ACTIVE = "active"
    ENDED = "ended"
    ALL = "all"


def registry_rows(
    versions: QuerySet[AgencyVersion], *, as_of: datetime.date | None = None, status: str = Status.ACTIVE
) -> QuerySet[AgencyVersion]:
    """The registry as it stood on `as_of` (default today): one version row per agency.

    `status` active: agencies existing that day; ended: agencies that had ended by then (their last
    version); all: both. Each row carries the parent's name as it was that day, in the same query.
    """
    as_of = as_of or timezone.localdate()
    active = valid_on(as_of)
    ended = Q(agency__ended_on__lte=as_of) & Q(valid_to=F("agency__ended_on"))
    condition = {Status.ACTIVE: active, Status.ENDED: ended}.get(status, active | ended)
    parent_then = (
        AgencyVersion.objects.filter(valid_on(as_of), agency=OuterRef("parent_id")).order_by().values("name")[:1]
    )
    return (
        versions.filter(condition)
        .select_related("agency", "agency__province", "parent")
        .annotate(parent_name=Subquery(parent_then))
        .annotate(category_rank=CATEGORY_RANK)
        .order_by("category_rank", "agency__code")
    )


def existing_on(versions: QuerySet[AgencyVersion], as_of: datetime.date) -> QuerySet[AgencyVersion]:
    """The agencies existing on `as_of`, one version each, with nothing else: the base of aggregates."""
    return versions.filter(valid_on(as_of)).order_by()


def category_counts(rows: QuerySet[AgencyVersion]) -> dict[str, int]:
    """Agencies per category among `rows`, counted in the database."""
    counted = rows.order_by().values("category").annotate(n=Count("pk")).values_list("category", "n")
    return dict(counted)


def agency_for_code(province: Province, code: str) -> Agency | None:
    return Agency.objects.filter(province=province, code=code).first()


def with_names_before(reorganisations) -> list[Reorganisation]:
    """Give each reorganisation `.before`: its predecessors as (agency, name the day before it took effect).

    A renamed agency shows its old name, not today's; one query for the whole page."""
    items = list(reorganisations)
    agency_ids = {a.pk for r in items for a in r.predecessors.all()}
    dates = {r.effective_date for r in items}
    ended = AgencyVersion.objects.filter(agency_id__in=agency_ids, valid_to__in=dates).values_list(
        "agency_id", "valid_to", "name"
    )
    names = {(agency_id, valid_to): name for agency_id, valid_to, name in ended}
    for r in items:
        r.before = [(a, names.get((a.pk, r.effective_date), a.name)) for a in r.predecessors.all()]
    return items
