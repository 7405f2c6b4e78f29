"""Signing in and giving a password again: the session stamp at sign-in, django-axes' handler with a
limit per address, and the throttled check of a password given again (re-authentication, the old
password of a change)."""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_failure_limit
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import ngettext

from iso_tracker.middleware import start_session

from .models import User


@receiver(user_logged_in)
def _stamp_new_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start_session(request, user)


class AddressLimitHandler(AxesDatabaseHandler):
    """django-axes' database handler (AXES_HANDLER), plus a limit per address across user names.

    Axes locks a user name at one address after AXES_FAILURE_LIMIT failures, which a password sprayed
    over many user names never reaches. So an address with AXES_ADDRESS_FAILURE_LIMIT failures within
    the cool-off, all user names together, is locked out for every user name until they age out."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        if request.axes_ip_address is None:
            return failures
        recent = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
        )
        at_address = recent.aggregate(total=Sum("failures_since_start"))["total"] or 0
        if at_address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def password_confirmed(request: HttpRequest, user: User, password: str) -> bool:
    """Is `password` the signed-in `user`'s own (re-authentication, or the old password of a change)?

    Checked like a sign-in, through `authenticate`, which django-axes watches: a wrong password counts
    against the same limits, and once the user name (at this address) or the address is locked out,
    even the right password is refused: a ValidationError says so. Success forgets the failures, as
    signing in does."""
    confirmed = authenticate(request, username=user.get_username(), password=password)
    if getattr(request, "axes_locked_out", False):
        request.axes_locked_out = False  # the form says so; AxesMiddleware would show the sign-in lockout page
        minutes = int(get_cool_off(request).total_seconds() // 60)
        message = ngettext(
            "Too many wrong passwords: try again in %(minutes)d minute. Nothing was changed.",
            "Too many wrong passwords: try again in %(minutes)d minutes. Nothing was changed.",
            minutes,
        )
        raise forms.ValidationError(message % {"minutes": minutes}, code="locked_out")
    if confirmed is None or confirmed.pk != user.pk:
        return False
    if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.update_request(request)
        AxesProxyHandler.get_implementation().reset_user_attempts(request, get_credentials(user.get_username()))
    return True
