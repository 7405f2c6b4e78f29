"""What every endpoint shares: the query parameters (checked: a bad one is a 400 naming it), the Ministry's
province, and errors as JSON in the caller's language. (Who is asking, what a token may do and the pages
are in `auth`.)"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler
from rest_framework.viewsets import GenericViewSet

from agencies.models import Province, User
from iso_tracker.bounds import FIRST_YEAR, LAST_YEAR, validate_date
from iso_tracker.concurrency import CONFLICT_MESSAGE, EditConflict
from iso_tracker.permissions import is_ministry

from .auth import ApiAccess


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = CONFLICT_MESSAGE
    default_code = "conflict"


def handle(exc, context):
    """Every error as JSON in the caller's language (Accept-Language, Vietnamese by default): the rules'
    and services' own messages kept (`{"detail": …}`, or a message per field)."""
    if isinstance(exc, Http404):  # "Not found.", never "No <model> matches the given query."
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    elif isinstance(exc, EditConflict):
        exc = Conflict()
    return exception_handler(exc, context)


class Query(serializers.Serializer):
    """Every query parameter an endpoint reads, checked like a form's fields."""

    as_of = serializers.DateField(required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    category = serializers.CharField(required=False, allow_blank=True, max_length=40)
    agency = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    year = serializers.IntegerField(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    status = serializers.CharField(required=False, allow_blank=True, max_length=20)
    province = serializers.CharField(required=False, allow_blank=True, max_length=10)
    kind = serializers.CharField(required=False, allow_blank=True, max_length=10)

    def validate_as_of(self, value: datetime.date) -> datetime.date:
        try:
            validate_date(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


def query(request) -> dict:
    """The request's query parameters, checked once (a 400 naming each bad one)."""
    if not hasattr(request, "_checked_query"):
        checked = Query(
            data={key: request.query_params.get(key) for key in Query().fields if key in request.query_params}
        )
        checked.is_valid(raise_exception=True)
        request._checked_query = checked.validated_data
    return request._checked_query


def as_of(request) -> datetime.date:
    """The `as_of` day of a request (YYYY-MM-DD), today by default."""
    return query(request).get("as_of") or timezone.localdate()


def one_of(request, name: str, choices) -> str:
    """The parameter `name` if it is one of `choices` ("" if not given); a 400 otherwise."""
    value = query(request).get(name, "")
    if value and value not in choices:
        message = _("Choose one of: %(values)s.") % {"values": ", ".join(choices)}
        raise exceptions.ValidationError({name: [message]})
    return value


def narrowed(request, rows, *, year: str = "", choices=()):
    """`rows` of `?agency=`, `?year=` (the field named `year`) and `?status=` (one of `choices`) when asked."""
    params = query(request)
    if "agency" in params:
        rows = rows.filter(agency_id=params["agency"])
    if year and "year" in params:
        rows = rows.filter(**{year: params["year"]})
    if choices:
        wanted = one_of(request, "status", choices)
        if wanted:
            rows = rows.filter(status=wanted)
    return rows


class ScopedViewSet(GenericViewSet):
    """A viewset read through the user's scope. Ministry staff name the province they read with
    `?province=<code>` (signed in in a browser, the one chosen on the national dashboard holds until
    then); without one they see nothing of a province."""

    permission_classes = [ApiAccess]
    lookup_value_regex = r"[0-9]{1,10}"  # a record's id; any other path does not exist

    def initial(self, request, *args, **kwargs):
        if int(kwargs.get(self.lookup_field, 0)) > 2**31 - 1:  # no record has it (and no database takes it)
            raise exceptions.NotFound
        super().initial(request, *args, **kwargs)
        user: User = request.user
        if is_ministry(user) and "province" in request.query_params:
            code = query(request).get("province", "")
            user.province = Province.objects.filter(code=code).first() if code else None
            user.agency = None


# The query parameters as the schema describes them.
AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description=_("The day (YYYY-MM-DD); today by default."))
PROVINCE = OpenApiParameter("province", str, description=_("Ministry staff: the code of the province they read."))
AGENCY = OpenApiParameter("agency", int, description=_("Only this agency's records."))
YEAR = OpenApiParameter("year", int, description=_("Only this year's."))
STATUS = OpenApiParameter("status", str, description=_("Only in this status."))


def documented(many, one, *, create=None, filters=(AGENCY,)):
    """A resource's operations as the schema and the docs page name them (in the reader's language)."""
    views = {
        "list": extend_schema(summary=many, parameters=[PROVINCE, *filters]),
        "retrieve": extend_schema(summary=one, parameters=[PROVINCE]),
    }
    if create:
        views["create"] = extend_schema(summary=create, parameters=[PROVINCE])
    return extend_schema_view(**views)
