from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies.forms import add_service_errors
from agencies.models import Agency, Category, Obligation, Province, User
from agencies.selectors import visible_agencies, visible_provinces
from inspections.models import Inspection
from inspections.selectors import STATES as REPORT_STATES
from iso_tracker.concurrency import CONFLICT_MESSAGE, EditConflict
from iso_tracker.pagination import paginate
from iso_tracker.permissions import can, province_scope, require, user_province_id

from . import national as national_figures
from . import procedure_io, selectors, services, snapshots
from .forms import (
    AffectedProcessesForm,
    AmendmentCheckForm,
    AnnouncementForm,
    AsOfForm,
    AttendanceForm,
    ContractForm,
    CourseForm,
    CriteriaForm,
    DashboardForm,
    LegalChangeForm,
    MilestoneForm,
    ProcedureForm,
    ProcedureImportForm,
    ProcessForm,
    ProfileForm,
    ReviewForm,
    RevisionDoneForm,
    RoleForm,
    StaffForm,
)
from .models import (
    NONE,
    AdministrativeProcedure,
    LegalChange,
    ProcessRevision,
    QMSProfile,
    StaffMember,
    Stage,
    TrainingCourse,
)
from .profile import profile_context


def _as_of(request: HttpRequest) -> tuple[AsOfForm, datetime.date]:
    form = AsOfForm(request.GET)
    on = form.cleaned_data.get("as_of") if form.is_valid() else None
    return form, on or timezone.localdate()


def _agency(request: HttpRequest, pk: int, *, edit: bool = False) -> Agency:
    agency = get_object_or_404(visible_agencies(request.user).select_related("province"), pk=pk)
    if edit:
        require(request.user, "agency.edit", agency)
    return agency


def _campaigns(request: HttpRequest) -> list:
    return selectors.province_campaigns(user_province_id(request.user))


def _date_and_campaign(form: DashboardForm, campaigns: list) -> tuple[datetime.date, Any]:
    data = form.cleaned_data if form.is_valid() else {}
    on = data.get("as_of") or timezone.localdate()
    return on, selectors.campaign_shown(campaigns, on, data.get("campaign"))


def _cycle(figures: dict) -> dict:
    """The inspection cycle's figures with the conclusions named in the user's language."""
    cycle = dict(figures["cycle"])
    counts = cycle["inspections"]
    cycle["by_conclusion"] = [(key, label, counts[key]) for key, label in Inspection.Conclusion.choices]
    cycle["round_deadline"] = datetime.date.fromisoformat(cycle["round_deadline"]) if cycle["round_deadline"] else None
    return cycle


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "province.view") and request.user.agency_id:
        return redirect("qms:profile", request.user.agency_id)
    require(request.user, "province.view")
    campaigns = _campaigns(request)
    as_of_form = DashboardForm(request.GET, campaigns=campaigns)
    on, campaign = _date_and_campaign(as_of_form, campaigns)
    flagged = selectors.campaigns_flagged(campaigns, on, campaign)
    figures, computed_at = snapshots.dashboard_figures(request.user, on, flagged, campaign)
    counts, versions, stages = figures["flags"], figures["versions"], figures["stages"]
    obligations = figures.get("obligations") or selectors.obligation_figures(selectors.population(request.user, on), on)
    categories = dict(Category.choices)
    flags = [(flag, counts[flag.key]) for flag in selectors.FLAGS]
    flags += [(selectors.campaign_flag(c), figures["campaigns"][str(c.pk)]["overdue"]) for c in flagged]
    transition = []
    if campaign is not None:
        rows = figures["campaigns"][str(campaign.pk)]["transition"]
        transition = [{**row, "label": categories[row["category"]]} for row in rows]
    editions = [  # those agencies are on, and those in use on the day (not withdrawn, published by then)
        (e.code, e.iso_edition or e.title, versions.get(e.code, 0))
        for e in selectors.editions()
        if versions.get(e.code) or (e.status != e.Status.WITHDRAWN and (e.published_on is None or e.published_on <= on))
    ]
    return render(
        request,
        "migrations_tracker/dashboard.html",
        {
            "as_of_form": as_of_form,
            "on": on,
            "as_of": on.strftime("%d/%m/%Y"),
            "total": sum(versions.values()),
            "versions": [(NONE, _("None yet"), versions.get(NONE, 0)), *editions],
            "obligations": [(key, label, obligations[key]) for key, label in Obligation.choices],
            "stages": [(key, label, stages.get(key, 0)) for key, label in Stage.choices]
            if stages is not None
            else None,
            "campaign": campaign,
            "campaigns": campaigns,
            "transition": transition,
            "steps": list(campaign.steps.all()) if campaign else [],
            "flags": flags,
            "spending": {"over_cap_count": len(figures["spending"]["over_cap"]), **figures["spending"]},
            "gaps": figures["gaps"],
            "computed_at": computed_at,
            "past": on != timezone.localdate(),
            "query": request.GET.urlencode(),
            "cycle": _cycle(figures),
            "report_states": REPORT_STATES,
        },
    )


