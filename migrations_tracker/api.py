"""Each agency's QMS through the API (issue 18): profiles (read), and what an agency's ISO secretary
records (announcements, internal audits and management reviews, administrative procedures and QMS
processes) read and written through the same services as the web pages; the dashboard's figures."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response

from agencies.models import Agency
from iso_tracker.api.base import AS_OF, PROVINCE, ScopedViewSet, as_of, documented, narrowed
from iso_tracker.permissions import require, scope

from . import selectors, services, snapshots
from .models import AdministrativeProcedure, Announcement, Edition, Process, QMSProfile, Review


class VisibleAgency(serializers.PrimaryKeyRelatedField):
    """An agency the user may see (another one does not exist for them: 400, nothing said about it)."""

    def get_queryset(self):
        return Agency.objects.filter(scope(self.context["request"].user))


class EditionCode(serializers.SlugRelatedField):
    """An edition by its code, which is what the record stores: read without loading the edition."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Edition.objects.all(), **kwargs)

    def use_pk_only_optimization(self) -> bool:
        return True

    def to_representation(self, value) -> str:
        return value.pk  # the stored code (the key is `to_field="code"`)


class DocumentField(serializers.FileField):
    """In: an evidence file (checked by its content, as on the web). Out: the address it is downloaded
    from, which checks again who may see it."""

    def to_representation(self, value):
        if value is None:
            return None
        request = self.context.get("request")
        url = reverse("agencies:document", args=[value.uuid])
        return request.build_absolute_uri(url) if request else url


def _document(**kwargs):
    return DocumentField(required=False, allow_null=True, **kwargs)


class ProfileSerializer(serializers.ModelSerializer):
    edition = serializers.CharField(source="edition_id", allow_null=True)
    policy_document = _document(read_only=True)

    class Meta:
        model = QMSProfile
        fields = [
            "id",
            "agency",
            "edition",
            "stage",
            "quality_policy",
            "quality_objectives",
            "policy_document",
            "scope_changed_on",
            "revision",
        ]
        read_only_fields = fields


class AnnouncementSerializer(serializers.ModelSerializer):
    agency = VisibleAgency()
    edition = EditionCode()
    document = _document()

    class Meta:
        model = Announcement
        fields = [
            "id",
            "agency",
            "is_reannouncement",
            "decision_number",
            "decision_date",
            "edition",
            "scope",
            "dost_notified_on",
            "posted_at_office",
            "website_url",
            "document",
        ]


class ReviewSerializer(serializers.ModelSerializer):
    agency = VisibleAgency()
    edition = EditionCode(required=False, allow_null=True)
    document = _document()

    class Meta:
        model = Review
        fields = ["id", "agency", "kind", "date", "edition", "scope", "result", "nonconformities", "document"]


class ProcedureSerializer(serializers.ModelSerializer):
    agency = VisibleAgency()

    class Meta:
        model = AdministrativeProcedure
        fields = ["id", "agency", "code", "national_code", "name", "field", "legal_basis"]
        validators = []  # the service checks the code is new in the agency (the model's own message)


class ProcessSerializer(serializers.ModelSerializer):
    agency = VisibleAgency()
    procedures = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=AdministrativeProcedure.objects.all()
    )
    document = _document()

    class Meta:
        model = Process
        fields = ["id", "agency", "code", "name", "revision", "effective_date", "procedures", "document"]
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:  # procedures the user may see
            fields["procedures"].child_relation.queryset = AdministrativeProcedure.objects.filter(
                scope(request.user, "agency")
            )
        return fields


class AgencyRecords(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    # The records of the agencies the user may see, in the order they were made (the cursor's).

    model = None
    related = ("agency",)

    def get_queryset(self):
        rows = self.model.objects.filter(scope(self.request.user, "agency")).select_related(*self.related)
        return narrowed(self.request, rows)


class Writable(mixins.CreateModelMixin):
    # Recorded through the web's own service, which asks the web's rule (`agency.edit`).

    def save_with(self, serializer, save):
        data = dict(serializer.validated_data)
        agency, upload = data.pop("agency"), data.pop("document", None)
        extra = {name: data.pop(name) for name in ("procedures",) if name in data}
        serializer.instance = save(agency, self.model(**data), upload, **extra)


@documented(_("QMS profiles"), _("One QMS profile"))
class ProfileViewSet(AgencyRecords):
    model = QMSProfile
    serializer_class = ProfileSerializer
    related = ("agency", "policy_document")


@documented(_("Announcements"), _("One announcement"), create=_("Record an announcement"))
class AnnouncementViewSet(Writable, AgencyRecords):
    model = Announcement
    serializer_class = AnnouncementSerializer
    related = ("agency", "document")

    def perform_create(self, serializer):
        self.save_with(
            serializer,
            lambda agency, record, upload: services.announcement_create(
                agency=agency, announcement=record, actor=self.request.user, upload=upload
            ),
        )


@documented(
    _("Internal audits (kind audit) and management reviews (kind review)"),
    _("One audit or review"),
    create=_("Record an internal audit or a management review"),
)
class ReviewViewSet(Writable, AgencyRecords):
    model = Review
    serializer_class = ReviewSerializer
    related = ("agency", "document")

    def perform_create(self, serializer):
        self.save_with(
            serializer,
            lambda agency, record, upload: services.review_create(
                agency=agency, review=record, actor=self.request.user, upload=upload
            ),
        )


@documented(_("Administrative procedures"), _("One procedure"), create=_("Record a procedure"))
class ProcedureViewSet(Writable, AgencyRecords):
    model = AdministrativeProcedure
    serializer_class = ProcedureSerializer

    def perform_create(self, serializer):
        self.save_with(
            serializer,
            lambda agency, record, upload: services.procedure_create(
                agency=agency, procedure=record, actor=self.request.user
            ),
        )


@documented(_("QMS processes"), _("One process"), create=_("Record a process"))
class ProcessViewSet(Writable, AgencyRecords):
    model = Process
    serializer_class = ProcessSerializer
    related = ("agency", "document")

    def get_queryset(self):
        return super().get_queryset().prefetch_related("procedures")

    def perform_create(self, serializer):
        self.save_with(
            serializer,
            lambda agency, record, upload, procedures=(): services.process_save(
                agency=agency, process=record, procedures=procedures, actor=self.request.user, upload=upload
            ),
        )


class DashboardViewSet(ScopedViewSet):
    # The province dashboard's figures as of a day: the numbers its DOST and leadership see.

    @extend_schema(
        summary=_("The province dashboard's figures"),
        parameters=[AS_OF, PROVINCE],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request):
        require(request.user, "province.view")
        day = as_of(request)
        campaigns = selectors.province_campaigns(request.user.province_id)
        figures, computed_at = snapshots.dashboard_figures(request.user, day, campaigns, None)
        return Response({"as_of": day, "computed_at": computed_at, "figures": figures})
