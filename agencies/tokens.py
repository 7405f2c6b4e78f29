"""Personal API tokens (issue 18), on one's own profile page (`/accounts/tokens/`): make one (named, read
only or not, for 30 to 365 days, confirmed with one's own password), see it once, revoke it. Only the
SHA-256 digest is kept; a token acts as its owner, through the same rules and scopes as their pages."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .forms import ReauthForm
from .models import ApiToken

LIFETIMES = [(30, gettext_lazy("30 days")), (90, gettext_lazy("90 days")), (365, gettext_lazy("1 year"))]
MAX_ACTIVE = 20  # active tokens an account may hold


class TokenForm(ReauthForm):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=100, help_text=ApiToken._meta.get_field("name").help_text
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Valid for"), choices=LIFETIMES, coerce=int, initial=90, widget=forms.RadioSelect
    )
    read_only = forms.BooleanField(
        label=gettext_lazy("Read only"),
        required=False,
        initial=True,
        help_text=gettext_lazy("Untick to let it record what you may record (audits, announcements, answers)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["name", "days", "read_only", "your_password"])

    def clean(self):
        cleaned = super().clean()
        active = self.actor.api_tokens.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).count()
        if active >= MAX_ACTIVE:
            raise forms.ValidationError(_("You have %(n)s active tokens: revoke one first.") % {"n": active})
        return cleaned


def _page(request: HttpRequest, form: TokenForm, shown: str = "", status: int = 200) -> HttpResponse:
    tokens = request.user.api_tokens.all()[:100]
    return render(
        request,
        "registration/tokens.html",
        {"form": form, "tokens": tokens, "shown": shown, "now": timezone.now()},
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenForm(request=request))
    form = TokenForm(request.POST, request=request)
    if not form.is_valid():
        return _page(request, form, status=400)
    _token, text = ApiToken.issue(
        user=request.user,
        name=form.cleaned_data["name"],
        read_only=form.cleaned_data["read_only"],
        expires_at=timezone.now() + datetime.timedelta(days=form.cleaned_data["days"]),
    )
    # Shown in this answer only: the page is not cached, and the text is never stored.
    response = _page(request, TokenForm(request=request), shown=text)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # another's token does not exist
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        messages.success(request, _("The token “%(name)s” was revoked: it no longer works.") % {"name": token.name})
    return redirect("tokens")
