"""The national list of the standard's editions, and a province's transitions (campaigns) between them.

DOST staff (and the site administrator) keep the editions; a province's DOST opens its transitions
and edits their milestones; leadership reads both. Rules: `iso_tracker.permissions`."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.forms import add_service_errors
from agencies.models import Province
from iso_tracker.permissions import can, province_scope, require, user_province_id

from . import selectors, services
from .forms import CampaignForm, EditionForm, StepForm
from .models import Campaign, Edition, Milestone, Step


def _saved(request: HttpRequest, form, save: Callable[[], object]) -> bool:
    """A valid POST of `form`, saved by `save` (a service); False with the service's refusal on the form."""
    if request.method != "POST" or form is None or not form.is_valid():
        return False
    try:
        save()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


def _page(request: HttpRequest, template: str, context: dict, form) -> HttpResponse:
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, f"migrations_tracker/{template}", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def edition_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "editions.view")
    may_edit = can(request.user, "editions.manage")
    form = EditionForm(request.POST or None) if may_edit else None
    if request.method == "POST":
        require(request.user, "editions.manage")
    if _saved(request, form, lambda: services.edition_save(edition=form.instance, actor=request.user)):
        messages.success(request, _("Saved: %(what)s.") % {"what": form.instance})
        return redirect("qms:editions")
    editions = Edition.objects.select_related("amendment_of")
    return _page(request, "editions.html", {"editions": editions, "form": form, "may_edit": may_edit}, form)


@login_required
@require_http_methods(["GET", "POST"])
def edition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "editions.manage")
    edition = get_object_or_404(Edition, pk=pk)
    form = EditionForm(request.POST or None, instance=edition)
    if _saved(request, form, lambda: services.edition_save(edition=form.instance, actor=request.user)):
        messages.success(request, _("Saved: %(what)s.") % {"what": edition})
        return redirect("qms:editions")
    context = {
        "form": form,
        "title": f"{edition} · {edition.code}",
        "back": ("qms:editions", None, _("Editions of the standard")),
    }
    return _page(request, "simple_form.html", context, form)


def _campaigns(request: HttpRequest):
    return Campaign.objects.filter(province_scope(request.user)).select_related("to_edition", "province")


@login_required
@require_http_methods(["GET", "POST"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "province.view")
    province = get_object_or_404(Province, pk=user_province_id(request.user))
    may_open = can(request.user, "campaigns.manage", province)
    form = CampaignForm(request.POST or None) if may_open else None
    if request.method == "POST":
        require(request.user, "campaigns.manage", province)
    opened = []
    if _saved(
        request,
        form,
        lambda: opened.append(services.campaign_open(province=province, actor=request.user, **form.cleaned_data)),
    ):
        messages.success(request, _("The transition is open: check its milestones."))
        return redirect(opened[0])
    campaigns = _campaigns(request).prefetch_related("from_editions").annotate(n_steps=Count("steps"))
    return _page(request, "campaigns.html", {"campaigns": campaigns, "form": form}, form)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A transition: its deadline and editions, its milestones with how many agencies reached each, and
    (for DOST) the forms that change them."""
    require(request.user, "province.view")
    campaign = get_object_or_404(_campaigns(request).prefetch_related("from_editions"), pk=pk)
    may_edit = can(request.user, "campaigns.manage", campaign)
    steps = list(campaign.steps.all())
    next_order = {"order": max((s.order for s in steps), default=0) + 1}
    form = StepForm(request.POST or None, instance=Step(campaign=campaign), initial=next_order) if may_edit else None
    if request.method == "POST":
        require(request.user, "campaigns.manage", campaign)
    if _saved(request, form, lambda: services.step_save(step=form.instance, actor=request.user)):
        messages.success(request, _("Saved: %(what)s.") % {"what": form.instance})
        return redirect(campaign)
    today = timezone.localdate()
    population = selectors.population(request.user, today)
    reached = dict(
        Milestone.objects.filter(step__campaign=campaign, agency_id__in=population.values("agency_id"))
        .values_list("step_id")
        .annotate(n=Count("pk"))
    )
    versions = selectors.version_counts(population, today)
    sources = list(campaign.from_editions.all())
    context = {
        "campaign": campaign,
        "steps": [(step, reached.get(step.pk, 0)) for step in steps],
        "on_sources": sum(versions.get(e.code, 0) for e in sources),
        "on_target": versions.get(campaign.to_edition_id, 0),
        "sources": sources,
        "form": form,
        "may_edit": may_edit,
        "as_of": today.strftime("%d/%m/%Y"),
    }
    return _page(request, "campaign_detail.html", context, form)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(request), pk=pk)
    require(request.user, "campaigns.manage", campaign)
    form = CampaignForm(request.POST or None, instance=campaign)
    save = lambda: services.campaign_update(  # noqa: E731
        campaign=form.instance, actor=request.user, from_editions=form.cleaned_data["from_editions"]
    )
    if _saved(request, form, save):
        messages.success(request, _("The changes were saved."))
        return redirect(campaign)
    context = {"form": form, "title": _("Change the transition"), "back": ("qms:campaign", campaign.pk, campaign)}
    return _page(request, "simple_form.html", context, form)


@login_required
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(request), pk=pk)
    require(request.user, "campaigns.manage", campaign)
    step = get_object_or_404(campaign.steps, pk=step_pk)
    form = StepForm(request.POST or None, instance=step)
    if _saved(request, form, lambda: services.step_save(step=form.instance, actor=request.user)):
        messages.success(request, _("The changes were saved."))
        return redirect(campaign)
    context = {"form": form, "title": step.name, "back": ("qms:campaign", campaign.pk, campaign)}
    return _page(request, "simple_form.html", context, form)


@login_required
@require_POST
def step_delete(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(request), pk=pk)
    require(request.user, "campaigns.manage", campaign)
    step = get_object_or_404(campaign.steps, pk=step_pk)
    try:
        services.step_delete(step=step, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The milestone was removed."))
    return redirect(campaign)
