from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from agencies.selectors import can_manage_registry
from iso_tracker.pagination import paginate

from .filters import AuditFilter
from .models import AuditEvent


def visible_events(user):
    """DOST staff see their province's trail; the site administrator sees every province's."""
    if user.is_superuser:
        return AuditEvent.objects.all()
    if can_manage_registry(user):  # DOST staff of a province
        return AuditEvent.objects.filter(province_id=user.province_id)
    raise PermissionDenied(_("The audit trail is for DOST staff."))


@login_required
def event_list(request):
    events = AuditFilter(request.GET, queryset=visible_events(request.user))
    page, query = paginate(
        request, events.qs.only("at", "kind", "actor_name", "method", "path", "view", "status", "ip_address", "changes")
    )
    return render(request, "audit/list.html", {"filter": events, "page": page, "query": query})
