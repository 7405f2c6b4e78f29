"""The page shown when a request fails on something outside the app: while the database cannot be reached
(a restart, a fail-over), a short "try again" page with 503 and Retry-After; when the file storage is full
or read-only, 507 and a page that says so; any other error, a 500 page of our own. All in the visitor's
language with a way back, never Django's bare English page. It reads nothing from the database."""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .storage import StorageUnavailable

RETRY_AFTER_SECONDS = 30


def _page(status: int, title: str, message: str) -> HttpResponse:
    context = {
        "title": title,
        "message": message,
        "back": _("Back to the start page"),
        "language": translation.get_language(),
    }
    return HttpResponse(render_to_string("unavailable.html", context), status=status)


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    error = sys.exc_info()[1]
    with translation.override(getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE):
        if isinstance(error, OperationalError | InterfaceError):
            response = _page(
                503,
                _("Try again in a moment"),
                _(
                    "The database is restarting or cannot be reached right now. Wait %(retry)s seconds, then "
                    "reload the page; if you were saving something, check that it was saved."
                )
                % {"retry": RETRY_AFTER_SECONDS},
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        if isinstance(error, StorageUnavailable):
            return _page(
                507,
                _("The file could not be saved"),
                _(
                    "The server's file storage is full or cannot be written. Nothing was saved. Go back: what "
                    "you typed is still in the form; tell the system administrator, then try again."
                ),
            )
        return _page(
            500,
            _("Something went wrong"),
            _(
                "The error was recorded for the system administrator. Go back and try again; if you were saving "
                "something, check whether it was saved."
            ),
        )
