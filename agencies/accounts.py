"""User accounts of a province, managed by its DOST staff; and the optional second factor (TOTP).

Changing an account's role, agency, status or password asks the DOST staff member for their own
password again (re-authentication), so that an unattended signed-in browser cannot hand out roles.
A password given again is checked like a sign-in, throttled by django-axes (`password_confirmed`).

Every view accepts only the methods it serves (others: 405), and a GET writes nothing."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from iso_tracker.middleware import SESSION_OTP_REQUIRED, SESSION_OTP_SETUP_REQUIRED
from iso_tracker.pagination import paginate
from iso_tracker.permissions import can, require

from .forms import DisableForm, PasswordChangeForm, ReauthForm, TokenForm, UserAccountForm, UserSearchForm
from .invitations import send_invitation
from .models import User

# A page with a form: shown by GET (and HEAD), submitted by POST; any other method is refused (405).
require_page_or_form = require_http_methods(["GET", "HEAD", "POST"])


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    http_method_names = ["get", "head", "post"]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


# --- The accounts of a province ---------------------------------------------------------------


def province_users(user: User):
    require(user, "accounts.manage")
    mine = Q(province_id=user.province_id) | Q(agency__province_id=user.province_id)
    return User.objects.filter(mine, is_superuser=False).select_related("agency")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    users = province_users(request.user).order_by("role", "agency__name", "username")
    if request.method not in ("GET", "HEAD"):  # after the permission: others are refused (403) whatever the method
        return HttpResponseNotAllowed(["GET", "HEAD"])
    search = UserSearchForm(request.GET)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    if search.errors:
        messages.error(request, _("Some filters were not understood and were left out."))
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(last_name__icontains=q)
            | Q(first_name__icontains=q)
            | Q(agency__name__icontains=q)
        )
    page, query = paginate(request, users)
    return render(
        request,
        "registration/user_list.html",
        {"page": page, "query": query, "q": request.GET.get("q", "")},
        status=400 if search.errors else 200,
    )


def _user_form(request: HttpRequest, account: User | None) -> HttpResponse:
    form = UserAccountForm(request.POST or None, instance=account, request=request)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("The account %(name)s was saved.") % {"name": saved.username})
        if form.cleaned_data.get("invite"):
            send_invitation(request, saved)
        return redirect("accounts:users")
    title = _("New account") if account is None else _("Account %(name)s") % {"name": account.username}
    return render(request, "registration/user_form.html", {"form": form, "title": title, "account": account})


@require_page_or_form
@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    province_users(request.user)
    return _user_form(request, None)


@require_page_or_form
@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(province_users(request.user), pk=pk)
    if account.pk == request.user.pk:
        raise PermissionDenied(_("Your own role and status are changed by a colleague; your password on its own page."))
    return _user_form(request, account)


@require_POST
@login_required
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an account its invitation again (a new one-time link), confirmed with one's own password."""
    account = get_object_or_404(province_users(request.user), pk=pk)
    if account.pk == request.user.pk:
        raise PermissionDenied(_("Your own password is changed on its own page."))
    form = ReauthForm(request.POST, request=request)
    if form.is_valid():
        send_invitation(request, account)
    else:
        messages.error(request, form.errors["your_password"][0])
    return redirect("accounts:edit", account.pk)


# --- Two-step sign-in (TOTP) ----------------------------------------------------------------


def _qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


@require_page_or_form
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Status, set-up (ask for a key, scan its code, confirm with one code) and switching off.

    A visit writes nothing: the key (an unconfirmed device) is made by the set-up button's POST."""
    user = request.user
    require(user, "two_factor.use")
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed:
        form = DisableForm(request.POST or None, device=confirmed, request=request)
        if request.method == "POST" and form.is_valid():
            if settings.TWO_FACTOR_REQUIRED and can(user, "two_factor.required"):
                messages.error(
                    request, _("Two-step sign-in is compulsory in this province; it cannot be switched off.")
                )
                return redirect("two_factor")
            TOTPDevice.objects.filter(user=user).delete()
            request.session[SESSION_OTP_REQUIRED] = False
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("two_factor")
        return render(
            request,
            "registration/two_factor.html",
            {"enabled": True, "form": form, "compulsory": settings.TWO_FACTOR_REQUIRED},
        )
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if request.method == "POST" and (pending is None or "set_up" in request.POST):
        if pending is None:
            TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
        return redirect("two_factor")
    if pending is None:
        return render(
            request,
            "registration/two_factor.html",
            {"enabled": False, "form": None, "compulsory": settings.TWO_FACTOR_REQUIRED},
        )
    form = TokenForm(request.POST or None, device=pending)
    if request.method == "POST" and form.is_valid():
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        otp_login(request, pending)
        request.session[SESSION_OTP_REQUIRED] = True
        request.session[SESSION_OTP_SETUP_REQUIRED] = False
        messages.success(request, _("Two-step sign-in is on: from now on you give a code after your password."))
        return redirect("two_factor")
    secret = base64.b32encode(pending.bin_key).decode("ascii")
    return render(
        request,
        "registration/two_factor.html",
        {
            "enabled": False,
            "form": form,
            "qr": _qr_data_uri(pending.config_url),
            "secret": secret,
            "compulsory": settings.TWO_FACTOR_REQUIRED,
        },
    )


@require_page_or_form
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in, for an account that has an authenticator app."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: `redirect` would take "abc" for the name of a view (NoReverseMatch).
    safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure())
    if not safe or not next_url.startswith("/") or "\x00" in next_url:
        next_url = ""
    if device is None or request.user.is_verified():
        return HttpResponseRedirect(next_url) if next_url else redirect("home")
    form = TokenForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        return HttpResponseRedirect(next_url) if next_url else redirect("home")
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@require_POST
@login_required
def two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """DOST staff remove a colleague's lost authenticator app (with their own password); not their own."""
    account = get_object_or_404(province_users(request.user), pk=pk)
    if account.pk == request.user.pk:
        raise PermissionDenied(
            _("Your own authenticator app is switched off on the two-step sign-in page, with a code.")
        )
    form = ReauthForm(request.POST, request=request)
    if form.is_valid():
        TOTPDevice.objects.filter(user=account).delete()
        messages.success(request, _("The authenticator app of %(name)s was removed.") % {"name": account.username})
    else:
        messages.error(request, form.errors["your_password"][0])
    return redirect("accounts:edit", account.pk)
