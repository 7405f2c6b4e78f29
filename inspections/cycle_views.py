"""Views of the inspection cycle: the plan, inspections, findings and their follow-up."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies import stamps
from agencies.forms import RevisionForm, add_service_errors
from agencies.models import Agency
from agencies.selectors import visible_agencies
from iso_tracker.concurrency import CONFLICT_MESSAGE, EditConflict
from iso_tracker.pagination import PageByIds, paginate
from iso_tracker.permissions import can, require

from . import documents, risk, selectors, services, signatures
from .forms import (
    ANY,
    NOT_CONCLUDED,
    UNCLOSED,
    ActionForm,
    AdHocForm,
    ChecklistForm,
    ConclusionForm,
    DecideForm,
    EvidenceForm,
    FindingFilterForm,
    FindingForm,
    InspectionFilterForm,
    PlanEntryForm,
    PlanForm,
    RecheckForm,
    StartForm,
)
from .models import CorrectiveAction, Finding, Inspection, Mode, PlanEntry, SignedPdf
from .reports import services as report_services
from .reports.views import QUEUE_DOWN
from .sections import SECTIONS

FINDING_CHANGED = gettext_lazy(
    "The finding changed after you opened it; nothing was decided. Read it again, then decide."
)


@login_required
@require_http_methods(["GET", "POST"])
def plan_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "province.view")
    form = PlanForm(request.POST or None, initial={"year": timezone.localdate().year, "on": timezone.localdate()})
    if request.method == "POST":
        require(request.user, "inspections.manage")
        if form.is_valid():
            try:
                plan = services.plan_propose(province=request.user.province, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The plan was drafted from the risk scores; review the proposal."))
                return redirect(plan)
    plans = selectors.visible_plans(request.user)
    return render(
        request,
        "inspections/plan_list.html",
        {
            "plans": plans,
            "form": form if can(request.user, "inspections.manage") else None,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_safe
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "province.view")
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=pk)
    entries = plan.entries.select_related("agency", "inspection").filter(agency__in=visible_agencies(request.user))
    mode = request.GET.get("mode", "")
    if mode in Mode.values:
        entries = entries.filter(mode=mode)
    page = Paginator(entries, settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    day = selectors.plan_day(plan)
    page.object_list = selectors.with_names_then(page.object_list, lambda entry: day)
    counts = {m: plan.entries.filter(mode=m).count() for m in Mode.values}
    files = list(plan.files.all()[:5])  # the Mẫu 19 made in the background (large plans)
    return render(
        request,
        "inspections/plan_detail.html",
        {
            "plan": plan,
            "page": page,
            "counts": counts,
            "total": sum(counts.values()),
            "mode": mode,
            "shortfall": services.onsite_shortfall(plan),
            "reasons": risk.REASONS,
            "query": f"mode={mode}" if mode else "",
            "can_edit": can(request.user, "inspections.manage"),
            "large": report_services.plan_is_large(plan),
            "files": files,
            "in_progress": any(f.status in (f.Status.QUEUED, f.Status.RUNNING) for f in files),
            "signed_panel": signatures.panel(SignedPdf.Kind.PLAN, plan.pk, plan=plan),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "inspections.manage")
    entry = get_object_or_404(PlanEntry.objects.filter(plan__in=selectors.visible_plans(request.user)), pk=pk)
    form = PlanEntryForm(request.POST or None, instance=PlanEntry.objects.get(pk=entry.pk))
    status = 200
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PlanEntryForm.Meta.fields}
        try:
            services.plan_entry_update(
                entry=entry, actor=request.user, expected_revision=form.cleaned_data["revision"], **fields
            )
        except EditConflict:
            status = 409
            form.add_error(None, CONFLICT_MESSAGE)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect(entry.plan)
    if form.is_bound and form.errors and status == 200:
        status = 400
    return render(
        request,
        "inspections/form.html",
        {
            "form": form,
            "title": f"{entry.agency.name} · {entry.plan}",
            "back": entry.plan.get_absolute_url(),
            "entry": entry,
            "reasons": risk.REASONS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_start(request: HttpRequest, entry_pk: int) -> HttpResponse:
    require(request.user, "inspections.manage")
    entry = get_object_or_404(PlanEntry.objects.filter(plan__in=selectors.visible_plans(request.user)), pk=entry_pk)
    form = StartForm(
        request.POST or None, initial={"start_date": entry.planned_date or timezone.localdate(), "team": entry.team}
    )
    if request.method == "POST" and form.is_valid():
        inspection = services.inspection_start(
            agency=entry.agency, mode=entry.mode, entry=entry, actor=request.user, **form.cleaned_data
        )
        return redirect(inspection)
    return render(
        request,
        "inspections/form.html",
        {
            "form": form,
            "title": _("Start the inspection of %(agency)s") % {"agency": entry.agency.name},
            "back": entry.plan.get_absolute_url(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = InspectionFilterForm(request.GET)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    if filters.errors:
        messages.error(request, _("Some filters were not understood and were left out."))
    year = criteria.get("year") or timezone.localdate().year
    inspections = selectors.visible_inspections(user).select_related("agency")
    agency = _filtered_agency(user, criteria)
    if agency is not None:  # one agency's inspections: every year unless one is asked for, newest first
        inspections = inspections.filter(agency_id=agency.pk).order_by("-start_date")
    if agency is None or criteria.get("year"):
        inspections = inspections.filter(year=year)
    if criteria.get("mode"):
        inspections = inspections.filter(mode=criteria["mode"])
    if criteria.get("conclusion"):
        inspections = inspections.filter(
            conclusion="" if criteria["conclusion"] == NOT_CONCLUDED else criteria["conclusion"]
        )
    form = AdHocForm(request.POST or None, agencies=visible_agencies(user).filter(ended_on__isnull=True))
    if request.method == "POST":
        require(request.user, "inspections.manage")
        if form.is_valid():
            data = form.cleaned_data
            inspection = services.inspection_start(agency=data.pop("agency"), actor=user, **data)
            return redirect(inspection)
    # The ids in order are read once per version of the data (the agency's name is part of the order), so
    # a page of a national-size year is fifty rows by id.
    key = f"inspection-ids:{stamps.scope_key(user)}:{year}:{sorted(criteria.items())}:{agency.pk if agency else ''}"
    ids = stamps.cached(
        (stamps.REGISTRY, stamps.INSPECTIONS), key, lambda: list(inspections.values_list("pk", flat=True))
    )
    page, query = paginate(request, PageByIds(inspections, ids))
    page.object_list = selectors.with_names_then(page.object_list, lambda inspection: inspection.start_date)
    return render(
        request,
        "inspections/inspection_list.html",
        {
            "page": page,
            "year": year,
            "query": query,
            "agency": agency,
            "modes": Mode.choices,
            "conclusions": Inspection.Conclusion.choices,
            "figures": selectors.year_figures(user, year) if can(user, "province.view") and agency is None else None,
            "form": form if can(user, "inspections.manage") else None,
        },
        status=400 if filters.errors or (form.is_bound and form.errors) else 200,
    )


def _filtered_agency(user, criteria: dict):
    """The agency a list is narrowed to (?agency=<id>), among those the user may see; an id of any other
    narrows it to nothing, so nothing of that agency shows."""
    if not criteria.get("agency"):
        return None
    return visible_agencies(user).filter(pk=criteria["agency"]).first() or Agency(pk=0, name="—")


def _inspection(request: HttpRequest, pk: int) -> Inspection:
    return get_object_or_404(selectors.visible_inspections(request.user).select_related("agency", "self_report"), pk=pk)


@transaction.atomic
def _add_finding(request: HttpRequest, inspection, checks, checklist: ChecklistForm | None, finding_form) -> None:
    """The finding, and the checklist answers sent with it where they changed (both or neither)."""
    if checklist is not None:
        if not checklist.is_valid():
            raise ValidationError(_("Check the form below."))
        results = checklist.results()
        if any(results.get(c.item, (c.result, c.note)) != (c.result, c.note) for c in checks):
            services.checks_record(
                inspection=inspection,
                results=results,
                expected_revision=checklist.cleaned_data["revision"],
                actor=request.user,
            )
    services.finding_add(inspection=inspection, actor=request.user, **finding_form.cleaned_data)


@login_required
@require_http_methods(["GET", "POST"])
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection(request, pk)
    checks = list(inspection.checks.all())
    # The finding's fields and button belong to the checklist's form (inspection_detail.html): adding a
    # finding saves the checklist answers typed so far with it, never drops them.
    with_checklist = "checks" in request.POST or ("finding" in request.POST and "revision" in request.POST)
    checklist = ChecklistForm(
        request.POST if with_checklist else None, checks=checks, initial={"revision": inspection.revision}
    )
    finding_form = FindingForm(request.POST if "finding" in request.POST else None, form_id="inspection-work")
    conclusion = ConclusionForm(
        request.POST if "conclude" in request.POST else None, instance=Inspection.objects.get(pk=pk)
    )
    status = 200
    if request.method == "POST":
        require(request.user, "inspections.manage")
        if "recheck" in request.POST:
            return _recheck(request, inspection)
        try:
            if "checks" in request.POST and checklist.is_valid():
                services.checks_record(
                    inspection=inspection,
                    results=checklist.results(),
                    expected_revision=checklist.cleaned_data["revision"],
                    actor=request.user,
                )
            elif "finding" in request.POST and finding_form.is_valid():
                _add_finding(request, inspection, checks, checklist if with_checklist else None, finding_form)
            elif "conclude" in request.POST and conclusion.is_valid():
                services.inspection_conclude(
                    inspection=inspection,
                    actor=request.user,
                    expected_revision=conclusion.cleaned_data["revision"],
                    **{name: conclusion.cleaned_data[name] for name in ConclusionForm.Meta.fields},
                )
            elif "evidence_upload" in request.POST:
                evidence = EvidenceForm(request.POST, request.FILES)
                if not evidence.is_valid():
                    raise ValidationError([e for errors in evidence.errors.values() for e in errors])
                services.inspection_evidence_add(
                    inspection=inspection,
                    upload=evidence.cleaned_data["evidence"],
                    item=evidence.cleaned_data["section"],
                    actor=request.user,
                )
            else:
                raise ValidationError(_("Check the form below."))
        except EditConflict:
            status = 409  # the forms below keep what the user typed
            messages.error(request, CONFLICT_MESSAGE)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The changes were saved."))
            return redirect(inspection)
    titles = {s.key: s.title for s in SECTIONS}
    carried = (
        selectors.visible_findings(request.user)
        .filter(inspection__agency=inspection.agency, inspection__start_date__lt=inspection.start_date)
        .exclude(status=Finding.Status.CLOSED)
        .exclude(rechecked_in=inspection)
        .select_related("inspection")
    )
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "rows": [(s, checklist[f"result_{s.key}"], checklist[f"note_{s.key}"]) for s in SECTIONS],
            "findings": selectors.visible_findings(request.user).filter(inspection=inspection),
            "carried": carried,
            "evidence": [(e, titles.get(e.item, "")) for e in inspection.evidence.select_related("document")],
            "evidence_form": EvidenceForm(),
            "titles": titles,
            "checklist": checklist,
            "finding_form": finding_form,
            "conclusion_form": conclusion,
            "can_edit": can(request.user, "inspections.manage"),
            "signed_panels": [
                signatures.panel(kind, inspection.pk, inspection=inspection)
                for kind in (SignedPdf.Kind.DECISION, SignedPdf.Kind.MINUTES)
                if kind != SignedPdf.Kind.DECISION or inspection.mode == Mode.ONSITE
            ],
        },
        status=status,
    )


def _recheck(request: HttpRequest, inspection: Inspection) -> HttpResponse:
    """DOST's decision on an earlier finding, made on the finding as read (its revision)."""
    recheck, read = RecheckForm(request.POST), RevisionForm(request.POST)
    if not recheck.is_valid():
        messages.error(request, _("Choose a finding of an earlier inspection to re-check."))
    elif not read.is_valid():  # a decision names the revision it was made on
        messages.error(request, _("Reload the inspection and decide again."))
    else:
        earlier = get_object_or_404(selectors.visible_findings(request.user), pk=recheck.cleaned_data["recheck"])
        _decide_finding(
            request,
            lambda: services.finding_recheck(
                finding=earlier,
                inspection=inspection,
                effective=recheck.cleaned_data["effective"],
                expected_revision=read.cleaned_data["revision"],
                actor=request.user,
            ),
            _("The changes were saved."),
        )
    return redirect(inspection)


