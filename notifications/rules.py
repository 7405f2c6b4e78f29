"""What falls due on a day: every reminder as (kind, key, recipient, title, lines, url).

The key names the subject and the stage ("due in 7 days" is a stage), so a reminder is claimed once
however often the sweep runs; stages are windows, not exact days, so a sweep that missed days still
sends the current stage once. Everything is read in a fixed number of queries per province."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from dateutil.relativedelta import relativedelta
from django.conf import settings as django_settings
from django.db.models import Max
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agencies.models import AgencyVersion, Province, User
from agencies.selectors import existing_on
from inspections.models import CorrectiveAction, Finding, ReportingRound, SelfReport
from migrations_tracker import selectors as qms
from migrations_tracker.models import Milestone, ProcessRevision, QMSProfile, Review

from .models import DigestOptOut, Kind, ReminderSettings

OVERDUE_REMINDER_DAYS = 30  # how long after a deadline an "overdue" reminder is still worth sending


@dataclass
class Candidate:
    kind: str
    key: str
    recipient_id: int
    title: str
    lines: list[str] = field(default_factory=list)
    url: str = ""


def _d(value: datetime.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _stage(days_left: int, leads: list[int]) -> int | None:
    """The reminder stage for `days_left` days before a deadline: the smallest lead time not below it."""
    fitting = [n for n in leads if n >= days_left]
    return min(fitting) if fitting and days_left >= 0 else None


class Context:
    """Who receives what in one province, fetched once."""

    def __init__(self, province: Province, on: datetime.date):
        self.province, self.on = province, on
        users = User.objects.filter(province=province, is_active=True).values_list("pk", "role", "agency_id")
        self.secretaries: dict[int, list[int]] = defaultdict(list)
        self.dost, self.leaders = [], []
        for pk, role, agency_id in users:
            if role == User.Role.SECRETARY and agency_id:
                self.secretaries[agency_id].append(pk)
            elif role == User.Role.DOST:
                self.dost.append(pk)
            elif role == User.Role.LEADERSHIP:
                self.leaders.append(pk)
        self.opted_out = set(DigestOptOut.objects.filter(user__province=province).values_list("user_id", flat=True))
        self.rows = existing_on(AgencyVersion.objects.filter(agency__province=province), on)
        self.names = dict(self.rows.values_list("agency_id", "name"))

    @cached_property
    def campaigns(self) -> list:
        """The province's transitions opened by the day (read once for the rules and the digests)."""
        return qms.opened_by(qms.province_campaigns(self.province.pk), self.on)

    @cached_property
    def flags(self) -> list:
        """The fixed flags and those of the province's transitions opened by the day."""
        return qms.flags_for(self.campaigns)


