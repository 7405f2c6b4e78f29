"""The registry through the API (issue 18): agencies as they stood on a day, with who must apply a QMS
and the edition they had announced by then; read only (the registry is kept on its pages)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from iso_tracker.api.base import AS_OF, PROVINCE, ScopedViewSet, as_of, one_of, query
from migrations_tracker.selectors import population_rows, with_version

from .models import Category, Obligation
from .selectors import obligations_on


class AgencySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="agency_id")
    code = serializers.CharField(source="agency.code")
    province = serializers.CharField(source="agency.province.code")
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    category_label = serializers.CharField(source="get_category_display")
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    parent_name = serializers.CharField(allow_null=True)
    locality = serializers.CharField()
    obligation = serializers.SerializerMethodField()
    edition = serializers.CharField(source="version_then", allow_null=True, help_text=_("Latest announced by the day."))
    valid_from = serializers.DateField(allow_null=True, help_text=_("This version of the agency holds from…"))
    valid_to = serializers.DateField(allow_null=True, help_text=_("…until the day before this one."))
    established_on = serializers.DateField(source="agency.established_on", allow_null=True)
    ended_on = serializers.DateField(source="agency.ended_on", allow_null=True)

    def get_obligation(self, row) -> str:
        """mandatory or encouraged, by the province's rules on the day."""
        known, province = self.context["obligations"], row.agency.province_id
        if province not in known:  # once a province a request (one, but for the site administrator)
            known.update(obligations_on([province], self.context["as_of"]))
        return known[province].get(row.category, Obligation.ENCOURAGED)


@extend_schema_view(
    list=extend_schema(
        summary=_("Agencies as of a day"),
        parameters=[
            AS_OF,
            PROVINCE,
            OpenApiParameter("category", str, enum=Category.values),
            OpenApiParameter("q", str, description=_("Part of the name or code.")),
        ],
    ),
    retrieve=extend_schema(summary=_("One agency as of a day"), parameters=[AS_OF, PROVINCE]),
)
class AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = AgencySerializer

    def get_queryset(self):
        day = as_of(self.request)
        rows = with_version(population_rows(self.request.user, day), day)
        category = one_of(self.request, "category", Category.values)
        if category:
            rows = rows.filter(category=category)
        q = query(self.request).get("q", "").strip()
        if q:
            rows = rows.filter(Q(name__icontains=q) | Q(agency__code__icontains=q))
        return rows

    def get_serializer_context(self):
        context = super().get_serializer_context()
        return context | {"obligations": {}, "as_of": as_of(self.request)}

    def get_object(self):
        row = self.get_queryset().filter(agency_id=self.kwargs["pk"]).first()
        if row is None:
            raise Http404
        return row
