from __future__ import annotations

import io
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from iso_tracker.concurrency import CONFLICT_MESSAGE, EditConflict
from iso_tracker.pagination import paginate
from iso_tracker.permissions import can, province_scope, require, user_province_id

from . import handover, picker, registry_io, services
from .filters import RegistryFilter
from .forms import (
    PARENT_CATEGORIES,
    REORGANISATION_FORMS,
    AgencyContactForm,
    AgencyForm,
    ApplicationRuleForm,
    HandoverToForm,
    ImportForm,
    add_service_errors,
    current_agencies,
)
from .history import change_log
from .models import (
    Agency,
    AgencyVersion,
    ApplicationRule,
    Category,
    Document,
    Handover,
    Obligation,
    Reorganisation,
)
from .selectors import (
    basis,
    obligation,
    parents_ever,
    registry_rows,
    rules_on,
    visible_agencies,
    visible_provinces,
    visible_reorganisations,
    with_names_before,
)
from .story import agency_story

REORGANISATION_SERVICES = {
    Reorganisation.Kind.MERGE: services.reorganisation_merge,
    Reorganisation.Kind.SPLIT: services.reorganisation_split,
    Reorganisation.Kind.RENAME: services.reorganisation_rename,
    Reorganisation.Kind.TRANSFER: services.reorganisation_transfer,
    Reorganisation.Kind.DISSOLUTION: services.reorganisation_dissolve,
}


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Where each user starts: what waits for them, each number a link to the list it counts."""
    from inspections.models import ReportFile
    from inspections.selectors import home_figures
    from migrations_tracker import selectors as qms

    user = request.user
    reader = can(user, "province.view")
    if not reader and can(user, "national.view"):
        return redirect("qms:national")  # Ministry staff start with every province, then choose one
    if not reader and not user.agency_id:
        return redirect("agencies:list")
    today = timezone.localdate()
    context = {"f": home_figures(user, today), "reader": reader, "today": today}
    if reader:
        context["transition"] = _transition_progress(user, today)
        context["files"] = list(
            ReportFile.objects.filter(province_scope(user, "report__province"), status=ReportFile.Status.READY)
            .select_related("report")
            .order_by("-created_at")[:5]
        )
    else:
        agency = user.agency
        context["agency"] = agency
        flags = qms.agency_flags(agency, today, qms.province_campaigns(agency.province_id))
        context["flags"] = [(flag, qms.flag_action(agency.pk, flag)) for flag in flags]
    return render(request, "home.html", context)


def _transition_progress(user, on) -> dict | None:
    """The province's transition of the day (the latest opened): how many of its agencies have reached the
    milestone that completes it (an announcement on the new edition, else its last), of how many."""
    from migrations_tracker import selectors as qms

    campaign = qms.campaign_shown(qms.province_campaigns(user_province_id(user)), on)
    step = qms.completing_step(campaign) if campaign else None
    if step is None:
        return None
    rows = qms.transition_by_category(qms.population(user, on), on, campaign)
    return {
        "campaign": campaign,
        "step": step,
        "total": sum(row["total"] for row in rows),
        "done": sum(row[step.key] for row in rows),
    }


@login_required
@require_safe
def agency_list(request: HttpRequest) -> HttpResponse:
    registry = RegistryFilter(request.GET, user=request.user)
    page, query = paginate(request, registry.rows())
    counts = registry.counts.by_category()
    obligations = registry.counts.by_obligation()
    # The categories of the day: a province before 1 July 2025 has no commune-level units of today's kind.
    summary = [(key, label, counts[key]) for key, label in Category.choices if counts.get(key)]
    return render(
        request,
        "agencies/agency_list.html",
        {
            "filter": registry,
            "page": page,
            "summary": summary,
            "total": sum(counts.values()),
            "obligations": [(key, label, obligations[key]) for key, label in Obligation.choices],
            "ended_with_open_items": handover.ended_with_open_items(visible_agencies(request.user))
            if can(request.user, "province.view")
            else None,
            "as_of": registry.as_of_date,
            "is_today": registry.as_of_date == timezone.localdate(),
            "query": query,
            "can_manage": can(request.user, "registry.manage"),
        },
    )


@login_required
@require_safe
def agency_export(request: HttpRequest, fmt: str) -> HttpResponse:
    registry = RegistryFilter(request.GET, user=request.user)
    rows = registry.qs.iterator(chunk_size=2000)
    stem = f"so-dang-ky-co-quan-{registry.as_of_date:%Y-%m-%d}"
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        text = io.TextIOWrapper(response, encoding="utf-8", newline="", write_through=True)
        registry_io.write_csv(rows, text)
        text.detach()
    else:
        response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        registry_io.write_xlsx(rows, response, title=_("Registry"))
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@login_required
@require_safe
def agency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agency = get_object_or_404(visible_agencies(request.user).select_related("province", "parent"), pk=pk)
    today = timezone.localdate()
    versions = agency.versions.select_related("parent", "reorganisation").order_by(
        F("valid_from").asc(nulls_first=True)
    )
    children = registry_rows(AgencyVersion.objects.filter(parent=agency), as_of=today).filter(
        agency__in=visible_agencies(request.user)
    )
    reorganisations = list(
        Reorganisation.objects.filter(Q(predecessors=agency) | Q(successors=agency))
        .distinct()
        .prefetch_related("predecessors", "successors")
    )
    named = {agency.parent_id} | {
        other.pk for r in reorganisations for other in [*r.predecessors.all(), *r.successors.all()]
    }
    # Links only to the agencies this user may open (a secretary: their own); the others are named, not linked.
    openable = set(visible_agencies(request.user).filter(pk__in=named - {None}).values_list("pk", flat=True))
    return render(
        request,
        "agencies/agency_detail.html",
        {
            "agency": agency,
            "versions": versions,
            "children": children,
            "reorganisations": reorganisations,
            "openable": openable,
            "history": change_log(agency),
            **_obligation_of(agency, today),
            **_handover_of(request.user, agency),
            **agency_story(request.user, agency, today),
            "today": today,
            "can_edit": can(request.user, "agency.edit", agency),
            "can_manage": can(request.user, "registry.manage"),
        },
    )


def _handover_of(user, agency: Agency) -> dict:
    """An ended unit: how many items wait for a decision, and to whom it handed its items; any agency:
    the ended units it took items over from (those the user may see)."""
    visible = visible_agencies(user)
    taken = Counter(agency.taken_over.filter(from_agency__in=visible).values_list("from_agency", flat=True))
    context = {"taken_from": [(a, taken[a.pk]) for a in Agency.objects.filter(pk__in=taken).order_by("name")]}
    if agency.ended_on:
        context["handover_open"] = sum(len(group["items"]) for group in handover.open_items(agency))
        handed = Counter(agency.handed_over.filter(to_agency__in=visible).values_list("to_agency", flat=True))
        context["handed_to"] = [(a, handed[a.pk]) for a in Agency.objects.filter(pk__in=handed).order_by("name")]
    return context


def _obligation_of(agency: Agency, on) -> dict:
    """Whether applying a QMS is mandatory or encouraged for `agency` on `on` (while it exists), and why."""
    if not agency.is_active_on(on):
        return {}
    rule = rules_on([agency.province_id], on)[agency.province_id][agency.category]
    return {"obligation": Obligation(obligation(rule, agency.category)).label, "obligation_basis": basis(rule)}


@login_required
@require_http_methods(["GET", "POST"])
def agency_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "registry.manage")
    form = AgencyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.agency_create(actor=request.user, province=request.user.province, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Agency “%(name)s” was added to the registry.") % {"name": agency.name})
            return redirect(agency)
    return render(request, "agencies/agency_form.html", {"form": form, "title": _("New agency")})


@login_required
@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agency = get_object_or_404(visible_agencies(request.user), pk=pk)
    require(request.user, "agency.edit", agency)
    form_class = AgencyForm if can(request.user, "registry.manage") else AgencyContactForm
    kwargs = {"user": request.user} if form_class is AgencyForm else {}
    form = form_class(request.POST or None, instance=Agency.objects.get(pk=agency.pk), **kwargs)
    status = 200
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name != "revision"}
        try:
            if changed:
                services.agency_update(
                    actor=request.user, agency=agency, expected_revision=form.cleaned_data["revision"], **changed
                )
        except EditConflict:
            status = 409
            form.add_error(None, CONFLICT_MESSAGE)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect(agency)
    if form.is_bound and form.errors and status == 200:
        status = 400
    return render(
        request,
        "agencies/agency_form.html",
        {
            "form": form,
            "agency": agency,
            "title": _("Edit %(name)s") % {"name": agency.name},
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def agency_import(request: HttpRequest) -> HttpResponse:
    require(request.user, "registry.manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = registry_io.import_registry(
            province=request.user.province, filename=upload.name, content=upload.read(), actor=request.user
        )
        if result.ok:
            messages.success(
                request,
                _("Import finished: %(created)s agencies added, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("agencies:list")
    status = 400 if (result is not None and not result.ok) or form.errors else 200
    return render(
        request,
        "agencies/agency_import.html",
        {
            "form": form,
            "result": result,
            "headers": registry_io.HEADERS,
            "required": registry_io.REQUIRED_HEADERS,
            "categories": Category.choices,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_rules(request: HttpRequest) -> HttpResponse:
    """Who must apply a QMS: the province's rule per category today, and every rule it recorded."""
    require(request.user, "province.view")
    province = get_object_or_404(visible_provinces(request.user), pk=user_province_id(request.user))
    may_manage = can(request.user, "registry.manage", province)
    form = ApplicationRuleForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        require(request.user, "registry.manage", province)
        if form.is_valid():
            try:
                services.application_rule_add(actor=request.user, province=province, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The rule is recorded."))
                return redirect("agencies:rules")
    today = timezone.localdate()
    current = rules_on([province.pk], today)[province.pk]
    rows = [
        (label, Obligation(obligation(current[key], key)).label, current[key], basis(current[key]))
        for key, label in Category.choices
    ]
    recorded = province.application_rules.select_related("created_by").order_by("category", "-valid_from")
    status = 400 if form is not None and form.is_bound and form.errors else 200
    context = {"rows": rows, "recorded": recorded, "form": form, "may_manage": may_manage, "today": today}
    return render(request, "agencies/application_rules.html", context, status=status)


@login_required
@require_POST
def application_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(ApplicationRule.objects.filter(province_scope(request.user)), pk=pk)
    services.application_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The rule is removed; the one before it holds again."))
    return redirect("agencies:rules")


def _handover_items(values: list[str]) -> list[tuple[str, int]] | None:
    """The ticked items ("kind:id"), or None if one is not of that form."""
    items = []
    for value in values:
        kind, _sep, pk = value.partition(":")
        if kind not in Handover.Kind.values or not pk.isdigit() or len(pk) > 18:
            return None
        items.append((kind, int(pk)))
    return items


@login_required
@require_http_methods(["GET", "POST"])
def agency_handover(request: HttpRequest, pk: int) -> HttpResponse:
    """What an ended unit carried: hand each item (or all) to a successor, or close it with the unit."""
    agency = get_object_or_404(visible_agencies(request.user).filter(ended_on__isnull=False), pk=pk)
    require(request.user, "registry.manage", agency)
    successors = list(Agency.objects.filter(reorganisations_in__predecessors=agency).distinct().order_by("name"))
    suggested = successors[0].pk if len(successors) == 1 else None
    target = HandoverToForm(request.POST or None, initial={"to": suggested}, agency=agency)
    error, status, ticked = "", 200, None
    if request.method == "POST":
        ticked = request.POST.getlist("item")
        items = _handover_items(ticked)
        action = request.POST.get("action")
        to = target.cleaned_data.get("to") if action == "move" and target.is_valid() else None
        if items is None or action not in ("move", "close"):
            error = _("The request was not understood; choose the items again.")
        elif action == "move" and to is None:
            error = " ".join(target.errors.get("to", [])) or _("Choose the agency that takes the items over.")
        else:
            try:
                done = handover.decide(actor=request.user, agency=agency, items=items, to=to)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(
                    request, ngettext("%(n)s item decided.", "%(n)s items decided.", len(done)) % {"n": len(done)}
                )
                return redirect("agencies:handover", agency.pk)
        status = 400
    decided = agency.handed_over.select_related("to_agency", "decided_by").order_by("-decided_at", "kind")
    return render(
        request,
        "agencies/handover.html",
        {
            "agency": agency,
            "open": handover.open_items(agency),
            "decided": decided,
            "target": target,
            "successors": successors,
            "ticked": set(ticked) if ticked is not None else None,
            "error": error,
        },
        status=status,
    )


@login_required
@require_safe
def handover_flag(request: HttpRequest) -> HttpResponse:
    """The units that ended with items nobody decided about (the flag "ended with open items")."""
    require(request.user, "province.view")
    units = handover.with_open_items(visible_agencies(request.user)).order_by("-ended_on", "name")
    page, query = paginate(request, units)
    return render(request, "agencies/handover_flag.html", {"page": page, "query": query})


@login_required
@require_safe
def reorganisation_list(request: HttpRequest) -> HttpResponse:
    items = visible_reorganisations(request.user).prefetch_related("predecessors", "successors")
    page = Paginator(items, settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_names_before(page.object_list)
    return render(
        request,
        "agencies/reorganisation_list.html",
        {
            "page": page,
            "can_manage": can(request.user, "registry.manage"),
            "kinds": Reorganisation.Kind.choices,
        },
    )


@login_required
@require_safe
def reorganisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        visible_reorganisations(request.user).select_related("created_by").prefetch_related("predecessors"), pk=pk
    )
    with_names_before([item])
    visible = visible_agencies(request.user)
    return render(
        request,
        "agencies/reorganisation_detail.html",
        {
            "item": item,
            "predecessors": item.predecessors.filter(pk__in=visible.values("pk")),
            "successors": item.successors.filter(pk__in=visible.values("pk")),
            "opened_versions": item.opened_versions.select_related("agency", "parent"),
            "can_manage": can(request.user, "registry.manage", item),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reorganisation_create(request: HttpRequest, kind: str) -> HttpResponse:
    require(request.user, "registry.manage")
    if kind not in REORGANISATION_FORMS:
        raise Http404
    form = REORGANISATION_FORMS[kind](request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            item = REORGANISATION_SERVICES[kind](
                province=request.user.province, actor=request.user, basis=form.legal_basis(), **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The reorganisation was recorded."))
            ended = [a for a in item.predecessors.all() if a.ended_on and handover.open_items(a)]
            if ended:
                messages.warning(
                    request,
                    _("Now hand over what the ended units carried: %(units)s.")
                    % {"units": ", ".join(a.name for a in ended)},
                )
            return redirect(item)
    return render(
        request,
        "agencies/reorganisation_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": Reorganisation.Kind(kind).label,
        },
    )


@login_required
@require_safe
def document_download(request: HttpRequest, uuid) -> FileResponse:
    """An evidence file, only for users who may see its agency; always as an attachment."""
    document = get_object_or_404(Document.objects.filter(agency__in=visible_agencies(request.user)), uuid=uuid)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


@login_required
@require_safe
def agency_pick(request: HttpRequest) -> JsonResponse:
    """The agencies a picker offers for what was typed (`q`): of the field's kind, among those the user may
    see, at most picker.SHOWN. `kind`: current (existing today), parents (those agencies can sit under),
    ever-parents (parents of any day, for the registry's filter), or successors-<id> (who may take over an
    ended unit's items)."""
    require(request.user, "province.view")
    kind = request.GET.get("kind", "current")
    agencies = current_agencies(request.user)
    if kind == "parents":
        agencies = agencies.filter(category__in=PARENT_CATEGORIES)
    elif kind == "ever-parents":  # the registry's filter: parents of any day, ended ones included
        agencies = parents_ever(request.user)
    elif kind.startswith("successors-") and kind.removeprefix("successors-").isdigit():
        require(request.user, "registry.manage")
        ended = get_object_or_404(visible_agencies(request.user), pk=int(kind.removeprefix("successors-")))
        agencies = handover.successors_for(ended).filter(pk__in=visible_agencies(request.user))
    elif kind != "current":
        return JsonResponse({"error": _("Unknown kind of agency.")}, status=400)
    text = request.GET.get("q", "")[:100].replace("\x00", "")
    found = picker.search(agencies, text)[: picker.SHOWN].only("pk", "name", "code")
    return JsonResponse({"results": [{"id": a.pk, "label": picker.label(a)} for a in found]})