def _self_reports(ctx: Context, settings: ReminderSettings) -> Iterator[Candidate]:
    on = ctx.on
    rounds = ReportingRound.objects.filter(
        province=ctx.province, opened_on__lte=on, deadline__gte=on - datetime.timedelta(days=OVERDUE_REMINDER_DAYS)
    )
    for reporting_round in rounds:
        url = reverse("inspections:rounds")
        reports = {r.agency_id: r for r in SelfReport.objects.filter(round=reporting_round)}
        agencies = existing_on(AgencyVersion.objects.filter(agency__province=ctx.province), reporting_round.deadline)
        days_left = (reporting_round.deadline - on).days
        stage = _stage(days_left, settings.report_days)
        for agency_id, name in agencies.values_list("agency_id", "name"):
            report = reports.get(agency_id)
            if report is not None and report.status in (SelfReport.Status.SUBMITTED, SelfReport.Status.ACCEPTED):
                continue
            base = f"round:{reporting_round.pk}:agency:{agency_id}"
            deadline = _d(reporting_round.deadline)
            for user in ctx.secretaries.get(agency_id, []):
                if days_left >= 0:
                    yield Candidate(
                        Kind.REPORT_OPENED,
                        base,
                        user,
                        _("The %(year)s self-report round is open") % {"year": reporting_round.year},
                        [_("%(agency)s: please submit the report by %(date)s.") % {"agency": name, "date": deadline}],
                        url,
                    )
                if stage is not None:
                    yield Candidate(
                        Kind.REPORT_DUE,
                        f"{base}:d{stage}",
                        user,
                        _("Self-report due in %(n)s days (%(date)s)") % {"n": days_left, "date": deadline},
                        [
                            _("%(agency)s has not submitted its %(year)s report yet.")
                            % {"agency": name, "year": reporting_round.year}
                        ],
                        url,
                    )
                if days_left < 0:
                    yield Candidate(
                        Kind.REPORT_OVERDUE,
                        base,
                        user,
                        _("Self-report overdue since %(date)s") % {"date": deadline},
                        [
                            _("%(agency)s has not submitted its %(year)s report.")
                            % {"agency": name, "year": reporting_round.year}
                        ],
                        url,
                    )
                if report is not None and report.status == SelfReport.Status.RETURNED and report.decided_at:
                    yield Candidate(
                        Kind.REPORT_RETURNED,
                        f"report:{report.pk}:{report.decided_at:%Y%m%d%H%M%S}",
                        user,
                        _("Your %(year)s self-report was returned for revision") % {"year": reporting_round.year},
                        [report.dost_comment],
                        report.get_absolute_url(),
                    )


def _findings(ctx: Context, settings: ReminderSettings) -> Iterator[Candidate]:
    on = ctx.on
    findings = Finding.objects.filter(
        agency_id__in=ctx.rows.values("agency_id"),
        due_on__isnull=False,
        status__in=[Finding.Status.OPEN, Finding.Status.REJECTED],
        due_on__gte=on - datetime.timedelta(days=OVERDUE_REMINDER_DAYS),
    ).values_list("pk", "agency_id", "due_on", "description")
    for pk, agency_id, due_on, description in findings:
        url = reverse("inspections:finding", args=[pk])
        days_left = (due_on - on).days
        stage = _stage(days_left, settings.action_days)
        for user in ctx.secretaries.get(agency_id, []):
            if stage is not None:
                yield Candidate(
                    Kind.ACTION_DUE,
                    f"finding:{pk}:d{stage}",
                    user,
                    _("Corrective action due in %(n)s days (%(date)s)") % {"n": days_left, "date": _d(due_on)},
                    [description],
                    url,
                )
            elif days_left < 0:
                yield Candidate(
                    Kind.ACTION_OVERDUE,
                    f"finding:{pk}",
                    user,
                    _("Corrective action overdue since %(date)s") % {"date": _d(due_on)},
                    [description],
                    url,
                )
    rejected = CorrectiveAction.objects.filter(
        decision=CorrectiveAction.Decision.REJECTED,
        finding__agency_id__in=ctx.rows.values("agency_id"),
        decided_at__date__gte=on - datetime.timedelta(days=OVERDUE_REMINDER_DAYS),
    ).values_list("pk", "finding_id", "finding__agency_id", "reason")
    for pk, finding_id, agency_id, reason in rejected:
        for user in ctx.secretaries.get(agency_id, []):
            yield Candidate(
                Kind.ACTION_REJECTED,
                f"action:{pk}",
                user,
                _("DOST did not accept a corrective action"),
                [reason],
                reverse("inspections:finding", args=[finding_id]),
            )


