"""Everything the QMS profile page shows about one agency, in a bounded number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.templatetags.iso import vnd

from . import selectors
from .models import Edition, LegalChange, ProcessRevision, QMSProfile, RoleAssignment, Step


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
            f"{a.decision_number} · {a.edition}",
            a.document,
        )
        for a in announcements
    ]
    events += [Event(r.date, r.get_kind_display(), r.scope or r.result, r.document) for r in reviews]
    events += [Event(m.date, str(m.step.campaign), m.step.name, m.document) for m in milestones]
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


def _transitions(campaigns, reached: dict, profile: QMSProfile) -> list[dict]:
    """The province's transitions, newest first, each with the agency's milestones (reached or not)."""
    shown = []
    for campaign in reversed(campaigns):
        steps = [(step, reached.get(step.pk)) for step in campaign.steps.all()]
        announced = any(m for step, m in steps if m and step.completed_by == Step.CompletedBy.ANNOUNCEMENT)
        shown.append(
            {"campaign": campaign, "steps": steps, "done": announced or profile.edition_id == campaign.to_edition_id}
        )
    return shown


def _amendments(agency: Agency) -> list[tuple[Edition, object]]:
    """Every amendment in force or withdrawn, with the agency's answer if it gave one."""
    checks = {c.edition_id: c for c in agency.amendment_checks.select_related("document")}
    amendments = Edition.objects.filter(amendment_of__isnull=False).exclude(status=Edition.Status.DRAFT)
    return [(edition, checks.get(edition.code)) for edition in amendments]


def profile_context(agency: Agency, on: datetime.date) -> dict:
    profile = QMSProfile.objects.filter(agency=agency).select_related(
        "policy_document", "edition"
    ).first() or QMSProfile(agency=agency)  # reading never creates one
    announcements = list(agency.announcements.select_related("document", "edition"))
    reviews = list(agency.reviews.select_related("document", "edition"))
    campaigns = selectors.province_campaigns(agency.province_id)
    milestones = {m.step_id: m for m in agency.milestones.select_related("document", "step__campaign__to_edition")}
    contracts = list(agency.consultant_contracts.select_related("document", "campaign__to_edition"))
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
        "flags": selectors.agency_flags(agency, on, campaigns),
        "announcements": announcements,
        "announcements_then": [a for a in announcements if a.decision_date <= on],
        "reviews": reviews,
        "last_audit": last_audit,
        "last_review": last_review,
        "gaps": selectors.agency_gaps(agency),
        "transitions": _transitions(campaigns, milestones, profile),
        "amendments": _amendments(agency),
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
