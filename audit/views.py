from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from iso_tracker.pagination import paginate
from iso_tracker.permissions import province_scope, require

from .filters import AuditFilter
from .models import AuditEvent


def visible_events(user):
    """DOST staff see their province's trail; the site administrator sees every province's."""
    require(user, "audit.view")
    return AuditEvent.objects.filter(province_scope(user))


@login_required
@require_safe
def event_list(request):
    events = AuditFilter(request.GET, queryset=visible_events(request.user))
    page, query = paginate(
        request, events.qs.only("at", "kind", "actor_name", "method", "path", "view", "status", "ip_address", "changes")
    )
    return render(request, "audit/list.html", {"filter": events, "page": page, "query": query})
