from __future__ import annotations

import datetime
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
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies.forms import add_service_errors
from agencies.models import Agency, Category, User
from agencies.selectors import visible_agencies
from iso_tracker.concurrency import CONFLICT_MESSAGE, EditConflict
from iso_tracker.pagination import paginate
from iso_tracker.permissions import can, province_scope, require

from . import procedure_io, selectors, services, snapshots
from .forms import (
    AffectedProcessesForm,
    AnnouncementForm,
    AsOfForm,
    AttendanceForm,
    ContractForm,
    CourseForm,
    CriteriaForm,
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
    AdministrativeProcedure,
    LegalChange,
    Milestone,
    ProcessRevision,
    QMSProfile,
    StaffMember,
    Stage,
    TrainingCourse,
    Version,
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


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "province.view") and request.user.agency_id:
        return redirect("qms:profile", request.user.agency_id)
    require(request.user, "province.view")
    as_of_form, on = _as_of(request)
    figures, computed_at = snapshots.dashboard_figures(request.user, on)
    counts, versions, stages = figures["flags"], figures["versions"], figures["stages"]
    total = sum(versions.values())
    categories = dict(Category.choices)
    return render(
        request,
        "migrations_tracker/dashboard.html",
        {
            "as_of_form": as_of_form,
            "on": on,
            "as_of": on.strftime("%d/%m/%Y"),
            "total": total,
            "versions": [(key, label, versions.get(key, 0)) for key, label in Version.choices],
            "stages": [(key, label, stages.get(key, 0)) for key, label in Stage.choices]
            if stages is not None
            else None,
            "transition": [{**row, "label": categories[row["category"]]} for row in figures["transition"]],
            "milestone_kinds": Milestone.Kind.choices,
            "flags": [(flag, counts[flag.key]) for flag in selectors.FLAGS],
            "spending": figures["spending"],
            "gaps": figures["gaps"],
            "computed_at": computed_at,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_safe
def flag_list(request: HttpRequest, key: str) -> HttpResponse:
    require(request.user, "province.view")
    flag = selectors.FLAGS_BY_KEY.get(key) or _raise404()
    as_of_form, on = _as_of(request)
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
    """The agencies behind a number of the dashboard (version, stage, milestone, category, as of a date)."""
    require(request.user, "province.view")
    form = CriteriaForm(request.GET)
    criteria = {k: v for k, v in form.cleaned_data.items() if k != "as_of" and v} if form.is_valid() else {}
    on = (form.cleaned_data.get("as_of") if form.is_valid() else None) or timezone.localdate()
    rows = selectors.matching(selectors.population_rows(request.user, on), on, **criteria)
    page, query = paginate(request, rows)
    described = [str(dict(form.fields[k].choices)[v]) for k, v in criteria.items()]
    return render(
        request,
        "migrations_tracker/flag_list.html",
        {
            "title": " · ".join(described) or _("All agencies"),
            "page": page,
            "on": on,
            "as_of_form": form,
            "query": query,
            "keep": list(criteria.items()),
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
    ReviewForm: lambda agency, form, upload, actor: services.record_save(
        _with_agency(form.instance, agency), agency=agency, upload=upload, actor=actor
    ),
    ContractForm: lambda agency, form, upload, actor: services.record_save(
        _with_agency(form.instance, agency), agency=agency, upload=upload, actor=actor
    ),
    MilestoneForm: lambda agency, form, upload, actor: services.milestone_record(
        agency=agency,
        kind=form.cleaned_data["kind"],
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
    "milestone": Section(gettext_lazy("Transition milestone"), MilestoneForm),
    "contract": Section(gettext_lazy("Consultant contract"), ContractForm),
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
    agency = _agency(request, pk, edit=True)
    form = ProcedureImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = procedure_io.import_procedures(
            agency=agency, filename=upload.name, content=upload.read(), actor=request.user
        )
        if result.ok:
            messages.success(
                request,
                _("Import finished: %(created)s procedures added, %(updated)s updated.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("qms:profile", agency.pk)
    return render(
        request,
        "migrations_tracker/procedure_import.html",
        {
            "agency": agency,
            "form": form,
            "result": result,
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