@login_required
@require_safe
def over_cap_list(request: HttpRequest) -> HttpResponse:
    """Every agency whose consultant spending passes the cap for its category, as of a date (the dashboard
    names the ten most over it)."""
    require(request.user, "province.view")
    as_of_form, on = _as_of(request)
    over = selectors.spending(selectors.population(request.user, on), on)["over_cap"]
    page, query = paginate(request, over)
    return render(
        request,
        "migrations_tracker/over_cap.html",
        {"page": page, "query": query, "on": on, "as_of_form": as_of_form},
    )


@login_required
@require_safe
def flag_list(request: HttpRequest, key: str) -> HttpResponse:
    require(request.user, "province.view")
    as_of_form, on = _as_of(request)
    flag = selectors.FLAGS_BY_KEY.get(key)
    if flag is None:  # a transition's flag: only then are the province's transitions read
        campaigns = _campaigns(request)
        if key == selectors.TRANSITION_FLAG:  # the address before transitions were data: the latest one overdue
            overdue = [c for c in campaigns if c.deadline < on]
            legacy = overdue[-1] if overdue else selectors.campaign_shown(campaigns, on)
            key = selectors.campaign_flag(legacy).key if legacy else key
        flag = selectors.flag_by_key(key, campaigns) or _raise404()
    rows = selectors.flagged(selectors.population_rows(request.user, on), flag, on)
    page, query = paginate(request, rows)
    return render(
        request,
        "migrations_tracker/flag_list.html",
        {
            "flag": flag,
            "page": page,
            "on": on,
            "as_of_form": as_of_form,
            "query": query,
        },
    )


@login_required
@require_safe
def agency_list(request: HttpRequest) -> HttpResponse:
    """The agencies behind a number of the dashboard (edition, stage, milestone, category, as of a date)."""
    require(request.user, "province.view")
    campaigns = _campaigns(request)
    form = CriteriaForm(request.GET, campaigns=campaigns, editions=selectors.editions())
    on, campaign = _date_and_campaign(form, campaigns)
    shown = ("version", "stage", "milestone", "category", "obligation")
    criteria = {k: form.cleaned_data[k] for k in shown if form.cleaned_data.get(k)} if form.is_valid() else {}
    provinces = visible_provinces(request.user).values_list("pk", flat=True)
    rows = selectors.matching(
        selectors.population_rows(request.user, on), on, campaign=campaign, provinces=provinces, **criteria
    )
    page, query = paginate(request, rows)
    described = [str(dict(form.fields[k].choices)[v]) for k, v in criteria.items()]
    if "milestone" in criteria and campaign is not None:
        described.insert(0, str(campaign))
    return render(
        request,
        "migrations_tracker/flag_list.html",
        {
            "title": " · ".join(described) or _("All agencies"),
            "page": page,
            "on": on,
            "as_of_form": form,
            "query": query,
            "keep": [*criteria.items(), *([("campaign", campaign.pk)] if campaign and "milestone" in criteria else [])],
        },
    )


def _raise404():
    raise Http404


