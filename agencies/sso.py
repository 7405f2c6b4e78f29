"""Single sign-on with the province's OpenID Connect provider (mozilla-django-oidc), off unless OIDC_ENABLED.

A signed-in identity is matched to an existing, active account of this app: by the provider's subject
stored on the account from an earlier sign-in, or else by a verified e-mail address that exactly one
account without a subject carries (the subject is then stored, so a later change of address at the
provider does not lose the account). Nothing else is taken from the provider: no account is created, and
the role, province and agency stay what DOST gave the account. The session then follows the same rules as
a password sign-in (SessionRulesMiddleware): an account with a second factor gives its code."""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .models import User

log = logging.getLogger("audit")


class Backend(OIDCAuthenticationBackend):
    """Matches the provider's identity to an account; never creates one (OIDC_CREATE_USER is False)."""

    def authenticate(self, request, **kwargs):
        # A provider that cannot be reached or answers what cannot be checked signs no one in, and the
        # person is back at the sign-in page with the reason; it is never a server error.
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, KeyError, ValueError) as exc:
            log.warning("sso: sign-in refused: %s", exc)
            return None

    def retrieve_matching_jwk(self, token):
        """The provider's key that signed `token`: the one of its key id, or, for a token without one (a
        provider with a single key), the only key of its algorithm."""
        response = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT, verify=self.get_settings("OIDC_VERIFY_SSL", True), timeout=settings.OIDC_TIMEOUT
        )
        response.raise_for_status()
        header = jwt.get_unverified_header(token)
        kid, alg = header.get("kid"), header.get("alg")
        keys = [
            key
            for key in response.json().get("keys", [])
            if (kid is None or key.get("kid") == kid) and key.get("alg", alg) == alg
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("no single key of the provider matches the token")
        return jwt.PyJWK(keys[0])

    def filter_users_by_claims(self, claims):
        subject = str(claims.get("sub") or "")
        if not subject:
            return User.objects.none()
        by_subject = User.objects.filter(is_active=True, oidc_subject=subject)
        if by_subject.exists():
            return by_subject
        email = str(claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is False:
            return User.objects.none()
        return User.objects.filter(is_active=True, oidc_subject="", email__iexact=email)

    def create_user(self, claims):
        return None  # an identity at the provider is not an account here: DOST adds accounts

    def update_user(self, user, claims):
        subject = str(claims.get("sub"))
        if not user.oidc_subject:
            user.oidc_subject = subject
            user.save(update_fields=["oidc_subject"])
            log.info("sso: account %s linked to the provider's subject %s", user.username, subject)
        return user


class LoginView(auth_views.LoginView):
    """The sign-in page, with "Sign in with <provider>" where single sign-on is on."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "sso_enabled": settings.OIDC_ENABLED,
            "sso_provider": settings.OIDC_PROVIDER_NAME,
        }


def _enabled() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404


class _Start(OIDCAuthenticationRequestView):
    http_method_names = ["get", "head"]


class _Callback(OIDCAuthenticationCallbackView):
    http_method_names = ["get", "head"]

    def login_failure(self):
        messages.error(
            self.request,
            _(
                "Your identity at %(provider)s matches no account here. Ask the Department of Science and "
                "Technology to give your account the e-mail address you use there."
            )
            % {"provider": settings.OIDC_PROVIDER_NAME},
        )
        return redirect("login")


@require_safe
def start(request: HttpRequest) -> HttpResponse:
    """To the provider's sign-in page (with `next`, where to come back to)."""
    _enabled()
    return _Start.as_view()(request)


@require_safe
def callback(request: HttpRequest) -> HttpResponse:
    """Back from the provider: the account matched, signed in; or the sign-in page, saying why not."""
    _enabled()
    return _Callback.as_view()(request)
