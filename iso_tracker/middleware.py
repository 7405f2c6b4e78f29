import functools
import ipaddress
import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils import translation


class PreferredLanguageMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose English with the switch (a cookie), whatever the browser asks.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a provincial product is
    Vietnamese first, so only an explicit choice changes the language. The API (`/api/v1/`, and its
    schema) is called by programs, which say what they want with Accept-Language: it is followed there
    (Vietnamese when it names neither language)."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES) and request.path.startswith(("/api/v1/", "/api/schema/")):
            chosen = translation.get_language_from_request(request)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


SESSION_AUTH_AT = "auth_at"
SESSION_LAST_SEEN = "last_seen"
SESSION_OTP_REQUIRED = "otp_required"
SESSION_OTP_SETUP_REQUIRED = "otp_setup_required"
# The last-seen time is written at most once a minute, so browsing does not write on every request.
_LAST_SEEN_RESOLUTION = 60
# What a signed-in user who still owes the second factor may reach.
_BEFORE_SECOND_FACTOR = {"two_factor_verify", "logout", "set_language"}
# What a DOST or leadership account without an authenticator app may reach where one is compulsory.
_BEFORE_SET_UP = {"two_factor", "logout", "set_language"}


def start_session(request, user) -> None:
    """At sign-in (Django has just given the session a new key): stamp it for the expiry rules."""
    from django_otp import user_has_device

    from .permissions import can

    now = time.time()
    request.session[SESSION_AUTH_AT] = now
    request.session[SESSION_LAST_SEEN] = now
    has_device = user_has_device(user, confirmed=True)
    request.session[SESSION_OTP_REQUIRED] = has_device
    request.session[SESSION_OTP_SETUP_REQUIRED] = (
        settings.TWO_FACTOR_REQUIRED and not has_device and can(user, "two_factor.required")
    )


def _url_name(request) -> str | None:
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None


class SessionRulesMiddleware:
    """Ends a session after SESSION_IDLE_MINUTES without a request or SESSION_ABSOLUTE_HOURS after
    sign-in, checked on the server whatever the cookie says; holds an account that has a second
    factor at the code page until the code is given; and, with TWO_FACTOR_REQUIRED, holds DOST and
    leadership accounts without an authenticator app at its set-up page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                return redirect_to_login(request.get_full_path(), f"{resolve_url(settings.LOGIN_URL)}?expired=1")
            if request.session.get(SESSION_OTP_REQUIRED) and not user.is_verified():
                if _url_name(request) not in _BEFORE_SECOND_FACTOR:
                    return redirect_to_login(request.get_full_path(), reverse("two_factor_verify"))
            elif request.session.get(SESSION_OTP_SETUP_REQUIRED) and _url_name(request) not in _BEFORE_SET_UP:
                return redirect("two_factor")
        return self.get_response(request)

    @staticmethod
    def _expired(request) -> bool:
        session = request.session
        now = time.time()
        auth_at = session.get(SESSION_AUTH_AT)
        last_seen = session.get(SESSION_LAST_SEEN)
        if auth_at is None:  # a session from before these rules, or made by a test's force_login
            session[SESSION_AUTH_AT] = session[SESSION_LAST_SEEN] = now
            return False
        if now - auth_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
            return True
        if last_seen is not None and now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
            return True
        if last_seen is None or now - last_seen >= _LAST_SEEN_RESOLUTION:
            session[SESSION_LAST_SEEN] = now
        return False


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:  # an IPv4 peer of a server listening on [::]
        return address.ipv4_mapped
    return address


def client_ip(request) -> str | None:
    """The client's address: the one sign-in throttling (AXES_CLIENT_IP_CALLABLE) and the audit trail use.

    The peer's address (REMOTE_ADDR), unless USE_X_REAL_IP is on and the peer is one of TRUSTED_PROXIES:
    then the address that proxy passes in X-Real-IP. A client reaching gunicorn directly therefore cannot
    choose its address by sending the header. Applied twice it gives the same answer (RealIPMiddleware
    has already put it in REMOTE_ADDR, and it is the header's value)."""
    peer = _address(request.META.get("REMOTE_ADDR"))
    if peer is None:  # none (a test's request without one) or not an address
        return None
    if settings.USE_X_REAL_IP and any(peer in network for network in _networks(tuple(settings.TRUSTED_PROXIES))):
        forwarded = _address(request.META.get("HTTP_X_REAL_IP"))
        if forwarded is not None:
            return str(forwarded)
    return str(peer)


class RealIPMiddleware:
    """Puts the client's address (`client_ip`: X-Real-IP when a trusted proxy sends it) in REMOTE_ADDR,
    so that everything reading REMOTE_ADDR sees the same address as throttling."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        address = client_ip(request)
        if address:
            request.META["REMOTE_ADDR"] = address
        return self.get_response(request)


VIEWING_COOKIE = "iso_viewing_province"
_VIEWING_SALT = "iso_tracker.viewing_province"


def viewing_cookie(response, user, province) -> None:
    """Remember in the browser (a signed cookie bound to the account: nothing is written on the server) the
    province a Ministry user chose to look at."""
    response.set_signed_cookie(
        VIEWING_COOKIE,
        f"{user.pk}:{province.pk}",
        salt=_VIEWING_SALT,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _viewing_province_id(request) -> int | None:
    value = request.get_signed_cookie(VIEWING_COOKIE, default="", salt=_VIEWING_SALT)
    user_id, _, province_id = value.partition(":")
    if user_id != str(request.user.pk) or not province_id.isdigit():
        return None
    return int(province_id)


class NationalViewMiddleware:
    """Ministry staff belong to no province; the one they chose on the national dashboard is theirs for each
    request (in memory only: `User.save` never stores it), so every province page, list and download shows
    it to them read only, through the same permission rules and scopes as leadership's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from agencies.models import Province, User

        user = request.user
        if user.is_authenticated and getattr(user, "role", "") == User.Role.MINISTRY:
            chosen = _viewing_province_id(request)
            user.province = Province.objects.filter(pk=chosen).first() if chosen else None
            user.agency = None
        return self.get_response(request)
