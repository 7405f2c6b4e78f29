"""The signed copies of a document (annual report, national report, Mẫu 19/20/21): listed with what their
verification found, signed with the server's certificate, or uploaded once signed elsewhere."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from iso_tracker.permissions import can, require

from . import signatures
from .forms import SignedPdfForm
from .models import SignedPdf
from .selectors import visible_signed


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def signed_list(request: HttpRequest, kind: str, ref: int) -> HttpResponse:
    target = signatures.subject(request.user, kind, ref)
    may_sign = can(request.user, target.sign_action, target.sign_object)
    form = SignedPdfForm()
    status = 200
    if request.method == "POST":
        require(request.user, target.sign_action, target.sign_object)
        server = "server" in request.POST
        if not server:
            form = SignedPdfForm(request.POST, request.FILES)
        try:
            if server:
                item = signatures.sign_on_server(target, actor=request.user)
            elif form.is_valid():
                item = signatures.upload(target, form.cleaned_data["file"].read(), actor=request.user)
            else:
                item = None
        except signatures.Refused as exc:
            item = None
            if server:
                messages.error(request, exc.message)
            else:
                form.add_error("file", exc.message)
        if item is not None:
            messages.success(
                request,
                _("The signed copy was verified and kept: signed by %(signer)s.") % {"signer": item.signer},
            )
            return redirect("inspections:signatures", kind, ref)
        status = 400
    return render(
        request,
        "inspections/signatures.html",
        {
            "target": target,
            "signed": target.signed(),
            "form": form,
            "may_sign": may_sign,
            "server_configured": signatures.server_configured(),
        },
        status=status,
    )


@login_required
@require_safe
def signed_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """A signed copy, for whoever may see the document it signs."""
    item = get_object_or_404(SignedPdf, pk=pk)
    ref = (
        item.year
        if item.kind in (SignedPdf.Kind.ANNUAL, SignedPdf.Kind.NATIONAL)
        else item.plan_id or item.inspection_id
    )
    target = signatures.subject(request.user, item.kind, ref)  # 403 for a role that never sees such documents
    if not visible_signed(request.user).filter(pk=item.pk).exists():
        raise Http404  # e.g. another province's annual report of the same year: the API's own scope
    made = timezone.localtime(item.created_at)
    name = slugify(f"{target.title}-{made:%Y%m%d-%H%M}-da-ky")
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=f"{name}.pdf")