@login_required
@require_safe
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    agency = _agency(request, pk)
    context = profile_context(agency, timezone.localdate())
    context["can_edit"] = can(request.user, "agency.edit", agency)
    return render(request, "migrations_tracker/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agency = _agency(request, pk, edit=True)
    profile = QMSProfile.objects.filter(agency=agency).first() or QMSProfile(agency=agency)  # a GET writes nothing
    form = ProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
        try:
            services.profile_update(
                agency=agency,
                upload=form.cleaned_data["evidence"],
                actor=request.user,
                expected_revision=form.cleaned_data.get("revision"),
                **fields,
            )
        except EditConflict:
            form.add_error(None, CONFLICT_MESSAGE)
            return _form_page(request, agency, form, _("QMS profile"), status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("qms:profile", agency.pk)
    return _form_page(request, agency, form, _("QMS profile"))


@dataclass(frozen=True)
class Section:
    """One kind of record added from the profile page: its form and how it is saved."""

    title: Promise
    form: type[forms.Form]
    needs_agency: bool = False

    def save(self, agency: Agency, form: forms.Form, actor: User) -> Any:
        upload = form.cleaned_data.get("evidence")
        return SAVERS[self.form](agency, form, upload, actor)


SAVERS = {
    AnnouncementForm: lambda agency, form, upload, actor: services.announcement_create(
        agency=agency, announcement=form.instance, upload=upload, actor=actor
    ),
    ProcedureForm: lambda agency, form, upload, actor: services.procedure_create(
        agency=agency, procedure=form.instance, actor=actor
    ),
    ProcessForm: lambda agency, form, upload, actor: services.process_save(
        agency=agency, process=form.instance, procedures=form.cleaned_data["procedures"], upload=upload, actor=actor
    ),
    ReviewForm: lambda agency, form, upload, actor: services.review_create(
        agency=agency, review=form.instance, upload=upload, actor=actor
    ),
    ContractForm: lambda agency, form, upload, actor: services.contract_create(
        agency=agency, contract=form.instance, upload=upload, actor=actor
    ),
    AmendmentCheckForm: lambda agency, form, upload, actor: services.amendment_check_record(
        agency=agency,
        edition=form.cleaned_data["edition"],
        considered=form.cleaned_data["considered"],
        checked_on=form.cleaned_data["checked_on"],
        note=form.cleaned_data["note"],
        upload=upload,
        actor=actor,
    ),
    MilestoneForm: lambda agency, form, upload, actor: services.milestone_record(
        agency=agency,
        step=form.cleaned_data["step"],
        date=form.cleaned_data["date"],
        note=form.cleaned_data["note"],
        upload=upload,
        actor=actor,
    ),
    StaffForm: lambda agency, form, upload, actor: services.role_assign(
        staff=services.record_save(_with_agency(form.instance, agency), agency=agency, actor=actor),
        role=form.cleaned_data["role"],
        start_date=form.cleaned_data["start_date"],
        actor=actor,
    ),
    RoleForm: lambda agency, form, upload, actor: services.role_assign(
        staff=form.cleaned_data["staff"],
        role=form.cleaned_data["role"],
        start_date=form.cleaned_data["start_date"],
        end_date=form.cleaned_data["end_date"],
        actor=actor,
    ),
    AttendanceForm: lambda agency, form, upload, actor: services.attendance_add(
        course=form.cleaned_data["course"],
        staff=form.cleaned_data["staff"],
        certificate_number=form.cleaned_data["certificate_number"],
        upload=upload,
        actor=actor,
    ),
}


def _with_agency(instance, agency: Agency):
    instance.agency = agency
    return instance


SECTIONS = {
    "announcement": Section(gettext_lazy("Announcement of conformity"), AnnouncementForm),
    "procedure": Section(gettext_lazy("Administrative procedure"), ProcedureForm),
    "process": Section(gettext_lazy("QMS process"), ProcessForm, needs_agency=True),
    "review": Section(gettext_lazy("Internal audit or management review"), ReviewForm),
    "staff": Section(gettext_lazy("ISO staff member"), StaffForm),
    "role": Section(gettext_lazy("QMS role"), RoleForm, needs_agency=True),
    "attendance": Section(gettext_lazy("Training attended"), AttendanceForm, needs_agency=True),
    "milestone": Section(gettext_lazy("Transition milestone"), MilestoneForm, needs_agency=True),
    "contract": Section(gettext_lazy("Consultant contract"), ContractForm, needs_agency=True),
    "amendment": Section(gettext_lazy("Amendment check"), AmendmentCheckForm),
}


@login_required
@require_http_methods(["GET", "POST"])
def record_add(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    agency = _agency(request, pk, edit=True)
    spec = SECTIONS.get(section) or _raise404()
    kwargs = {"agency": agency} if spec.needs_agency else {}
    form = spec.form(request.POST or None, request.FILES or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            spec.save(agency, form, request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(what)s.") % {"what": spec.title})
            return redirect("qms:profile", agency.pk)
    return _form_page(request, agency, form, spec.title)


def _form_page(
    request: HttpRequest, agency: Agency, form: forms.Form, title, status: int | None = None
) -> HttpResponse:
    status = status or (400 if form.is_bound and form.errors else 200)
    return render(
        request, "migrations_tracker/form.html", {"agency": agency, "form": form, "title": title}, status=status
    )


@login_required
@require_POST
def procedure_delete(request: HttpRequest, pk: int, procedure_pk: int) -> HttpResponse:
    agency = _agency(request, pk, edit=True)
    procedure = get_object_or_404(AdministrativeProcedure, pk=procedure_pk, agency=agency)
    services.procedure_delete(procedure=procedure, actor=request.user)
    messages.success(request, _("The procedure was removed from the scope."))
    return redirect("qms:profile", agency.pk)


@login_required
@require_http_methods(["GET", "POST"])
def procedure_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a list of procedures in two steps: the file is checked and what it would change is shown
    (new, changed, vanished), nothing saved; "Import these changes" then saves them. The checked rows wait
    in the session between the two, under a digest the confirmation must name."""
    agency = _agency(request, pk, edit=True)
    key = f"procedure_import:{agency.pk}"
    if request.method == "POST" and "confirm" in request.POST:
        waiting = request.session.get(key)
        if not waiting or waiting["digest"] != request.POST["confirm"]:
            messages.error(request, _("That check is no longer current: upload the file again."))
            return redirect("qms:procedure_import", agency.pk)
        result = procedure_io.apply_import(agency=agency, rows=[tuple(r) for r in waiting["rows"]], actor=request.user)
        del request.session[key]
        messages.success(
            request,
            _("Import finished: %(created)s procedures added, %(updated)s updated.")
            % {"created": result.created, "updated": result.updated},
        )
        return redirect("qms:profile", agency.pk)
    form = ProcedureImportForm(request.POST or None, request.FILES or None)
    result = plan = digest = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result, plan = procedure_io.plan_import(agency=agency, filename=upload.name, content=upload.read())
        if result.ok and not plan.empty:
            digest = hashlib.sha256(repr(plan.rows).encode()).hexdigest()[:32]
            request.session[key] = {"digest": digest, "rows": plan.rows}
    return render(
        request,
        "migrations_tracker/procedure_import.html",
        {
            "agency": agency,
            "form": form,
            "result": result,
            "plan": plan,
            "digest": digest,
            "headers": procedure_io.HEADERS,
        },
        status=400 if (result is not None and not result.ok) or form.errors else 200,
    )


# Legal changes ----------------------------------------------------------------------------------


def _legal_changes(user: User):
    return LegalChange.objects.filter(province_scope(user))


@login_required
@require_http_methods(["GET", "POST"])
def legal_change_list(request: HttpRequest) -> HttpResponse:
    can_add = can(request.user, "legal_change.add")
    form = LegalChangeForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "legal_change.add")
        if form.is_valid():
            try:
                item = services.legal_change_create(
                    province=request.user.province, legal_change=form.instance, actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The legal change was recorded; agencies can now mark the processes it affects.")
                )
                return redirect(item)
    page = Paginator(_legal_changes(request.user), settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "migrations_tracker/legal_change_list.html",
        {
            "page": page,
            "form": form if can_add else None,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_safe
def legal_change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_legal_changes(request.user), pk=pk)
    revisions = (
        ProcessRevision.objects.filter(legal_change=item, process__agency__in=visible_agencies(request.user))
        .select_related("process", "process__agency")
        .order_by("process__agency__name", "process__code")
    )
    mine = request.user.agency if not can(request.user, "province.view") and request.user.agency_id else None
    return render(
        request,
        "migrations_tracker/legal_change_detail.html",
        {
            "item": item,
            "revisions": revisions,
            "today": timezone.localdate(),
            "mine": mine,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def revisions_edit(request: HttpRequest, pk: int, legal_change_pk: int) -> HttpResponse:
    agency = _agency(request, pk, edit=True)
    item = get_object_or_404(_legal_changes(request.user), pk=legal_change_pk, province=agency.province)
    current = ProcessRevision.objects.filter(legal_change=item, process__agency=agency)
    form = AffectedProcessesForm(
        request.POST or None, agency=agency, initial={"processes": [r.process_id for r in current]}
    )
    if request.method == "POST" and form.is_valid():
        services.revisions_mark(
            legal_change=item, agency=agency, processes=form.cleaned_data["processes"], actor=request.user
        )
        messages.success(request, _("The affected processes were saved."))
        return redirect("qms:profile", agency.pk)
    return _form_page(request, agency, form, _("Processes affected by %(law)s") % {"law": item.number})


@login_required
@require_POST
def revision_done(request: HttpRequest, pk: int, revision_pk: int) -> HttpResponse:
    agency = _agency(request, pk, edit=True)
    revision = get_object_or_404(
        ProcessRevision.objects.select_related("legal_change"), pk=revision_pk, process__agency=agency
    )
    form = RevisionDoneForm(request.POST)
    if form.is_valid():
        try:
            services.revision_done(revision=revision, revised_on=form.cleaned_data["revised_on"], actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The revision was recorded."))
    else:
        messages.error(request, _("Enter the revision date as dd/mm/yyyy."))
    return redirect("qms:profile", agency.pk)


# Training ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def course_list(request: HttpRequest) -> HttpResponse:
    courses = TrainingCourse.objects.filter(province_scope(request.user))
    form = CourseForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "training.manage")
        if form.is_valid():
            try:
                services.course_create(province=request.user.province, course=form.instance, actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The course was added."))
                return redirect("qms:courses")
    visible_staff = StaffMember.objects.filter(agency__in=visible_agencies(request.user))
    courses = courses.annotate(n=Count("attendances", filter=Q(attendances__staff__in=visible_staff))).order_by(
        "-start_date"
    )
    page = Paginator(courses, settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "migrations_tracker/course_list.html",
        {
            "page": page,
            "form": form if can(request.user, "training.manage") else None,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


NATIONAL_COLUMNS = (
    ("name", gettext_lazy("Province")),
    ("agencies", gettext_lazy("Agencies")),
    ("mandatory", gettext_lazy("Mandatory / encouraged")),
    ("announced", gettext_lazy("Announced a QMS (by edition)")),
    ("transition_done", gettext_lazy("Transition: moved")),
    ("onsite", gettext_lazy("Inspected this year: on site / by dossier")),
    ("reports_late", gettext_lazy("Self-reports late")),
    ("findings_open", gettext_lazy("Findings open / overdue")),
    ("money_year", gettext_lazy("Consultants this year")),
)


@login_required
@require_safe
def national_dashboard(request: HttpRequest) -> HttpResponse:
    """Every province side by side (Ministry staff): one row each, sortable, as of a date; every number
    opens that province's own page, read only."""
    require(request.user, "national.view")
    as_of_form, on = _as_of(request)
    rows = national_figures.national_rows(on)
    sort = request.GET.get("sort", "name")
    sort = sort if sort in national_figures.SORTS else "name"
    descending = request.GET.get("desc") == "1"
    rows = _linked(national_figures.sort_rows(rows, sort, descending), on)
    most = max((national_figures.share(row) for row in rows), default=0) or 1
    chart = [
        {
            "name": row["province"]["name"],
            "pct": round(100 * national_figures.share(row)),
            "width": 100 * national_figures.share(row) / most,
        }
        for row in rows
    ]
    return render(
        request,
        "migrations_tracker/national.html",
        {
            "as_of_form": as_of_form,
            "on": on,
            "rows": rows,
            "total": national_figures.totals(rows),
            "editions": selectors.editions(),
            "sort": sort,
            "descending": descending,
            "as_of_query": f"as_of={on:%d/%m/%Y}",
            "chart": chart,
            "columns": NATIONAL_COLUMNS,
            "sort_direction": "descending" if descending else "ascending",
        },
    )


def _linked(rows: list[dict], on: datetime.date) -> list[dict]:
    """Each row with the links of its numbers: that province's page behind the number, opened through
    `national_go` (the addresses are written once a page, not reversed for every cell)."""
    from urllib.parse import quote

    as_of = f"as_of={on:%d/%m/%Y}"
    listed, inspections, findings = (
        reverse("qms:list"),
        reverse("inspections:inspections"),
        reverse("inspections:findings"),
    )
    targets = {
        "dashboard": f"{reverse('qms:dashboard')}?{as_of}",
        "agencies": f"{listed}?{as_of}",
        "mandatory": f"{listed}?{as_of}&obligation=mandatory",
        "encouraged": f"{listed}?{as_of}&obligation=encouraged",
        "onsite": f"{inspections}?year={on.year}&mode=onsite",
        "dossier": f"{inspections}?year={on.year}&mode=dossier",
        "rounds": reverse("inspections:rounds"),
        "findings": findings,
        "overdue": f"{findings}?overdue=1",
    }
    encoded = {key: quote(target, safe="") for key, target in targets.items()}
    go = reverse("qms:national_go", args=[0]).removesuffix("0/")
    linked = []
    for row in rows:
        opens = f"{go}{row['province']['pk']}/?next="
        editions = [
            (code, n, opens + quote(f"{listed}?{as_of}&version={code}", safe="")) for code, n in row["editions"].items()
        ]
        linked.append(
            {**row, "links": {key: opens + value for key, value in encoded.items()}, "edition_links": editions}
        )
    return linked


@login_required
@require_safe
def national_go(request: HttpRequest, pk: int) -> HttpResponse:
    """Look at one province (Ministry staff), read only: remember it in the browser and open `next` there."""
    from django.utils.http import url_has_allowed_host_and_scheme

    from iso_tracker.middleware import viewing_cookie

    require(request.user, "national.view")
    province = get_object_or_404(Province, pk=pk)  # national.view reads every province
    target = request.GET.get("next", "")
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None)):
        target = reverse("qms:dashboard")
    response = redirect(target)
    viewing_cookie(response, request.user, province)
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def national_report(request: HttpRequest, year: int) -> HttpResponse:
    """The national report of a year (Ministry staff): which provinces have closed the year, the Ministry's
    number, assessment and signer, "Make" a PDF, Excel or Word version (on the reports queue, once per
    version of the data), every version made."""
    from django.core.exceptions import ValidationError

    from agencies.forms import add_service_errors
    from inspections import signatures
    from inspections.forms import NationalNarrativeForm
    from inspections.models import NationalReport, ReportFile, SignedPdf
    from inspections.reports import national
    from inspections.reports import services as report_services
    from inspections.reports.views import queue_version
    from iso_tracker.bounds import year_or_404

    require(request.user, "national.view")
    year_or_404(year)
    report = NationalReport.objects.filter(year=year).first() or NationalReport(year=year)
    typed = request.method == "POST" and "format" not in request.POST
    form = NationalNarrativeForm(request.POST if typed else None, instance=report)
    if request.method == "POST":
        require(request.user, "national.report")
        if "format" in request.POST:

            def make(kind: str) -> ReportFile:
                return report_services.national_generate(year=year, kind=kind, actor=request.user)

            return queue_version(request, make, redirect("qms:national_report", year))
        if form.is_valid():
            try:
                report_services.national_narrative_update(year=year, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("qms:national_report", year)
    provinces = national.province_states(year)
    files = list(report_services.national_files(year)[:20])
    return render(
        request,
        "migrations_tracker/national_report.html",
        {
            "year": year,
            "provinces": provinces,
            "open": sum(not done for _p, done in provinces),
            "files": files,
            "in_progress": any(f.status in ("queued", "running") for f in files),
            "may_make": can(request.user, "national.report"),
            "formats": ReportFile.Format.choices,
            "form": form,
            "final": bool(report.pk and report.number and report.signer),
            "signed_panel": signatures.panel(SignedPdf.Kind.NATIONAL, year, year=year),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
