"""What a unit carries when a merger, split or dissolution ends it, and the decisions that hand each
thing to a successor or close it with the unit.

An ended unit "carries" its QMS profile (with its announcement), administrative procedures, processes,
staff (with their roles), open findings (with their corrective actions), draft or returned self-reports,
uploaded files, and active ISO secretary accounts. Each needs a recorded `Handover`: "moved" re-attaches
the record to the successor (a finding keeps its inspection, history and deadline; a secretary's account
then works for the successor; a profile stays as the ended unit's history, the successor's page shows
it was taken over); "closed" leaves it with the unit (a finding is closed, an account disabled). A unit
ended with anything undecided carries the flag "ended with open items", whenever it was ended
(including data from before hand-overs existed)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from iso_tracker.permissions import require

from .models import Agency, Handover, User

Kind = Handover.Kind


@dataclass(frozen=True)
class Carried:
    """One kind of record a unit carries: how to find the open ones, name one, move it, close it."""

    kind: str
    items: Callable[[], QuerySet]  # every open record of this kind, of any agency (filter by `agency_field`)
    label: Callable[[object], str]
    move: Callable[[object, Agency], None]
    close: Callable[[object], None] = lambda item: None
    agency_field: str = "agency"


def _attach(item, to: Agency) -> None:
    item.agency = to
    if isinstance(getattr(item, "revision", None), int):  # a form opened before the hand-over is refused
        item.revision += 1
    item.save()


def _unique_code(model_name: str) -> Callable[[object, Agency], None]:
    def move(item, to: Agency) -> None:
        if type(item).objects.filter(agency=to, code=item.code).exists():
            raise ValidationError(
                _("%(agency)s already has a %(what)s with the code %(code)s; change one of the codes first.")
                % {"agency": to.name, "what": model_name, "code": item.code}
            )
        _attach(item, to)

    return move


def _profile_label(profile) -> str:
    announcement = profile.agency.announcements.order_by("-decision_date").first()
    if announcement is None:
        return _("QMS profile (not announced)")
    return _("QMS profile, announced by %(number)s of %(date)s") % {
        "number": announcement.decision_number,
        "date": date_format(announcement.decision_date, "SHORT_DATE_FORMAT"),
    }


def _keep_profile(profile, to: Agency) -> None:
    """The profile stays the ended unit's history; the decision records that the successor took it over."""


def _move_report(report, to: Agency) -> None:
    if type(report).objects.filter(round=report.round, agency=to).exists():
        raise ValidationError(
            _("%(agency)s already has a self-report for %(year)s; close this draft with the unit instead.")
            % {"agency": to.name, "year": report.round.year}
        )
    _attach(report, to)


def _close_finding(finding) -> None:
    finding.status = type(finding).Status.CLOSED
    finding.save()


