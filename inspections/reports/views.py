from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agencies.forms import add_service_errors
from agencies.models import User
from agencies.selectors import require_province_view

from ..models import AnnualReport, ReportFile
from . import services
from .data import SECTIONS, annual_figures
from .render import section_rows


class NarrativeForm(forms.ModelForm):
    class Meta:
        model = AnnualReport
        fields = ["number", "assessment", "difficulties", "proposals", "signer", "signer_title"]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in ("assessment", "difficulties", "proposals")}


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    require_province_view(request.user)
    reports = AnnualReport.objects.filter(province_id=request.user.province_id)
    this_year = timezone.localdate().year
    return render(
        request,
        "inspections/annual_report_list.html",
        {
            "reports": reports,
            "years": range(this_year, this_year - 8, -1),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, year: int) -> HttpResponse:
    require_province_view(request.user)
    report = AnnualReport.objects.filter(province_id=request.user.province_id, year=year).first() or AnnualReport(
        province=request.user.province, year=year
    )
    form = NarrativeForm(request.POST or None, instance=report)
    if request.method == "POST":
        if request.user.role != User.Role.DOST:
            raise PermissionDenied
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
    figures = annual_figures(request.user.province, year)
    return render(
        request,
        "inspections/annual_report.html",
        {
            "year": year,
            "report": report,
            "form": form,
            "figures": figures,
            "rows": section_rows(figures),
            "headings": dict(SECTIONS),
            "files": report.files.all() if report.pk else [],
            "in_progress": bool(report.pk)
            and report.files.filter(status__in=[ReportFile.Status.QUEUED, ReportFile.Status.RUNNING]).exists(),
            "can_edit": request.user.role == User.Role.DOST,
            "formats": ReportFile.Format.choices,
        },
    )


@login_required
@require_POST
def report_generate(request: HttpRequest, year: int) -> HttpResponse:
    require_province_view(request.user)
    kind = request.POST.get("format")
    if kind not in ReportFile.Format.values:
        messages.error(request, _("Choose PDF, Excel or Word."))
        return redirect("inspections:annual_report", year)
    report = (
        services.report_for(province=request.user.province, year=year)
        if request.user.role == User.Role.DOST
        else get_object_or_404(AnnualReport, province_id=request.user.province_id, year=year)
    )
    item = services.generate(report=report, kind=kind, actor=request.user)
    if item.status == ReportFile.Status.READY:
        messages.info(request, _("This version of the report was already made; it is in the list below."))
    else:
        messages.success(request, _("The report is being made in the background; this page shows it when ready."))
    return redirect("inspections:annual_report", year)


@login_required
def report_file(request: HttpRequest, pk: int) -> FileResponse:
    require_province_view(request.user)
    item = get_object_or_404(
        ReportFile.objects.filter(report__province_id=request.user.province_id, status=ReportFile.Status.READY), pk=pk
    )
    name = f"bao-cao-ISO-{item.report.year}-{item.created_at:%Y%m%d-%H%M}.{item.format}"
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=name)


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    """The leadership summary as PDF, for DOST and leadership of the province."""
    from .summary import summary_pdf

    require_province_view(request.user)
    response = HttpResponse(summary_pdf(request.user.province), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="tom-tat-HTQLCL-{timezone.localdate():%Y-%m-%d}.pdf"'
    return response
