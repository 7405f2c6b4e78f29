"""Everything the QMS profile page shows about one agency, in a bounded number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.templatetags.iso import vnd

from . import selectors
from .models import LegalChange, Milestone, ProcessRevision, QMSProfile, RoleAssignment


@dataclass
class Event:
    date: datetime.date
    kind: str
    text: str
    document: object = None


def _timeline(announcements, reviews, milestones, contracts, roles, attendances, revisions) -> list[Event]:
    events = [
        Event(
            a.decision_date,
            _("Re-announcement") if a.is_reannouncement else _("Announcement"),
            f"{a.decision_number} · {a.get_version_display()}",
            a.document,
        )
        for a in announcements
    ]
    events += [Event(r.date, r.get_kind_display(), r.scope or r.result, r.document) for r in reviews]
    events += [Event(m.date, _("Transition"), m.get_kind_display(), m.document) for m in milestones]
    events += [
        Event(c.signed_on, _("Consultant contract"), f"{c.consultant} · {vnd(c.value_vnd)}", c.document)
        for c in contracts
    ]
    for role in roles:
        events.append(Event(role.start_date, _("Takes a QMS role"), f"{role.staff} · {role.get_role_display()}"))
        if role.end_date:
            events.append(Event(role.end_date, _("Leaves a QMS role"), f"{role.staff} · {role.get_role_display()}"))
    events += [
        Event(a.course.end_date, _("Training"), f"{a.staff} · {a.course.title}", a.document) for a in attendances
    ]
    events += [
        Event(r.revised_on, _("Process revised"), f"{r.process.code} · {r.legal_change.number}")
        for r in revisions
        if r.revised_on
    ]
    return sorted(events, key=lambda e: e.date, reverse=True)


def profile_context(agency: Agency, on: datetime.date) -> dict:
    profile = QMSProfile.objects.filter(agency=agency).select_related("policy_document").first() or QMSProfile(
        agency=agency
    )  # reading never creates one
    announcements = list(agency.announcements.select_related("document"))
    reviews = list(agency.reviews.select_related("document"))
    milestones = {m.kind: m for m in agency.milestones.select_related("document")}
    contracts = list(agency.consultant_contracts.select_related("document"))
    roles = list(RoleAssignment.objects.filter(staff__agency=agency).select_related("staff"))
    staff = list(agency.qms_staff.prefetch_related("attendances__course", "attendances__document"))
    attendances = [a for person in staff for a in person.attendances.all()]
    revisions = list(
        ProcessRevision.objects.filter(process__agency=agency)
        .select_related("legal_change", "process")
        .order_by("legal_change__revision_due_on")
    )
    spent = sum(c.value_vnd for c in contracts)
    cap = settings.CONSULTING_CAPS_VND.get(agency.category)
    last_audit = next((r for r in reviews if r.kind == "audit" and r.date <= on), None)
    last_review = next((r for r in reviews if r.kind == "review" and r.date <= on), None)
    current_roles = [r for r in roles if r.start_date <= on and (r.end_date is None or r.end_date >= on)]
    return {
        "agency": agency,
        "profile": profile,
        "flags": selectors.agency_flags(agency, on),
        "announcements": announcements,
        "announcements_then": [a for a in announcements if a.decision_date <= on],
        "reviews": reviews,
        "last_audit": last_audit,
        "last_review": last_review,
        "gaps": selectors.agency_gaps(agency),
        "milestones": [(kind, label, milestones.get(kind)) for kind, label in Milestone.Kind.choices],
        "transition_done": Milestone.Kind.REANNOUNCED in milestones or profile.version == "2015",
        "contracts": contracts,
        "spent": spent,
        "cap": cap,
        "over_cap": cap is not None and spent > cap,
        "staff": staff,
        "roles": roles,
        "current_roles": current_roles,
        "revisions": revisions,
        "open_legal_changes": LegalChange.objects.filter(province=agency.province, effective_date__lte=on).exclude(
            revision_due_on__lt=on - datetime.timedelta(days=3 * 365)
        )[:10],
        "timeline": _timeline(announcements, reviews, milestones.values(), contracts, roles, attendances, revisions),
        "today": on,
    }
