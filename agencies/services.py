"""Writes to the registry. Views, forms, imports and the demo loader all come through here, so that
an agency's dated versions and its current row never disagree."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from iso_tracker.concurrency import EditConflict
from iso_tracker.permissions import require

from .models import Agency, AgencyVersion, ApplicationRule, EndReason, Province, Reorganisation, User

DATED_FIELDS = ("name", "category", "parent", "locality")
CONTACT_FIELDS = (
    "address",
    "phone",
    "email",
    "website",
    "secretary_name",
    "secretary_phone",
    "secretary_email",
)


def _latest_version(agency: Agency) -> AgencyVersion:
    return agency.versions.order_by(F("valid_from").desc(nulls_last=True)).first()


def _names(agencies: Iterable[Agency]) -> str:
    return ", ".join(sorted(a.name for a in agencies))


def _does_not_exist(agency: Agency, date: datetime.date) -> str:
    return _("%(agency)s does not exist on %(date)s.") % {
        "agency": agency.name,
        "date": date_format(date, "SHORT_DATE_FORMAT"),
    }


def _validate_parent(agency: Agency, parent: Agency | None, on: datetime.date | None = None) -> None:
    if parent is None:
        return
    if parent.province_id != agency.province_id:
        raise ValidationError({"parent": _("The parent agency must be in the same province.")})
    if agency.pk and parent.pk == agency.pk:
        raise ValidationError({"parent": _("An agency cannot sit under itself.")})
    if on is not None and not parent.is_active_on(on):
        raise ValidationError({"parent": _does_not_exist(parent, on)})
    ancestor, seen = parent.parent, set()
    while ancestor is not None and ancestor.pk not in seen:
        if agency.pk and ancestor.pk == agency.pk:
            raise ValidationError(
                {"parent": _("%(parent)s sits under this agency; that would make a loop.") % {"parent": parent.name}}
            )
        seen.add(ancestor.pk)
        ancestor = ancestor.parent


@transaction.atomic
def agency_create(
    *,
    actor: User,
    province: Province,
    code: str,
    name: str,
    category: str,
    parent: Agency | None = None,
    locality: str = "",
    established_on: datetime.date | None = None,
    reorganisation: Reorganisation | None = None,
    note: str = "",
    **contacts: Any,
) -> Agency:
    require(actor, "registry.manage", province)
    unknown = set(contacts) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown agency fields: {sorted(unknown)}")
    agency = Agency(
        province=province,
        code=code.strip(),
        name=name.strip(),
        category=category,
        parent=parent,
        locality=locality.strip(),
        established_on=established_on,
        note=note.strip(),
        **contacts,
    )
    agency.full_clean()
    _validate_parent(agency, parent, established_on)
    agency.save()
    AgencyVersion.objects.create(
        agency=agency,
        valid_from=established_on,
        name=agency.name,
        category=category,
        parent=parent,
        locality=agency.locality,
        reorganisation=reorganisation,
    )
    return agency


@transaction.atomic
def agency_update(*, actor: User, agency: Agency, expected_revision: int | None = None, **fields: Any) -> Agency:
    """Correct an agency's current data in place (a typo, a new phone number).

    DOST corrects any field; the agency's secretary only its contact data. A change with a legal
    basis (a rename, a transfer) is a reorganisation instead: it opens a new dated version and keeps
    the old one."""
    unknown = set(fields) - set(DATED_FIELDS) - set(CONTACT_FIELDS) - {"code", "established_on", "note"}
    if unknown:
        raise TypeError(f"unknown agency fields: {sorted(unknown)}")
    require(actor, "agency.edit", agency)
    if set(fields) - set(CONTACT_FIELDS):
        require(actor, "registry.manage", agency)
    current = Agency.objects.select_for_update().get(pk=agency.pk)
    if expected_revision is not None and current.revision != expected_revision:
        raise EditConflict  # someone saved it after this user opened it: their change is not overwritten
    agency.revision = current.revision + 1
    for field, value in fields.items():
        setattr(agency, field, value.strip() if isinstance(value, str) else value)
    agency.full_clean()
    if "parent" in fields:
        _validate_parent(agency, agency.parent)
    agency.save()
    dated = {f: getattr(agency, f) for f in DATED_FIELDS if f in fields}
    version = _latest_version(agency)
    if "established_on" in fields:
        first = agency.versions.order_by(F("valid_from").asc(nulls_first=True)).first()
        if first.valid_to and agency.established_on and agency.established_on >= first.valid_to:
            raise ValidationError({"established_on": _("The agency cannot be established after its first change.")})
        first.valid_from = agency.established_on
        first.save(update_fields=["valid_from"])
        if first.pk == version.pk:
            version.valid_from = agency.established_on
    if dated:
        for field, value in dated.items():
            setattr(version, field, value)
        version.save()
    return agency


# Reorganisations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalBasis:
    """The decision behind a reorganisation: its number and symbol, when it was signed, when it applies."""

    decision_number: str
    decision_date: datetime.date
    effective_date: datetime.date
    note: str = ""


def _check_can_change(agencies: Sequence[Agency], effective_date: datetime.date) -> None:
    """Each agency exists on the effective date and has no change recorded on or after it."""
    for agency in agencies:
        if not agency.is_active_on(effective_date):
            raise ValidationError(_does_not_exist(agency, effective_date))
        latest = _latest_version(agency)
        if latest.valid_from and latest.valid_from >= effective_date:
            raise ValidationError(
                _("%(agency)s already has a change effective on %(date)s; record changes in date order.")
                % {"agency": agency.name, "date": date_format(latest.valid_from, "SHORT_DATE_FORMAT")}
            )


def _check_no_orphans(ending: Sequence[Agency], effective_date: datetime.date) -> None:
    ending_ids = {a.pk for a in ending}
    orphans = (
        AgencyVersion.objects.filter(parent_id__in=ending_ids)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=effective_date))
        .exclude(agency_id__in=ending_ids)
        .select_related("agency")
    )
    left = {v.agency for v in orphans}
    if left:
        raise ValidationError(
            _(
                "These units would be left under an agency that no longer exists: %(units)s. "
                "Reorganise or transfer them first, or include them in this change."
            )
            % {"units": _names(left)}
        )


def _same_province(province: Province, agencies: Iterable[Agency]) -> None:
    if any(a.province_id != province.pk for a in agencies):
        raise ValidationError(_("All agencies of a reorganisation must be in the same province."))


def _start(kind: str, province: Province, agencies: Sequence[Agency], basis: LegalBasis, actor: User) -> Reorganisation:
    """Check that `agencies` can change on the effective date, then record the reorganisation."""
    require(actor, "registry.manage", province)
    _same_province(province, agencies)
    _check_can_change(agencies, basis.effective_date)
    reorganisation = Reorganisation(
        province=province,
        kind=kind,
        decision_number=basis.decision_number.strip(),
        decision_date=basis.decision_date,
        effective_date=basis.effective_date,
        note=basis.note.strip(),
        created_by=actor if isinstance(actor, User) else None,
    )
    reorganisation.full_clean()
    reorganisation.save()
    return reorganisation


def _end(agencies: Sequence[Agency], reorganisation: Reorganisation, reason: str) -> None:
    for agency in agencies:
        version = _latest_version(agency)
        version.valid_to = reorganisation.effective_date
        version.save()
        agency.ended_on = reorganisation.effective_date
        agency.end_reason = reason
        agency.revision += 1
        agency.save()
    reorganisation.predecessors.set(agencies)


def _open_version(agency: Agency, reorganisation: Reorganisation, **changes: Any) -> Reorganisation:
    """A rename or a transfer: close the current period and open one with `changes`; same identity."""
    current = _latest_version(agency)
    current.valid_to = reorganisation.effective_date
    current.save()
    values = {f: getattr(current, f) for f in DATED_FIELDS} | changes
    AgencyVersion.objects.create(
        agency=agency, valid_from=reorganisation.effective_date, reorganisation=reorganisation, **values
    )
    for field, value in values.items():
        setattr(agency, field, value)
    agency.revision += 1
    agency.save()
    reorganisation.predecessors.set([agency])
    reorganisation.successors.set([agency])
    return reorganisation


def _create_successors(
    reorganisation: Reorganisation, new_agencies: Sequence[dict[str, Any]], actor: User
) -> list[Agency]:
    return [
        agency_create(
            actor=actor,
            province=reorganisation.province,
            established_on=reorganisation.effective_date,
            reorganisation=reorganisation,
            **data,
        )
        for data in new_agencies
    ]


@transaction.atomic
def reorganisation_merge(
    *,
    province: Province,
    predecessors: Sequence[Agency],
    into: Agency | None = None,
    new_agency: dict[str, Any] | None = None,
    basis: LegalBasis,
    actor: User,
) -> Reorganisation:
    """Merge `predecessors` into an existing agency (`into`) or into a new one (`new_agency`)."""
    if (into is None) == (new_agency is None):
        raise ValidationError(_("Choose either an existing agency to merge into, or a new agency."))
    predecessors = [a for a in predecessors if a != into]
    if len(predecessors) < (1 if into is not None else 2):
        raise ValidationError(_("A merge needs at least two agencies."))
    if into is not None:
        _same_province(province, [into])
        if not into.is_active_on(basis.effective_date):
            raise ValidationError(_does_not_exist(into, basis.effective_date))
    _check_no_orphans(predecessors, basis.effective_date)
    reorganisation = _start(Reorganisation.Kind.MERGE, province, predecessors, basis, actor)
    _end(predecessors, reorganisation, EndReason.MERGED)
    reorganisation.successors.set([into] if into else _create_successors(reorganisation, [new_agency], actor))
    return reorganisation


@transaction.atomic
def reorganisation_split(
    *,
    province: Province,
    predecessor: Agency,
    new_agencies: Sequence[dict[str, Any]],
    basis: LegalBasis,
    actor: User,
) -> Reorganisation:
    """End `predecessor` and create two or more new agencies from it."""
    if len(new_agencies) < 2:
        raise ValidationError(_("A split creates at least two agencies."))
    _check_no_orphans([predecessor], basis.effective_date)
    reorganisation = _start(Reorganisation.Kind.SPLIT, province, [predecessor], basis, actor)
    _end([predecessor], reorganisation, EndReason.SPLIT)
    reorganisation.successors.set(_create_successors(reorganisation, new_agencies, actor))
    return reorganisation


@transaction.atomic
def reorganisation_rename(
    *, province: Province, agency: Agency, new_name: str, basis: LegalBasis, actor: User
) -> Reorganisation:
    new_name = new_name.strip()
    if not new_name or new_name == agency.name:
        raise ValidationError({"new_name": _("Enter the new name; it must differ from the current one.")})
    reorganisation = _start(Reorganisation.Kind.RENAME, province, [agency], basis, actor)
    return _open_version(agency, reorganisation, name=new_name)


@transaction.atomic
def reorganisation_transfer(
    *, province: Province, agency: Agency, new_parent: Agency | None, basis: LegalBasis, actor: User
) -> Reorganisation:
    if new_parent == agency.parent:
        raise ValidationError({"new_parent": _("The agency already sits under that parent.")})
    _validate_parent(agency, new_parent, basis.effective_date)
    reorganisation = _start(Reorganisation.Kind.TRANSFER, province, [agency], basis, actor)
    return _open_version(agency, reorganisation, parent=new_parent)


@transaction.atomic
def reorganisation_dissolve(
    *, province: Province, agencies: Sequence[Agency], basis: LegalBasis, actor: User
) -> Reorganisation:
    """Dissolve one or more agencies by one decision (e.g. the abolition of the district level)."""
    agencies = list(agencies)
    if not agencies:
        raise ValidationError(_("Choose at least one agency to dissolve."))
    _check_no_orphans(agencies, basis.effective_date)
    reorganisation = _start(Reorganisation.Kind.DISSOLUTION, province, agencies, basis, actor)
    _end(agencies, reorganisation, EndReason.DISSOLVED)
    return reorganisation


# --- Who must apply ----------------------------------------------------------------------------------


def _rules_changed(province_id: int) -> None:
    from migrations_tracker.snapshots import forget  # the dashboard's saved figures split by the rules

    forget(province_id)


@transaction.atomic
def application_rule_add(*, actor: User, province: Province, **fields: Any) -> ApplicationRule:
    """From `valid_from`, `category` is mandatory or encouraged in `province` (until its next rule)."""
    require(actor, "registry.manage", province)
    rule = ApplicationRule(province=province, created_by=actor if actor.pk else None, **fields)
    rule.full_clean()
    rule.save()
    transaction.on_commit(lambda: _rules_changed(province.pk))
    return rule


@transaction.atomic
def application_rule_delete(*, actor: User, rule: ApplicationRule) -> None:
    """A rule recorded by mistake: the one before it (or Decision 19/2014) holds again."""
    require(actor, "registry.manage", rule)
    province_id = rule.province_id
    rule.delete()
    transaction.on_commit(lambda: _rules_changed(province_id))
