from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies.forms import RevisionForm, add_service_errors
from agencies.selectors import visible_agencies
from iso_tracker.permissions import can, require
from migrations_tracker.profile import profile_context

from . import selectors, services
from .forms import EvidenceForm, ReportForm, ReturnForm, RoundForm
from .models import SelfReport
from .sections import SECTIONS


@login_required
@require_http_methods(["GET", "POST"])
def round_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = RoundForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        require(user, "inspections.manage")
        if form.is_valid():
            try:
                item = services.round_open(province=user.province, actor=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The reporting round was opened; the agencies can now write their reports.")
                )
                return redirect(item)
    rounds = selectors.visible_rounds(user)
    mine = {}
    if not can(user, "province.view") and user.agency_id:
        mine = dict(SelfReport.objects.filter(agency_id=user.agency_id).values_list("round_id", "status"))
    page = Paginator(rounds, settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(r, mine.get(r.pk)) for r in page]
    return render(
        request,
        "inspections/round_list.html",
        {
            "page": page,
            "rows": rows,
            "form": form if can(user, "inspections.manage") else None,
            "statuses": dict(SelfReport.Status.choices),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_safe
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, "province.view") and request.user.agency_id:
        return redirect("inspections:report", pk, request.user.agency_id)
    reporting_round = get_object_or_404(selectors.visible_rounds(request.user), pk=pk)
    state = request.GET.get("state", "")
    rows = selectors.round_rows(request.user, reporting_round, state)
    page = Paginator(rows, settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.round_counts(request.user, reporting_round)
    return render(
        request,
        "inspections/round_detail.html",
        {
            "round": reporting_round,
            "page": page,
            "state": state,
            "query": f"state={state}" if state else "",
            "states": [(key, label, counts[key]) for key, label in selectors.STATES],
            "total": counts["total"],
            "statuses": dict(SelfReport.Status.choices),
        },
    )


def _report(request: HttpRequest, round_pk: int, agency_pk: int, *, start: bool = False) -> SelfReport:
    """The agency's report of the round. Not started yet: its secretary sees a pre-filled draft that the
    first save (`start`) writes; anyone else finds nothing."""
    reporting_round = get_object_or_404(selectors.visible_rounds(request.user), pk=round_pk)
    agency = get_object_or_404(visible_agencies(request.user), pk=agency_pk)
    existing = SelfReport.objects.select_related("round", "agency").filter(round=reporting_round, agency=agency)
    if existing:
        return existing[0]
    if not can(request.user, "self_report.write", agency) or not services.reports_in(agency, reporting_round):
        raise Http404
    if start:
        return services.report_for(reporting_round=reporting_round, agency=agency, actor=request.user)
    return services.report_draft(reporting_round=reporting_round, agency=agency)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, round_pk: int, agency_pk: int) -> HttpResponse:
    item = _report(request, round_pk, agency_pk, start=request.method == "POST")
    form = ReportForm(request.POST or None, initial={"revision": item.revision, **item.answers})
    status = 200
    if request.method == "POST":
        _require_editable(request.user, item)
        status = _save_answers(request, item, form, submit="submit" in request.POST)
        if status == 200:
            messages.success(
                request,
                _("The report was submitted to DOST.") if "submit" in request.POST else _("The draft was saved."),
            )
            return redirect(item.get_absolute_url())
    return _report_page(request, item, form, status)


def _require_editable(user, item: SelfReport) -> None:
    if not (can(user, "self_report.write", item) and item.status in services.EDITABLE):
        raise PermissionDenied(_("This report cannot be changed now."))


def _save_answers(request: HttpRequest, item: SelfReport, form: ReportForm, *, submit: bool = False) -> int:
    """Save (or submit) the typed answers; 200 when saved, else the status of the form shown again with
    the user's text and the reason."""
    if not form.is_valid():
        return 400
    action = services.report_submit if submit else services.report_save
    try:
        action(report=item, answers=form.answers(), expected_revision=form.cleaned_data["revision"], actor=request.user)
    except services.EditConflict:
        form.add_error(
            None,
            _(
                "Someone else saved this report after you opened it. Your text is still below: copy what you "
                "need, then reload the page to see their version before saving again."
            ),
        )
        return 409
    except ValidationError as exc:
        add_service_errors(form, exc)
        return 400
    return 200


def _report_page(
    request: HttpRequest, item: SelfReport, form: ReportForm, status: int, evidence_form: EvidenceForm | None = None
) -> HttpResponse:
    user = request.user
    facts = profile_context(item.agency, item.round.deadline)
    titles = {s.key: s.title for s in SECTIONS}
    sections = [(s, form[s.key], s.facts(facts)) for s in SECTIONS]
    return render(
        request,
        "inspections/report.html",
        {
            "item": item,
            "form": form,
            "sections": sections,
            "editable": can(user, "self_report.write", item) and item.status in services.EDITABLE,
            "can_decide": can(user, "self_report.decide", item.round) and item.status == SelfReport.Status.SUBMITTED,
            "return_form": ReturnForm(),
            "evidence_form": evidence_form or EvidenceForm(form_id="report-form"),
            "evidence": [(e, titles.get(e.section, "")) for e in item.evidence.select_related("document")]
            if item.pk
            else [],
        },
        status=status,
    )


@login_required
@require_POST
def report_decide(request: HttpRequest, round_pk: int, agency_pk: int) -> HttpResponse:
    item = _report(request, round_pk, agency_pk)
    require(request.user, "self_report.decide", item.round)
    read = RevisionForm(request.POST)
    if not read.is_valid():  # a decision names the revision it was made on
        messages.error(request, _("Reload the report and decide again."))
        return redirect(item.get_absolute_url())
    revision = read.cleaned_data["revision"]
    try:
        if "accept" in request.POST:
            services.report_accept(report=item, expected_revision=revision, actor=request.user)
            messages.success(request, _("The report was accepted."))
        else:
            form = ReturnForm(request.POST)
            comment = form.cleaned_data["comment"] if form.is_valid() else ""
            services.report_return(report=item, comment=comment, expected_revision=revision, actor=request.user)
            messages.success(request, _("The report was returned to the agency with your comments."))
    except services.EditConflict:
        messages.error(
            request, _("The report changed after you opened it; nothing was decided. Read it again, then decide.")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(item.get_absolute_url())


@login_required
@require_POST
def evidence_add(request: HttpRequest, round_pk: int, agency_pk: int) -> HttpResponse:
    """Attach an evidence file. The button sits in the report's form, so the answers typed so far come with
    the file and are saved first as the draft: nothing typed is lost by attaching."""
    require(request.user, "self_report.write", get_object_or_404(visible_agencies(request.user), pk=agency_pk))
    item = _report(request, round_pk, agency_pk, start=True)
    form = EvidenceForm(request.POST, request.FILES, form_id="report-form")
    if "revision" in request.POST:
        _require_editable(request.user, item)
        answers = ReportForm(request.POST, initial={"revision": item.revision, **item.answers})
        status = _save_answers(request, item, answers)
        if status != 200:
            return _report_page(request, item, answers, status, evidence_form=form)
        item.refresh_from_db()
        messages.success(request, _("The draft was saved."))
    if form.is_valid():
        try:
            services.evidence_add(
                report=item,
                upload=form.cleaned_data["evidence"],
                section=form.cleaned_data["section"],
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The evidence file was attached."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(item.get_absolute_url())