def _qms(ctx: Context, settings: ReminderSettings) -> Iterator[Candidate]:
    on = ctx.on
    eleven_months_ago = on - relativedelta(months=11)
    for kind_label, kind in (
        (_("internal audit"), Review.Kind.INTERNAL_AUDIT),
        (_("management review"), Review.Kind.MANAGEMENT_REVIEW),
    ):
        last = dict(
            Review.objects.filter(agency_id__in=ctx.rows.values("agency_id"), kind=kind, date__lte=on)
            .values("agency_id")
            .annotate(last=Max("date"))
            .values_list("agency_id", "last")
        )
        for agency_id, name in ctx.names.items():
            held = last.get(agency_id)
            if held is not None and held > eleven_months_ago:
                continue
            for user in ctx.secretaries.get(agency_id, []):
                yield Candidate(
                    Kind.AUDIT_DUE,
                    f"{kind}:{agency_id}:{held or 'none'}",
                    user,
                    _("Time for the yearly %(what)s") % {"what": kind_label},
                    [
                        _("%(agency)s: the last one was on %(date)s.") % {"agency": name, "date": _d(held)}
                        if held
                        else _("%(agency)s: none recorded.") % {"agency": name}
                    ],
                    reverse("qms:profile", args=[agency_id]),
                )
    near = on + datetime.timedelta(days=settings.revision_lead_days)
    revisions = ProcessRevision.objects.filter(
        process__agency_id__in=ctx.rows.values("agency_id"),
        revised_on__isnull=True,
        legal_change__revision_due_on__lte=near,
        legal_change__revision_due_on__gte=on - datetime.timedelta(days=OVERDUE_REMINDER_DAYS),
    ).values_list("pk", "process__agency_id", "process__code", "legal_change__number", "legal_change__revision_due_on")
    for pk, agency_id, code, number, due in revisions:
        stage = "past" if due < on else "near"
        for user in ctx.secretaries.get(agency_id, []):
            yield Candidate(
                Kind.REVISION_DUE,
                f"revision:{pk}:{stage}",
                user,
                (
                    _("Process %(code)s: revision for %(law)s overdue since %(date)s")
                    if stage == "past"
                    else _("Process %(code)s: revise it for %(law)s by %(date)s")
                )
                % {"code": code, "law": number, "date": _d(due)},
                [],
                reverse("qms:profile", args=[agency_id]),
            )
    flagged = set(
        qms.flagged(ctx.rows, qms.FLAGS_BY_KEY["scope_not_reannounced"], on).values_list("agency_id", flat=True)
    )
    changed = dict(QMSProfile.objects.filter(agency_id__in=flagged).values_list("agency_id", "scope_changed_on"))
    for agency_id in flagged:
        for user in ctx.secretaries.get(agency_id, []):
            yield Candidate(
                Kind.REANNOUNCE,
                f"scope:{agency_id}:{changed.get(agency_id)}",
                user,
                _("The scope changed: announce the QMS again"),
                [
                    _("%(agency)s changed its scope on %(date)s.")
                    % {"agency": ctx.names[agency_id], "date": _d(changed[agency_id])}
                ],
                reverse("qms:profile", args=[agency_id]),
            )


TRANSITION_LEADS = [180, 90, 30]  # days before a transition's deadline when agencies behind are reminded


def _transitions(ctx: Context, settings: ReminderSettings) -> Iterator[Candidate]:
    """Each agency still on a transition's former edition, 180, 90 and 30 days before its deadline and
    once after it: the milestones it has not reached yet."""
    on = ctx.on
    for campaign in ctx.campaigns:
        days_left = (campaign.deadline - on).days
        stage = "past" if days_left < 0 else _stage(days_left, TRANSITION_LEADS)
        if stage is None:
            continue
        sources = [e.code for e in campaign.from_editions.all()]
        behind = set(
            qms.with_version(ctx.rows.order_by(), on)
            .filter(version_then__in=sources)
            .values_list("agency_id", flat=True)
        )
        steps = list(campaign.steps.all())
        reached = defaultdict(set)
        for agency_id, step_id in Milestone.objects.filter(
            step__campaign=campaign, agency_id__in=behind, date__lte=on
        ).values_list("agency_id", "step_id"):
            reached[agency_id].add(step_id)
        for agency_id in behind:
            left = [step.name for step in steps if step.pk not in reached[agency_id]]
            for user in ctx.secretaries.get(agency_id, []):
                yield Candidate(
                    Kind.TRANSITION_DUE,
                    f"transition:{campaign.pk}:{agency_id}:{stage}",
                    user,
                    (
                        _("%(transition)s: the deadline of %(date)s has passed")
                        if stage == "past"
                        else _("%(transition)s: deadline %(date)s")
                    )
                    % {"transition": campaign, "date": _d(campaign.deadline)},
                    [
                        _("%(agency)s is still on %(editions)s.")
                        % {
                            "agency": ctx.names[agency_id],
                            "editions": ", ".join(map(str, campaign.from_editions.all())),
                        },
                        *([_("Milestones not reached yet:"), *left] if left else []),
                    ],
                    reverse("qms:profile", args=[agency_id]),
                )


