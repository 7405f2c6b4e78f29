"""Who is asking the API, what a token may do, and how lists are paged: the classes named in the settings'
REST_FRAMEWORK. (Apart from `base`: DRF imports them while `rest_framework.views` is still loading, so
they must not import it.)"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission

from agencies.models import ApiToken
from iso_tracker.permissions import ACTIONS, can


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`: a personal token that is neither expired nor revoked, of an active
    account. The token is looked up by its SHA-256 digest; its text is never stored."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            text = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked.")) from None
        token = (
            ApiToken.objects.select_related("user", "user__province", "user__agency")
            .filter(digest=ApiToken.digest_of(text))
            .first()
        )
        if token is None or not token.active or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class SessionWithoutSecondStep(SessionAuthentication):
    """The browser's session (the docs page), once its two-step sign-in is done: the session rules'
    middleware has already sent anyone who owes a code to the code page."""


class ApiAccess(BasePermission):
    """Signed in; a read-only token reads only. What the user may do with an object is the services'
    `require` (the web's rules), what they see the views' scopes."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            self.message = _("This token is read only.")
            return False
        if not can(request.user, "api.write"):
            self.message = ACTIONS["api.write"][1]
            return False
        return True


class ByPk(CursorPagination):
    """Pages by cursor, in the order records were made: stable while records are added."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    cursor_query_description = _("Where the page starts: as in the “next” or “previous” link of a page.")
    page_size_query_description = _("Rows on a page: 50 unless asked, at most 200.")
