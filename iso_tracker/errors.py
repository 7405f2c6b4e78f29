"""The page shown when a request fails: while the database cannot be reached (a restart, a fail-over),
a short "try again" page with 503 and Retry-After instead of a bare 500; any other error, Django's 500.
It reads nothing from the database."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        page = render_to_string("503.html", {"retry": RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request, *args, **kwargs)