def _decide_finding(request: HttpRequest, decide, done: str) -> None:
    """Make a decision on a finding and say how it went: refused if the finding changed since it was read."""
    try:
        decide()
    except EditConflict:
        messages.error(request, FINDING_CHANGED)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)


@login_required
@require_safe
def inspection_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The inspection file of art. 39 as one zip: a summary of the record and every document attached."""
    name, data = documents.inspection_file_zip(_inspection(request, pk))
    return _attachment(data, name, "application/zip")


@login_required
@require_safe
def finding_list(request: HttpRequest) -> HttpResponse:
    findings = selectors.visible_findings(request.user).select_related("inspection__agency", "agency")
    filters = FindingFilterForm(request.GET)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    if filters.errors:
        messages.error(request, _("Some filters were not understood and were left out."))
    if criteria.get("overdue"):
        findings = findings.filter(selectors.overdue(timezone.localdate()))
    status = criteria.get("status") or UNCLOSED
    if status == UNCLOSED:
        findings = findings.exclude(status=Finding.Status.CLOSED)
    elif status != ANY:
        findings = findings.filter(status=status)
    if criteria.get("severity"):
        findings = findings.filter(severity=criteria["severity"])
    if criteria.get("repeated"):
        findings = findings.filter(repeated=True)
    if criteria.get("to_answer"):
        findings = findings.filter(selectors.TO_ANSWER)
    agency = _filtered_agency(request.user, criteria)
    if agency is not None:
        findings = findings.filter(agency_id=agency.pk)
    page, query = paginate(request, findings)
    return render(
        request,
        "inspections/finding_list.html",
        {
            "page": page,
            "agency": agency,
            "query": query,
            "statuses": Finding.Status.choices,
            "status": status,
            "severities": Finding.Severity.choices,
            "today": timezone.localdate(),
            "titles": {s.key: s.title for s in SECTIONS},
        },
        status=400 if filters.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(
        selectors.visible_findings(request.user).select_related("inspection__agency", "agency"), pk=pk
    )
    user = request.user
    can_answer = can(user, "finding.answer", finding) and finding.status in (
        Finding.Status.OPEN,
        Finding.Status.REJECTED,
    )
    form = ActionForm(request.POST or None, request.FILES or None, initial={"revision": finding.revision})
    status = 200
    if request.method == "POST":
        require(user, "finding.answer", finding)
        if form.is_valid():
            try:
                services.action_report(
                    finding=finding,
                    action=form.cleaned_data["action"],
                    upload=form.cleaned_data["evidence"],
                    expected_revision=form.cleaned_data["revision"],
                    actor=user,
                )
            except EditConflict:  # e.g. a colleague answered it first: the form stays, with the text typed
                status = 409
                form.add_error(None, CONFLICT_MESSAGE)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your corrective action was sent to DOST."))
                return redirect("inspections:finding", finding.pk)
        if form.errors and status == 200:
            status = 400
    return render(
        request,
        "inspections/finding_detail.html",
        {
            "finding": finding,
            "actions": finding.actions.select_related("document", "reported_by", "decided_by"),
            "form": form if can_answer or form.is_bound else None,
            "decide_form": DecideForm(),
            "can_decide": can(user, "finding.decide", finding.inspection) and finding.status == Finding.Status.ANSWERED,
            "title": {s.key: s.title for s in SECTIONS}.get(finding.item, finding.item),
            "today": timezone.localdate(),
            # A finding handed to a successor: its secretary answers it but cannot open the ended unit's inspection.
            "inspection_visible": selectors.visible_inspections(user).filter(pk=finding.inspection_id).exists(),
        },
        status=status,
    )


@login_required
@require_POST
def action_decide(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        CorrectiveAction.objects.filter(finding__in=selectors.visible_findings(request.user)).select_related(
            "finding__inspection"
        ),
        pk=pk,
    )
    require(request.user, "finding.decide", action.finding.inspection)
    read = RevisionForm(request.POST)
    if not read.is_valid():  # a decision names the revision of the finding it was made on
        messages.error(request, _("Reload the finding and decide again."))
        return redirect("inspections:finding", action.finding_id)
    form = DecideForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _decide_finding(
        request,
        lambda: services.action_decide(
            action=action,
            accept="accept" in request.POST,
            reason=reason,
            expected_revision=read.cleaned_data["revision"],
            actor=request.user,
        ),
        _("The decision was recorded."),
    )
    return redirect("inspections:finding", action.finding_id)


def _attachment(data: bytes, name: str, content_type: str = "application/pdf") -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan as Mẫu 19. KHKT: made in the request for a small plan; a large one is made on the reports
    queue (POST, DOST) and downloaded here once ready."""
    require(request.user, "province.view")
    plan = get_object_or_404(selectors.visible_plans(request.user).select_related("province"), pk=pk)
    if request.method == "POST":
        require(request.user, "inspections.manage", plan)
        try:
            item = report_services.plan_generate(plan=plan, actor=request.user)
        except report_services.QueueUnavailable:
            messages.error(request, QUEUE_DOWN)
            return redirect(plan)
        if item.status == item.Status.READY:
            messages.info(request, _("This version of the plan was already made; download it below."))
        else:
            messages.success(request, _("The plan is being made in the background; this page shows it when ready."))
        return redirect(plan)
    if not report_services.plan_is_large(plan):
        name, data = documents.plan_pdf(plan)
        return _attachment(data, name)
    ready = report_services.plan_file(plan)
    if ready is None:
        messages.info(request, _("This plan is large: its PDF is made in the background. Press “Make the PDF”."))
        return redirect(plan)
    return FileResponse(ready.file.open("rb"), as_attachment=True, filename=f"mau-19-ke-hoach-kiem-tra-{plan.year}.pdf")


@login_required
@require_safe
def inspection_pdf(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    """The inspection decision (Mẫu 20, on-site inspections) or the minutes (Mẫu 21), pre-filled."""
    if form not in ("20", "21"):
        raise Http404
    inspection = _inspection(request, pk)
    if form == "20" and inspection.mode != Mode.ONSITE:
        raise Http404
    name, data = documents.inspection_form_pdf(inspection, form)
    return _attachment(data, name)
