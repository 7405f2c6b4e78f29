"""The sections of an agency's self-report: the content DOST checks (Circular 26/2014/TT-BKHCN, art. 36),
each with the facts the app already knows about the agency, shown beside it and used to pre-fill it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.templatetags.iso import vnd


def _d(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _scope(c: dict) -> list[str]:
    g = c["gaps"]
    return [
        _("%(p)s administrative procedures, %(u)s covered by no process; %(q)s processes, %(o)s tied to no procedure.")
        % {"p": len(g["procedures"]), "u": len(g["uncovered"]), "q": len(g["processes"]), "o": len(g["orphans"])}
    ]


def _staff(c: dict) -> list[str]:
    return [f"{r.get_role_display()}: {r.staff.full_name} ({_('from')} {_d(r.start_date)})" for r in c["current_roles"]]


def _compliance(c: dict) -> list[str]:
    p = c["profile"]
    lines = [
        _("Standard applied: %(v)s; stage: %(s)s.") % {"v": p.edition or _("None yet"), "s": p.get_stage_display()}
    ]
    if not p.quality_policy:
        lines.append(_("No quality policy recorded."))
    for t in c["transitions"]:
        if t["campaign"].opened_on <= c["today"] and t["steps"]:
            lines.append(
                _("%(transition)s (deadline %(deadline)s): %(n)s of %(m)s milestones reached.")
                % {
                    "transition": t["campaign"],
                    "deadline": _d(t["campaign"].deadline),
                    "n": sum(1 for _step, m in t["steps"] if m and m.date <= c["today"]),
                    "m": len(t["steps"]),
                }
            )
    for edition, check in c["amendments"]:
        answer = (
            (_("yes") if check.considered else _("no")) + f" ({_d(check.checked_on)})" if check else _("not recorded")
        )
        lines.append(f"{edition} — {edition.check_question}: {answer}")
    return lines


def _processes(c: dict) -> list[str]:
    return [_("%(n)s QMS processes recorded.") % {"n": len(c["gaps"]["processes"])}]


def _audits(c: dict) -> list[str]:
    audit, review = c["last_audit"], c["last_review"]
    return [
        _("Last internal audit: %(date)s.") % {"date": _d(audit.date if audit else None)},
        _("Last management review: %(date)s.") % {"date": _d(review.date if review else None)},
    ]


def _leadership(c: dict) -> list[str]:
    review = c["last_review"]
    return [_("Last management review: %(date)s.") % {"date": _d(review.date if review else None)}]


def _announcement(c: dict) -> list[str]:
    if not c["announcements_then"]:
        return [_("No announcement recorded.")]
    a = c["announcements_then"][0]
    return [
        _("Latest announcement %(number)s of %(date)s (%(version)s); DOST notified %(notified)s.")
        % {
            "number": a.decision_number,
            "date": _d(a.decision_date),
            "version": a.edition,
            "notified": _d(a.dost_notified_on),
        }
    ]


def _legal(c: dict) -> list[str]:
    pending = [r for r in c["revisions"] if not r.revised_on]
    return [
        _("%(n)s processes affected by changed laws; %(p)s not yet revised.")
        % {"n": len(c["revisions"]), "p": len(pending)}
    ]


def _reannouncement(c: dict) -> list[str]:
    changed = c["profile"].scope_changed_on
    return [_("Scope last changed on %(date)s.") % {"date": _d(changed)}] if changed else []


def _consultant(c: dict) -> list[str]:
    return [f"{x.consultant} · {_d(x.signed_on)} · {vnd(x.value_vnd)}" for x in c["contracts"]]


def _none(c: dict) -> list[str]:
    return []


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise
    question: Promise
    facts: Callable[[dict], list[str]]


SECTIONS = [
    Section(
        "scope",
        gettext_lazy("Scope"),
        gettext_lazy("Does the QMS cover every administrative procedure the agency serves?"),
        _scope,
    ),
    Section(
        "staff",
        gettext_lazy("Staff briefed and trained"),
        gettext_lazy("How were leaders and staff briefed on the QMS; who holds the QMS roles?"),
        _staff,
    ),
    Section(
        "compliance",
        gettext_lazy("Compliance with the standard"),
        gettext_lazy("Are the standard, the quality policy and objectives, and the processes followed?"),
        _compliance,
    ),
    Section(
        "processes",
        gettext_lazy("Processes in practice"),
        gettext_lazy("Are the processes actually run, with records kept?"),
        _processes,
    ),
    Section(
        "audits",
        gettext_lazy("Internal audit, management review, corrective actions"),
        gettext_lazy("When were they held, what did they find, what was corrected?"),
        _audits,
    ),
    Section(
        "complaints",
        gettext_lazy("Complaints"),
        gettext_lazy("How were complaints and feedback from citizens and businesses handled?"),
        _none,
    ),
    Section("improvement", gettext_lazy("Improvements"), gettext_lazy("What was improved this year?"), _none),
    Section(
        "leadership",
        gettext_lazy("Leadership and the head's confirmation"),
        gettext_lazy("How were leaders involved; has the head confirmed the QMS is effective?"),
        _leadership,
    ),
    Section(
        "announcement",
        gettext_lazy("Announcement"),
        gettext_lazy("Was conformity announced, DOST notified, the announcement posted at the office and online?"),
        _announcement,
    ),
    Section(
        "legal",
        gettext_lazy("Changes of law"),
        gettext_lazy("Were changed legal documents folded into the processes within 3 months?"),
        _legal,
    ),
    Section(
        "reannouncement",
        gettext_lazy("Re-announcement"),
        gettext_lazy("If the scope changed, was the QMS announced again?"),
        _reannouncement,
    ),
    Section(
        "consultant",
        gettext_lazy("Consultant"),
        gettext_lazy("If a consultant was hired, how was it selected?"),
        _consultant,
    ),
]
SECTION_KEYS = [s.key for s in SECTIONS]
