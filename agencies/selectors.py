"""Reads of the registry. Every list, page and download goes through `visible_*` here: it returns
only what the user may see, so scoping is decided in one place and never repeated in views."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Agency, AgencyVersion, Category, Province, Reorganisation, User, valid_on


def _scope(user: User, agency_path: str) -> Q:
    """The agencies `user` may see, as a filter on the agency reached through `agency_path`."""
    prefix = f"{agency_path}__" if agency_path else ""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser and not user.role:
        return Q()
    if user.role in (User.Role.DOST, User.Role.LEADERSHIP) and user.province_id:
        return Q(**{f"{prefix}province_id": user.province_id})
    if user.role == User.Role.SECRETARY and user.agency_id:
        return Q(**{f"{agency_path}_id" if agency_path else "pk": user.agency_id})
    return Q(pk__in=[])


def visible_agencies(user: User) -> QuerySet[Agency]:
    return Agency.objects.filter(_scope(user, ""))


def visible_versions(user: User) -> QuerySet[AgencyVersion]:
    return AgencyVersion.objects.filter(_scope(user, "agency"))


def visible_reorganisations(user: User) -> QuerySet[Reorganisation]:
    if user.is_authenticated and user.role == User.Role.SECRETARY:
        mine = Q(predecessors=user.agency_id) | Q(successors=user.agency_id)
        ids = Reorganisation.objects.filter(mine).values("pk")
        return Reorganisation.objects.filter(pk__in=ids)
    if user.is_authenticated and user.role in (User.Role.DOST, User.Role.LEADERSHIP):
        return Reorganisation.objects.filter(province_id=user.province_id)
    if user.is_authenticated and user.is_superuser and not user.role:
        return Reorganisation.objects.all()
    return Reorganisation.objects.none()


def visible_provinces(user: User) -> QuerySet[Province]:
    if user.is_authenticated and user.is_superuser and not user.role:
        return Province.objects.all()
    return Province.objects.filter(pk=user.province_id) if user.is_authenticated else Province.objects.none()


def can_manage_registry(user: User) -> bool:
    """Create agencies, import, and record reorganisations: DOST staff of a province."""
    return user.is_authenticated and user.is_active and user.role == User.Role.DOST and bool(user.province_id)


def require_province_view(user: User) -> None:
    """The province-wide figures, lists and reports are for DOST staff and leadership of a province."""
    if user.role not in (User.Role.DOST, User.Role.LEADERSHIP) or not user.province_id:
        raise PermissionDenied(_("The province's figures are for DOST staff and leadership."))


def can_edit_agency(user: User, agency: Agency) -> bool:
    """DOST edits any agency it sees; a secretary edits the contact data of their own agency."""
    if can_manage_registry(user):
        return True
    return user.is_authenticated and user.role == User.Role.SECRETARY and user.agency_id == agency.pk


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