def _disable(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def carried_kinds() -> list[Carried]:
    from inspections.models import Finding, SelfReport
    from migrations_tracker.models import AdministrativeProcedure, Process, QMSProfile, StaffMember

    from .models import Document

    return [
        Carried(Kind.PROFILE, QMSProfile.objects.all, _profile_label, _keep_profile),
        Carried(
            Kind.PROCEDURE,
            AdministrativeProcedure.objects.all,
            lambda p: f"{p.code} {p.name}".strip(),
            _unique_code(_("procedure")),
        ),
        Carried(
            Kind.PROCESS,
            Process.objects.all,
            lambda p: f"{p.code} {p.name}".strip(),
            _unique_code(_("process")),
        ),
        Carried(Kind.STAFF, StaffMember.objects.all, lambda s: s.full_name, _attach),
        Carried(
            Kind.FINDING,
            lambda: Finding.objects.exclude(status=Finding.Status.CLOSED),
            lambda f: (
                _("%(description)s (due %(date)s)")
                % {
                    "description": f.description[:120],
                    "date": date_format(f.due_on, "SHORT_DATE_FORMAT") if f.due_on else "—",
                }
            ),
            _attach,
            _close_finding,
        ),
        Carried(
            Kind.SELF_REPORT,
            lambda: SelfReport.objects.filter(
                status__in=[SelfReport.Status.DRAFT, SelfReport.Status.RETURNED]
            ).select_related("round"),
            lambda r: _("Self-report %(year)s (%(status)s)") % {"year": r.round.year, "status": r.get_status_display()},
            _move_report,
        ),
        Carried(Kind.DOCUMENT, Document.objects.all, lambda d: d.original_name, _attach),
        Carried(
            Kind.ACCOUNT,
            lambda: User.objects.filter(role=User.Role.SECRETARY, is_active=True),
            lambda u: f"{u.get_full_name() or u.username} ({u.username})",
            _attach,
            _disable,
        ),
    ]


def _undecided(carried: Carried, from_field: str = "agency") -> QuerySet:
    decided = Handover.objects.filter(
        kind=carried.kind, object_id=OuterRef("pk"), from_agency_id=OuterRef(f"{from_field}_id")
    )
    return carried.items().filter(~Exists(decided))


def open_items(agency: Agency) -> list[dict]:
    """What `agency` still carries without a decision, kind by kind (kinds with nothing left omitted):
    {"kind", "label", "items": [("kind:id", item's label)]}."""
    listed = []
    for carried in carried_kinds():
        items = list(_undecided(carried).filter(agency=agency).order_by("pk"))
        if items:
            listed.append(
                {
                    "kind": carried.kind,
                    "label": Kind(carried.kind).label,
                    "items": [(f"{carried.kind}:{item.pk}", carried.label(item)) for item in items],
                }
            )
    return listed


def ended_with_open_items(agencies: QuerySet[Agency]) -> int:
    """How many ended units among `agencies` still carry something undecided. A province where nothing
    has ended spares the query of every carried kind (a few milliseconds only to build)."""
    if not agencies.filter(ended_on__lte=timezone.localdate()).exists():
        return 0
    return with_open_items(agencies).count()


def with_open_items(agencies: QuerySet[Agency]) -> QuerySet[Agency]:
    """The ended units among `agencies` that still carry something undecided: the flag."""
    today = timezone.localdate()
    condition = Q()
    for carried in carried_kinds():
        condition |= Exists(_undecided(carried).filter(agency=OuterRef("pk")))
    return agencies.filter(ended_on__lte=today).filter(condition)


def successors_for(agency: Agency) -> QuerySet[Agency]:
    """Who may take over: an agency of the same province existing on the day the unit ended."""
    day = agency.ended_on
    return (
        Agency.objects.filter(province_id=agency.province_id)
        .filter(Q(established_on__isnull=True) | Q(established_on__lte=day))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
        .exclude(pk=agency.pk)
    )


@transaction.atomic
def decide(
    *,
    actor: User,
    agency: Agency,
    items: Iterable[tuple[str, int]],
    to: Agency | None,
    on: datetime.date | None = None,
) -> list[Handover]:
    """Hand the open `items` ((kind, id) pairs) of the ended `agency` to `to`, or close them with it
    (`to` None). Items that are not the unit's open ones are refused; so is a code already in use at
    the successor (nothing is decided then)."""
    require(actor, "registry.manage", agency)
    if agency.ended_on is None:
        raise ValidationError(_("%(agency)s has not ended; nothing is handed over.") % {"agency": agency.name})
    if to is not None and not successors_for(agency).filter(pk=to.pk).exists():
        raise ValidationError(
            {
                "to": _("%(agency)s did not exist on %(date)s in this province.")
                % {"agency": to.name, "date": date_format(agency.ended_on, "SHORT_DATE_FORMAT")}
            }
        )
    wanted: dict[str, set[int]] = {}
    for kind, pk in items:
        wanted.setdefault(kind, set()).add(pk)
    if not wanted:
        raise ValidationError(_("Choose at least one item."))
    decisions = []
    for carried in carried_kinds():
        ids = wanted.pop(carried.kind, set())
        if not ids:
            continue
        found = list(_undecided(carried).filter(agency=agency, pk__in=ids).select_for_update(of=("self",)))
        if len(found) != len(ids):
            raise ValidationError(_("Some items are no longer open for this unit; reload the page."))
        for item in found:
            label = str(carried.label(item))[:255]
            if to is None:
                carried.close(item)
            else:
                carried.move(item, to)
            decisions.append(
                Handover(
                    from_agency=agency,
                    to_agency=to,
                    kind=carried.kind,
                    object_id=item.pk,
                    label=label,
                    outcome=Handover.Outcome.MOVED if to else Handover.Outcome.CLOSED,
                    decided_by=actor if actor.pk else None,
                )
            )
    if wanted:
        raise ValidationError(_("Some items are no longer open for this unit; reload the page."))
    return Handover.objects.bulk_create(decisions)


def open_item_keys(agency: Agency) -> list[tuple[str, int]]:
    """The (kind, id) of every item `agency` still carries without a decision, as `decide` takes them."""
    return [
        (carried.kind, pk)
        for carried in carried_kinds()
        for pk in _undecided(carried).filter(agency=agency).order_by("pk").values_list("pk", flat=True)
    ]


def hand_over_everything(*, actor: User, agency: Agency, to: Agency | None) -> list[Handover]:
    """Every open item of `agency` to `to` (or closed with it): the bulk decision."""
    items = open_item_keys(agency)
    return decide(actor=actor, agency=agency, items=items, to=to) if items else []
