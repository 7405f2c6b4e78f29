"""Inspections through the API (issue 18): inspections, their findings with the corrective actions, the
self-reports' status and the digitally signed copies of the documents (with their files), read through the
web's scopes; an agency's ISO secretary answers a finding (the action taken, with its evidence) through the
web's own service."""

from __future__ import annotations

from django.db.models import Q
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from iso_tracker.api.base import (
    AGENCY,
    PROVINCE,
    STATUS,
    YEAR,
    ScopedViewSet,
    documented,
    narrowed,
    one_of,
    query,
)
from iso_tracker.permissions import require
from migrations_tracker.api import DocumentField

from . import selectors, services
from .models import CorrectiveAction, Finding, Inspection, SelfReport, SignedPdf


class InspectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inspection
        fields = [
            "id",
            "agency",
            "year",
            "mode",
            "start_date",
            "end_date",
            "team",
            "decision_number",
            "conclusion",
            "conclusion_note",
            "minutes_signed_on",
        ]
        read_only_fields = fields


class ActionSerializer(serializers.ModelSerializer):
    document = DocumentField(required=False, allow_null=True)
    decision = serializers.ChoiceField(
        choices=CorrectiveAction.Decision.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("Empty until DOST decides."),
    )
    revision = serializers.IntegerField(
        write_only=True,
        required=False,
        help_text=_("The finding's revision the answer was written against: refused (409) if it changed since."),
    )

    class Meta:
        model = CorrectiveAction
        fields = ["id", "action", "document", "reported_at", "decision", "reason", "decided_at", "revision"]
        read_only_fields = ["id", "reported_at", "decision", "reason", "decided_at"]


class FindingSerializer(serializers.ModelSerializer):
    actions = ActionSerializer(many=True, read_only=True)
    repeated = serializers.BooleanField(read_only=True, help_text=_("The same item was found in an earlier year."))

    class Meta:
        model = Finding
        fields = [
            "id",
            "inspection",
            "agency",
            "item",
            "clause",
            "severity",
            "description",
            "due_on",
            "status",
            "repeated",
            "revision",
            "actions",
        ]
        read_only_fields = fields


class SelfReportSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="round.year", read_only=True)
    deadline = serializers.DateField(source="round.deadline", read_only=True)

    class Meta:
        model = SelfReport
        fields = ["id", "agency", "year", "deadline", "status", "submitted_at", "decided_at", "dost_comment"]
        read_only_fields = fields


@documented(_("Inspections"), _("One inspection"), filters=(AGENCY, YEAR))
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = InspectionSerializer

    def get_queryset(self):
        rows = selectors.visible_inspections(self.request.user)
        return narrowed(self.request, rows, year="year")


@documented(_("Findings, each with its corrective actions"), _("One finding"), filters=(AGENCY, YEAR, STATUS))
class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    # Findings, each with its corrective actions; the agency that must correct it answers one.

    serializer_class = FindingSerializer

    def get_queryset(self):
        rows = selectors.visible_findings(self.request.user).prefetch_related("actions__document")
        return narrowed(self.request, rows, year="inspection__year", choices=Finding.Status.values)

    @extend_schema(
        summary=_("Answer a finding: the corrective action taken, with its evidence"),
        request=ActionSerializer,
        responses={201: ActionSerializer},
        parameters=[PROVINCE],
    )
    @action(detail=True, methods=["post"], serializer_class=ActionSerializer)
    def actions(self, request, pk=None):
        finding = self.get_object()
        require(request.user, "finding.answer", finding)  # refused before anything sent is looked at
        answer = ActionSerializer(data=request.data, context=self.get_serializer_context())
        answer.is_valid(raise_exception=True)
        data = answer.validated_data
        saved = services.action_report(
            finding=finding,
            action=data["action"],
            upload=data.get("document"),
            actor=request.user,
            expected_revision=data.get("revision"),
        )
        return Response(ActionSerializer(saved, context=self.get_serializer_context()).data, status.HTTP_201_CREATED)


@documented(_("Self-reports and their status"), _("One self-report"), filters=(AGENCY, YEAR, STATUS))
class SelfReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = SelfReportSerializer

    def get_queryset(self):
        rows = selectors.visible_reports(self.request.user).select_related("round")
        return narrowed(self.request, rows, year="round__year", choices=SelfReport.Status.values)


class SignatureSerializer(serializers.Serializer):
    signer = serializers.CharField(help_text=_("The signer's name (the certificate's common name)."))
    issuer = serializers.CharField(help_text=_("The certification authority that issued the certificate."))
    serial = serializers.CharField(help_text=_("The certificate's serial number (hexadecimal)."))
    signed_at = serializers.DateTimeField(allow_null=True, help_text=_("The signing time the signature gives."))
    timestamped = serializers.BooleanField(help_text=_("The time comes from a timestamp authority."))
    field = serializers.CharField(allow_blank=True)


class SignedDocumentSerializer(serializers.ModelSerializer):
    signatures = SignatureSerializer(many=True, read_only=True)
    file = serializers.SerializerMethodField(help_text=_("Where the signed PDF is downloaded (this API)."))

    class Meta:
        model = SignedPdf
        fields = [
            "id",
            "kind",
            "province",
            "year",
            "plan",
            "inspection",
            "source",
            "signer",
            "issuer",
            "signed_at",
            "signatures",
            "sha256",
            "size",
            "created_at",
            "file",
        ]
        read_only_fields = fields

    def get_file(self, item: SignedPdf) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:signed-document-file", args=[item.pk]))


class PdfRenderer(renderers.BaseRenderer):
    """Lets a caller ask for `Accept: application/pdf`; the file itself is sent as it is kept."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


KIND = OpenApiParameter("kind", str, enum=SignedPdf.Kind.values, description=_("Only this kind of document."))


@documented(_("Digitally signed copies of the documents, verified"), _("One signed copy"), filters=(KIND, YEAR))
class SignedDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    # The signed copies (PAdES) kept beside the annual and national reports and Mẫu 19/20/21, each as its
    # verification found it, and the signed file itself.

    serializer_class = SignedDocumentSerializer

    def get_queryset(self):
        rows = selectors.visible_signed(self.request.user)
        kind = one_of(self.request, "kind", SignedPdf.Kind.values)
        if kind:
            rows = rows.filter(kind=kind)
        if "year" in query(self.request):
            wanted = query(self.request)["year"]
            rows = rows.filter(Q(year=wanted) | Q(plan__year=wanted) | Q(inspection__year=wanted))
        return rows

    @extend_schema(
        summary=_("The signed PDF"),
        parameters=[PROVINCE, OpenApiParameter("format", exclude=True)],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def file(self, request, pk=None):
        item = self.get_object()
        return FileResponse(item.file.open("rb"), content_type="application/pdf", filename=f"{item.uuid}.pdf")

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error is JSON, even to who asked for the PDF
            request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
