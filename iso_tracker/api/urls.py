"""`/api/v1/…` (the endpoints), `/api/schema/` (OpenAPI 3, YAML or `?format=json`), `/api/docs/`."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from agencies.api import AgencyViewSet
from inspections.api import FindingViewSet, InspectionViewSet, SelfReportViewSet, SignedDocumentViewSet
from migrations_tracker.api import (
    AnnouncementViewSet,
    DashboardViewSet,
    ProcedureViewSet,
    ProcessViewSet,
    ProfileViewSet,
    ReviewViewSet,
)

from . import (
    docs,
    schema,  # noqa: F401  (the schema's authentication extensions)
)

router = DefaultRouter()
router.include_root_view = False
router.include_format_suffixes = False  # one address a resource (`…/file.pdf`, `….json` are not ours: a 404)
router.register("agencies", AgencyViewSet, basename="agency")
router.register("qms-profiles", ProfileViewSet, basename="qms-profile")
router.register("announcements", AnnouncementViewSet, basename="announcement")
router.register("reviews", ReviewViewSet, basename="review")
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("processes", ProcessViewSet, basename="process")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("findings", FindingViewSet, basename="finding")
router.register("self-reports", SelfReportViewSet, basename="self-report")
router.register("signed-documents", SignedDocumentViewSet, basename="signed-document")
router.register("dashboard", DashboardViewSet, basename="dashboard")


@csrf_exempt  # a program's POST to a wrong address is a 404, not the browser's CSRF page
def not_found(request, rest=""):
    """Any other address under /api/: a JSON 404, as the API answers (never the site's HTML page)."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    re_path(r"^(?P<rest>[\s\S]*)$", not_found),  # any character, line breaks included
]
