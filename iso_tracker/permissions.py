"""Who may see what and do what: the one place the app asks.

- **See**: `scope(user, path)` is the filter on the agency reached through `path` that every list,
  page and download applies (the selectors' `visible_*` querysets are built on it); `province_scope`
  does the same for rows that belong to a province (rounds, plans, annual reports, legal changes…).
- **Do**: `can(user, action, obj)` answers yes or no; `require(user, action, obj)` raises
  `PermissionDenied` with the action's message. Views, services, templates (the `can` filter of
  `{% load iso %}`) and the API all call these two, never `user.role` themselves.

Rules are django-rules predicates, composed once below. The object of a rule may be an agency, a
province, or any record that belongs to one (it has `agency_id` or `province_id`, or leads to one
through its inspection, finding, report, round, plan, process or course): `owner()` finds which.
`SYSTEM` is the app itself (management commands, the demo, background jobs): it may do everything.
"""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Province, User


class _System:
    """The app acting by itself: a management command, the demo, a background job."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    role = "system"
    province_id = agency_id = pk = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()

# Records that belong to an agency or province through another record.
_PARENTS = ("inspection", "finding", "report", "round", "plan", "process", "course", "staff")


def owner(obj: Any) -> tuple[int | None, int | None]:
    """(province id, agency id) of what `obj` belongs to; (None, None) for no object."""
    if obj is None:
        return None, None
    if isinstance(obj, Province):
        return obj.pk, None
    if isinstance(obj, Agency):
        return obj.province_id, obj.pk
    agency_id = getattr(obj, "agency_id", None)
    province_id = getattr(obj, "province_id", None)
    if agency_id is not None:
        return (province_id if province_id is not None else obj.agency.province_id), agency_id
    if province_id is not None:
        return province_id, None
    for name in _PARENTS:
        parent = getattr(obj, name, None)
        if parent is not None:
            return owner(parent)
    raise TypeError(f"no agency or province for {type(obj).__name__}")


# --- Predicates: each role rule written once ------------------------------------------------------


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


@rules.predicate
def is_system(user) -> bool:
    return user is SYSTEM


@rules.predicate
def is_site_admin(user) -> bool:
    """The site administrator: a superuser with no role in a province."""
    return _active(user) and user.is_superuser and not user.role


@rules.predicate
def is_dost(user) -> bool:
    return _active(user) and user.role == User.Role.DOST and bool(user.province_id)


@rules.predicate
def is_leadership(user) -> bool:
    return _active(user) and user.role == User.Role.LEADERSHIP and bool(user.province_id)


@rules.predicate
def is_secretary(user) -> bool:
    return _active(user) and user.role == User.Role.SECRETARY and bool(user.agency_id)


@rules.predicate
def is_ministry(user) -> bool:
    """Ministry staff: every province, read only (the province of a request is the one they look at)."""
    return _active(user) and user.role == User.Role.MINISTRY


def user_province_id(user) -> int | None:
    """The province a user works in: their own, or for a secretary their agency's."""
    if getattr(user, "province_id", None):
        return user.province_id
    return user.agency.province_id if getattr(user, "agency_id", None) else None


@rules.predicate
def of_province(user, obj) -> bool:
    """The object belongs to the user's province (no object: the user's own province)."""
    return obj is None or owner(obj)[0] == user_province_id(user)


@rules.predicate
def of_own_agency(user, obj) -> bool:
    _province_id, agency_id = owner(obj)
    return agency_id is not None and agency_id == user.agency_id


@rules.predicate
def year_finished(user, obj) -> bool:
    """The annual report's reporting period has ended: its figures no longer change with the days."""
    from django.utils import timezone

    from inspections.reports.data import period

    return obj is not None and period(obj.province, obj.year)[1] < timezone.localdate()


dost_of_province = is_dost & of_province


@rules.predicate
def looks_at_a_province(user) -> bool:
    """Ministry staff have chosen the province they look at (on the national dashboard)."""
    return bool(user.province_id)


province_reader = (is_dost | is_leadership | (is_ministry & looks_at_a_province)) & of_province
own_secretary = is_secretary & of_own_agency
anyone = is_system  # the app itself; the site administrator works in the admin, not in a province

