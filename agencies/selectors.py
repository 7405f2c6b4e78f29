"""Reads of the registry. Every list, page and download goes through `visible_*` here: it returns
only what the user may see, so scoping is decided in one place and never repeated in views."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from iso_tracker.permissions import is_secretary, province_scope, scope

from . import stamps
from .models import (
    DEFAULT_OBLIGATION,
    DEFAULT_RULE_BASIS,
    Agency,
    AgencyVersion,
    ApplicationRule,
    Category,
    Obligation,
    Province,
    Reorganisation,
    User,
    valid_on,
)


def visible_agencies(user: User) -> QuerySet[Agency]:
    return Agency.objects.filter(scope(user))


def parents_ever(user: User) -> QuerySet[Agency]:
    """The agencies the user may see that are, or were, the parent of another (the registry's parent filter)."""
    return visible_agencies(user).filter(Exists(AgencyVersion.objects.filter(parent_id=OuterRef("pk"))))


def large_provinces() -> QuerySet[Province]:
    """The provinces at national scale, with DASHBOARD_SNAPSHOT_FROM agencies existing today or more: jobs
    make their dashboard snapshot and their leadership summary, which a visit then only reads."""
    today = timezone.localdate()
    counted = (
        Agency.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .values("province_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=settings.DASHBOARD_SNAPSHOT_FROM)
        .values("province_id")
    )
    return Province.objects.filter(pk__in=counted)


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


def status_condition(as_of: datetime.date, status: str) -> Q:
    """Versions of agencies existing on `as_of` (active), of those ended by then (their last version), or both."""
    active = valid_on(as_of)
    ended = Q(agency__ended_on__lte=as_of) & Q(valid_to=F("agency__ended_on"))
    return {Status.ACTIVE: active, Status.ENDED: ended}.get(status, active | ended)


def registry_rows(
    versions: QuerySet[AgencyVersion], *, as_of: datetime.date | None = None, status: str = Status.ACTIVE
) -> QuerySet[AgencyVersion]:
    """The registry as it stood on `as_of` (default today): one version row per agency.

    `status` active: agencies existing that day; ended: agencies that had ended by then (their last
    version); all: both. Each row carries the parent's name as it was that day, in the same query.
    """
    as_of = as_of or timezone.localdate()
    parent_then = (
        AgencyVersion.objects.filter(valid_on(as_of), agency=OuterRef("parent_id")).order_by().values("name")[:1]
    )
    return (
        versions.filter(status_condition(as_of, status))
        .select_related("agency", "agency__province", "parent")
        .annotate(parent_name=Subquery(parent_then))
        .annotate(category_rank=CATEGORY_RANK)
        .order_by("category_rank", "agency__code")
    )


class RegistryCounts:
    """The registry on a day counted in one grouped query: agencies per province, category and locality,
    existing that day or ended by then. The list's counts by category and by obligation and its locality
    choices all come from these groups, so the list reads the province once for them instead of once for
    each, and only once per version of the registry's data."""

    def __init__(self, user: User, as_of: datetime.date):
        """The registry `user` may see, on `as_of`. The groups are counted once per version of the registry's
        data (agencies.stamps): a province of 10,000 agencies is not read again until something changes."""
        self.as_of = as_of
        key = f"registry-groups:{stamps.scope_key(user)}:{as_of.isoformat()}"
        self.groups = stamps.cached(stamps.REGISTRY, key, lambda: self.count_groups(visible_versions(user), as_of))
        self._obligations: dict[int, dict[str, str]] | None = None

    @staticmethod
    def count_groups(versions: QuerySet[AgencyVersion], as_of: datetime.date) -> list[dict]:
        existing = ExpressionWrapper(valid_on(as_of), output_field=BooleanField())
        return list(
            versions.filter(status_condition(as_of, Status.ALL))
            .annotate(existing=existing)
            .values("agency__province_id", "category", "locality", "existing")
            .annotate(n=Count("pk"))
            .order_by("locality", "category")
        )

    def _of(self, status: str) -> list[dict]:
        if status == Status.ALL:
            return self.groups
        return [g for g in self.groups if bool(g["existing"]) == (status == Status.ACTIVE)]

    def obligation_of(self, group: dict) -> str:
        if self._obligations is None:
            self._obligations = obligations_on({g["agency__province_id"] for g in self.groups}, self.as_of)
        said = self._obligations.get(group["agency__province_id"], {})
        return said.get(group["category"], Obligation.ENCOURAGED)

    def localities(self, status: str = Status.ALL) -> list[str]:
        """The localities named by the rows of `status`, in the database's order, each once."""
        return list(dict.fromkeys(g["locality"] for g in self._of(status) if g["locality"]))

    def by_category(self) -> dict[str, int]:
        """Agencies existing that day, per category."""
        counts: dict[str, int] = {}
        for g in self._of(Status.ACTIVE):
            counts[g["category"]] = counts.get(g["category"], 0) + g["n"]
        return counts

    def by_obligation(self) -> dict[str, int]:
        """Agencies existing that day for which applying a QMS is mandatory, and encouraged."""
        counts = dict.fromkeys(Obligation.values, 0)
        for g in self._of(Status.ACTIVE):
            counts[self.obligation_of(g)] += g["n"]
        return counts


def existing_on(versions: QuerySet[AgencyVersion], as_of: datetime.date) -> QuerySet[AgencyVersion]:
    """The agencies existing on `as_of`, one version each, with nothing else: the base of aggregates."""
    return versions.filter(valid_on(as_of)).order_by()


def category_counts(rows: QuerySet[AgencyVersion]) -> dict[str, int]:
    """Agencies per category among `rows`, counted in the database."""
    counted = rows.order_by().values("category").annotate(n=Count("pk")).values_list("category", "n")
    return dict(counted)


# --- Who must apply a QMS: each province's rule per category, dated ----------------------------------


def rules_on(province_ids, on: datetime.date) -> dict[int, dict[str, ApplicationRule | None]]:
    """Each province's rule per category on `on`: its latest recorded rule from that day or before, or
    None where Decision 19/2014 (DEFAULT_OBLIGATION) holds. One query."""
    result = {pid: dict.fromkeys(Category.values) for pid in province_ids}
    recorded = ApplicationRule.objects.filter(province_id__in=list(result), valid_from__lte=on).order_by("valid_from")
    for rule in recorded:
        result[rule.province_id][rule.category] = rule
    return result


def obligation(rule: ApplicationRule | None, category: str) -> str:
    return rule.obligation if rule is not None else str(DEFAULT_OBLIGATION.get(category, Obligation.ENCOURAGED))


def basis(rule: ApplicationRule | None) -> str:
    return rule.basis if rule is not None else DEFAULT_RULE_BASIS


def obligations_on(province_ids, on: datetime.date) -> dict[int, dict[str, str]]:
    """Mandatory or encouraged, per province and category, on `on`."""
    return {
        pid: {category: obligation(rule, category) for category, rule in by_category.items()}
        for pid, by_category in rules_on(province_ids, on).items()
    }


def obligation_filter(province_ids, on: datetime.date, wanted: str, province_path: str = "agency__province_id") -> Q:
    """Versions (rows with a `category`) whose category carries the `wanted` obligation on `on`."""
    condition = Q(pk__in=[])
    for pid, by_category in obligations_on(province_ids, on).items():
        categories = [category for category, said in by_category.items() if said == wanted]
        condition |= Q(**{province_path: pid, "category__in": categories})
    return condition


def counts_by_rule(rows: QuerySet[AgencyVersion], on: datetime.date, *extra: str) -> tuple[dict, dict]:
    """Agencies among `rows` per category, and per obligation on `on` ({"mandatory": {"total": n, …},
    "encouraged": …}); each name in `extra` is an annotation of `rows`, counted where it is not null.
    One grouped query and one of the rules."""
    grouped = list(
        rows.order_by()
        .values("agency__province_id", "category")
        .annotate(n_total=Count("pk"), **{f"n_{name}": Count(name) for name in extra})
    )
    said = obligations_on({row["agency__province_id"] for row in grouped}, on)
    by_category: dict[str, int] = {}
    by_obligation = {key: {"total": 0, **dict.fromkeys(extra, 0)} for key in Obligation.values}
    for row in grouped:
        by_category[row["category"]] = by_category.get(row["category"], 0) + row["n_total"]
        into = by_obligation[said[row["agency__province_id"]].get(row["category"], Obligation.ENCOURAGED)]
        for name in ("total", *extra):
            into[name] += row[f"n_{name}"]
    return by_category, by_obligation


def obligation_counts(rows: QuerySet[AgencyVersion], on: datetime.date, *extra: str) -> dict[str, dict]:
    return counts_by_rule(rows, on, *extra)[1]


def agency_for_code(province: Province, code: str) -> Agency | None:
    return Agency.objects.filter(province=province, code=code).first()


def with_names_before(reorganisations) -> list[Reorganisation]:
    """Give each reorganisation `.before`: its predecessors as (agency, name the day before it took effect).

    A renamed agency shows its old name, not today's; one query for the whole page."""
    items = list(reorganisations)
    day_before = {r.pk: r.effective_date - datetime.timedelta(days=1) for r in items}
    names = names_then((a.pk, day_before[r.pk]) for r in items for a in r.predecessors.all())
    for r in items:
        r.before = [(a, names[(a.pk, day_before[r.pk])] or a.name) for a in r.predecessors.all()]
    return items


def names_then(wanted: Iterable[tuple[int, datetime.date]]) -> dict[tuple[int, datetime.date], str]:
    """The name each agency had on a day, for (agency id, day) pairs, in one query: a document or list of a
    past year prints "Ban Dân tộc", not the name it has today. A day outside the agency's life gives the
    name of its nearest period (its last before it ended, its first before it began)."""
    wanted = set(wanted)
    periods: dict[int, list[tuple[datetime.date | None, datetime.date | None, str]]] = {}
    rows = AgencyVersion.objects.filter(agency_id__in={agency_id for agency_id, _day in wanted}).order_by(
        "agency_id", F("valid_from").asc(nulls_first=True)
    )
    for agency_id, valid_from, valid_to, name in rows.values_list("agency_id", "valid_from", "valid_to", "name"):
        periods.setdefault(agency_id, []).append((valid_from, valid_to, name))
    names = {}
    for agency_id, day in wanted:
        found = periods.get(agency_id) or [(None, None, "")]
        before = [name for valid_from, _to, name in found if valid_from is None or valid_from <= day]
        names[(agency_id, day)] = before[-1] if before else found[0][2]
    return names
