from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agencies.forms import add_service_errors
from iso_tracker.bounds import year_or_404
from iso_tracker.permissions import can, province_scope, require

from .. import signatures
from ..forms import NarrativeForm, ReportingPeriodForm
from ..models import AnnualReport, ReportFile, SignedPdf
from . import services
from .data import annual_figures, headings, period
from .render import section_rows

# Said when the job queue cannot be reached: nothing was queued and nothing is left half-made.
QUEUE_DOWN = gettext_lazy("The job queue cannot be reached now; nothing was queued. Try again in a minute.")


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    """The years' reports, and (DOST) the province's reporting period."""
    require(request.user, "province.view")
    province = request.user.province
    may_set = can(request.user, "inspections.manage", province)
    form = ReportingPeriodForm(request.POST or None, instance=province) if may_set else None
    if request.method == "POST":
        require(request.user, "inspections.manage", province)
        if form.is_valid():
            try:
                services.reporting_period_set(
                    province=province, reporting_period=form.cleaned_data["reporting_period"], actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("inspections:annual_reports")
    today = timezone.localdate()
    numbers = dict(AnnualReport.objects.filter(province_scope(request.user)).values_list("year", "number"))
    made = dict(
        ReportFile.objects.filter(province_scope(request.user, "report__province"), status=ReportFile.Status.READY)
        .values("report__year")
        .annotate(last=Max("created_at"))
        .values_list("report__year", "last")
    )
    rows = [
        {
            "year": year,
            "number": numbers.get(year, ""),
            "last_made": made.get(year),
            "finished": period(province, year)[1] < today,
        }
        for year in range(today.year, today.year - 8, -1)
    ]
    return render(
        request,
        "inspections/annual_report_list.html",
        {
            "rows": rows,
            "form": form,
            "province": province,
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, "province.view")
    year_or_404(year)
    report = AnnualReport.objects.filter(province_scope(request.user), year=year).first() or AnnualReport(
        province=request.user.province, year=year
    )
    form = NarrativeForm(request.POST or None, instance=report)
    if request.method == "POST":
        require(request.user, "inspections.manage")
        if form.is_valid():
            try:
                services.narrative_update(
                    report=services.report_for(province=request.user.province, year=year),
                    actor=request.user,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("inspections:annual_report", year)
    figures = annual_figures(request.user.province, year, language=get_language())
    return render(
        request,
        "inspections/annual_report.html",
        {
            "year": year,
            "report": report,
            "form": form,
            "figures": figures,
            "rows": section_rows(figures),
            "headings": headings(figures),
            "files": report.files.select_related("requested_by") if report.pk else [],
            "in_progress": bool(report.pk)
            and report.files.filter(status__in=[ReportFile.Status.QUEUED, ReportFile.Status.RUNNING]).exists(),
            "can_edit": can(request.user, "inspections.manage"),
            "can_make": can(request.user, "annual_report.make", report),
            "period_end": period(report.province, year)[1],
            "formats": ReportFile.Format.choices,
            "signed_panel": signatures.panel(SignedPdf.Kind.ANNUAL, year, province=request.user.province, year=year),
        },
    )


@login_required
@require_POST
def report_generate(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, "province.view")
    year_or_404(year)

    def make(kind: str) -> ReportFile:
        require(request.user, "annual_report.make", AnnualReport(province=request.user.province, year=year))
        report = services.report_for(province=request.user.province, year=year)
        return services.generate(report=report, kind=kind, actor=request.user)

    return queue_version(request, make, redirect("inspections:annual_report", year))


def queue_version(request: HttpRequest, make, back: HttpResponse) -> HttpResponse:
    """ "Make PDF / Excel / Word": `make(kind)` queues that version (or finds it made); the page `back` then
    says what happened: made already, on its way, or the queue unreachable (nothing queued)."""
    kind = request.POST.get("format")
    if kind not in ReportFile.Format.values:
        messages.error(request, _("Choose PDF, Excel or Word."))
        return back
    try:
        item = make(kind)
    except services.QueueUnavailable:
        messages.error(request, QUEUE_DOWN)
        return back
    if item.status == ReportFile.Status.READY:
        messages.info(request, _("This version of the report was already made; it is in the list below."))
    else:
        messages.success(request, _("The report is being made in the background; this page shows it when ready."))
    return back


@login_required
@require_safe
def report_file(request: HttpRequest, pk: int) -> FileResponse:
    national = can(request.user, "national.view")
    if not national:
        require(request.user, "province.view")
    mine = (
        province_scope(request.user, "report__province")
        | province_scope(request.user, "plan__province")
        | province_scope(request.user, "summary_of")
    )
    if national:  # the national report (and, looking at a province, that province's files)
        mine = (mine if can(request.user, "province.view") else Q(pk__in=[])) | Q(national_year__isnull=False)
    item = get_object_or_404(
        ReportFile.objects.filter(mine, status=ReportFile.Status.READY).select_related("report", "plan"), pk=pk
    )
    made = timezone.localtime(item.created_at)  # the time the page shows, in Vietnam
    if item.national_year:
        name = f"bao-cao-toan-quoc-{item.national_year}-{made:%Y%m%d-%H%M}.{item.format}"
    elif item.summary_of_id:
        name = f"tom-tat-HTQLCL-{item.summary_on:%Y-%m-%d}-{made:%H%M}.pdf"
    elif item.plan_id:
        name = f"mau-19-ke-hoach-kiem-tra-{item.plan.year}-{made:%Y%m%d-%H%M}.pdf"
    else:
        name = f"bao-cao-ISO-{item.report.year}-{made:%Y%m%d-%H%M}.{item.format}"
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=name)


@login_required
@require_safe
def summary(request: HttpRequest) -> HttpResponse:
    """The leadership summary as PDF, for DOST and leadership of the province. A large province's is made
    on the reports queue (never in the request); until the one of the latest data is ready, a page says
    so and offers the last one made."""
    from .summary import summary_pdf

    require(request.user, "province.view")
    province, today = request.user.province, timezone.localdate()
    name = f"tom-tat-HTQLCL-{today:%Y-%m-%d}.pdf"
    if not services.summary_is_large(province):
        response = HttpResponse(summary_pdf(province), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # National scale: the reports job makes it once per version of the data; the request only serves it.
    ready = services.summary_file(province, today)
    if ready is not None:
        return FileResponse(ready.file.open("rb"), as_attachment=True, filename=name)
    return render(request, "inspections/summary_wait.html", services.summary_state(province, today))