# --- Actions: what each role may do ---------------------------------------------------------------
# name: (rule, message shown when refused)
ACTIONS: dict[str, tuple[rules.Predicate, Any]] = {
    # The province's figures, lists, dashboards, plans and reports (read only).
    "province.view": (anyone | province_reader, _("The province's figures are for DOST staff and leadership.")),
    # Every province side by side (the national dashboard), and looking at any one of them, read only.
    "national.view": (anyone | is_site_admin | is_ministry, _("The national figures are for Ministry staff.")),
    # The national report: a document of the Ministry's, made from every province's figures.
    "national.report": (anyone | is_ministry, _("The national report is made by Ministry staff.")),
    # Recording anything through the API: the roles that record (each record still asks its own rule).
    "api.write": (
        anyone | is_site_admin | is_dost | is_secretary,
        _("Leadership and Ministry staff read; they record nothing."),
    ),
    # The registry: create agencies, import, reorganise; DOST staff of the province.
    "registry.manage": (anyone | dost_of_province, _("Only DOST staff can change the registry.")),
    # An agency's data and its QMS: DOST of the province, or the agency's own secretary.
    "agency.edit": (anyone | dost_of_province | own_secretary, _("You can view this agency but not change it.")),
    # Records every agency of the province shares (legal changes): DOST or any secretary of it.
    "legal_change.add": (
        anyone | ((is_dost | is_secretary) & of_province),
        _("Only DOST staff and ISO secretaries record changes of law."),
    ),
    "training.manage": (anyone | dost_of_province, _("Only DOST staff of the province do this.")),
    # The national list of the standard's editions: read by DOST and leadership, kept by DOST staff and
    # the site administrator. A province's transitions (campaigns) are kept by its DOST.
    "editions.view": (
        anyone | is_site_admin | is_dost | is_leadership | is_ministry,
        _("The editions are for DOST staff."),
    ),
    "editions.manage": (anyone | is_site_admin | is_dost, _("Only DOST staff keep the list of editions.")),
    "campaigns.manage": (anyone | dost_of_province, _("Only DOST staff of the province do this.")),
    # Self-reports: the secretary writes and attaches evidence; DOST returns or accepts.
    "self_report.write": (anyone | own_secretary, _("Only the agency's ISO secretary writes its report.")),
    "self_report.decide": (anyone | dost_of_province, _("Only DOST staff return or accept a report.")),
    # Rounds, plans, inspections, findings' decisions, the annual report.
    "inspections.manage": (anyone | dost_of_province, _("Only DOST staff of the province do this.")),
    # A version (PDF, Excel, Word) of the annual report: DOST any time; leadership once its year is over,
    # without waiting for DOST (what it says is DOST's: the narrative, number and signer stay DOST's to write).
    "annual_report.make": (
        anyone | dost_of_province | (is_leadership & of_province & year_finished),
        _("DOST makes the report of a year still running; leadership can make one once the year is over."),
    ),
    "finding.answer": (anyone | own_secretary, _("Only the agency's ISO secretary answers its findings.")),
    "finding.decide": (anyone | dost_of_province, _("Only DOST staff of the province do this.")),
    # Provinces joining the deployment: the site administrator creates one and its first DOST account.
    "provinces.manage": (anyone | is_site_admin, _("Provinces are added by the site administrator.")),
    # A province's own details (the documents' issuing body and address): its DOST.
    "province.edit": (anyone | dost_of_province, _("Only DOST staff of the province do this.")),
    # Accounts, reminders, the audit trail.
    "accounts.manage": (anyone | dost_of_province, _("User accounts are managed by DOST staff.")),
    "reminders.manage": (anyone | dost_of_province, _("Only DOST staff manage reminders.")),
    "audit.view": (anyone | is_site_admin | dost_of_province, _("The audit trail is for DOST staff.")),
    # Where TWO_FACTOR_REQUIRED is set, these accounts cannot work without an authenticator app.
    "two_factor.required": (
        is_dost | is_leadership | is_ministry,
        _("Two-step sign-in is compulsory for DOST staff and leadership."),
    ),
    "two_factor.use": (
        is_site_admin | is_dost | is_leadership | is_ministry,
        _("Two-step sign-in is offered to DOST staff and leadership."),
    ),
}

for _name, (_rule, _message) in ACTIONS.items():
    rules.set_rule(_name, _rule)


def can(user, action: str, obj: Any = None) -> bool:
    """May `user` do `action` (on `obj`)? An unknown action is an error, not a silent no."""
    if action not in ACTIONS:
        raise KeyError(action)
    return rules.test_rule(action, user, obj)


def require(user, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(ACTIONS[action][1])


# --- What a user may see ----------------------------------------------------------------------------


def scope(user, agency_path: str = "") -> Q:
    """The rows `user` may see, as a filter on the agency reached through `agency_path` ("" for agencies)."""
    prefix = f"{agency_path}__" if agency_path else ""
    if is_system(user) or is_site_admin(user):
        return Q()
    if (is_dost | is_leadership | is_ministry)(user):
        return Q(**{f"{prefix}province_id": user.province_id})
    if is_secretary(user):
        return Q(**{f"{agency_path}_id" if agency_path else "pk": user.agency_id})
    return Q(pk__in=[])


def province_scope(user, province_path: str = "province") -> Q:
    """Rows that belong to a province (rounds, plans, reports…): DOST and leadership see their own.

    A secretary reads some of them (rounds, legal changes, courses) through their agency's province."""
    field = f"{province_path}_id" if province_path else "pk"
    if is_system(user) or is_site_admin(user):
        return Q()
    if (is_dost | is_leadership | is_secretary | is_ministry)(user):
        return Q(**{field: user_province_id(user)})
    return Q(pk__in=[])