def _behind(ctx: Context) -> tuple[dict[str, int], int, list[str]]:
    """The flag counts, the overdue corrective actions, and the agencies most behind, each with a link."""
    on = ctx.on
    flags = ctx.flags
    flagged = {flag.key: set(qms.flagged(ctx.rows, flag, on).values_list("agency_id", flat=True)) for flag in flags}
    overdue_by_agency: dict[int, int] = defaultdict(int)
    for agency_id in Finding.objects.filter(
        agency_id__in=ctx.rows.values("agency_id"),
        due_on__lt=on,
        status__in=[Finding.Status.OPEN, Finding.Status.REJECTED],
    ).values_list("agency_id", flat=True):
        overdue_by_agency[agency_id] += 1
    score: dict[int, int] = defaultdict(int)
    for ids in flagged.values():
        for agency_id in ids:
            score[agency_id] += 1
    for agency_id, n in overdue_by_agency.items():
        score[agency_id] += 2 * n
    site = django_settings.SITE_URL.rstrip("/")
    worst = sorted(score.items(), key=lambda item: (-item[1], ctx.names.get(item[0], "")))[:10]
    lines = []
    for agency_id, _points in worst:
        problems = [str(flag.label) for flag in qms.FLAGS if agency_id in flagged[flag.key]]
        if overdue_by_agency.get(agency_id):
            problems.insert(0, _("%(n)s corrective actions overdue") % {"n": overdue_by_agency[agency_id]})
        lines.append(
            f"{ctx.names.get(agency_id, agency_id)}: {'; '.join(problems)} — "
            f"{site}{reverse('qms:profile', args=[agency_id])}"
        )
    return {key: len(ids) for key, ids in flagged.items()}, sum(overdue_by_agency.values()), lines


def _digests(ctx: Context, settings: ReminderSettings) -> Iterator[Candidate]:
    on = ctx.on
    counts, overdue, worst = _behind(ctx)
    summary = [
        _("%(n)s agencies apply a QMS.") % {"n": len(ctx.names)},
        _("%(n)s corrective actions are overdue.") % {"n": overdue},
    ]
    summary += [f"{flag.label}: {counts[flag.key]}" for flag in ctx.flags if counts[flag.key]]
    lines = [*summary, _("The agencies most behind:"), *worst]
    week = on.isocalendar()
    chosen = list(settings.digest_recipients.values_list("pk", flat=True)) or ctx.dost
    for user in chosen:
        if user not in ctx.opted_out:
            yield Candidate(
                Kind.WEEKLY_DIGEST,
                f"week:{week.year}-{week.week:02d}",
                user,
                _("Weekly digest, week %(week)s") % {"week": week.week},
                lines,
                reverse("qms:dashboard"),
            )
    for user in ctx.leaders:
        if user not in ctx.opted_out:
            yield Candidate(
                Kind.MONTHLY_SUMMARY,
                f"month:{on:%Y-%m}",
                user,
                _("Monthly summary, %(month)s") % {"month": f"{on:%m/%Y}"},
                lines,
                reverse("qms:dashboard"),
            )


RULES = [_self_reports, _findings, _qms, _transitions, _digests]


def candidates(province: Province, on: datetime.date, settings: ReminderSettings) -> Iterator[Candidate]:
    ctx = Context(province, on)
    enabled = set(settings.enabled)
    for rule in RULES:
        for candidate in rule(ctx, settings):
            if candidate.kind in enabled:
                yield candidate
