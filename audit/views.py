import functools

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe

from iso_tracker.pagination import paginate
from iso_tracker.permissions import province_scope, require

from .filters import AuditFilter
from .models import AuditEvent


def visible_events(user):
    """DOST staff see their province's trail; the site administrator sees every province's."""
    require(user, "audit.view")
    return AuditEvent.objects.filter(province_scope(user))


OPERATIONS = {
    "insert": pgettext_lazy("audit trail", "added"),
    "update": pgettext_lazy("audit trail", "changed"),
    "delete": pgettext_lazy("audit trail", "deleted"),
}


@functools.cache
def _models_by_table() -> dict:
    return {model._meta.db_table: model for model in apps.get_models(include_auto_created=True)}


def table_label(table: str) -> str:
    """What a table holds, in the user's words ("Cơ quan", "Tài khoản"): its model's name; a history
    table (django-simple-history) as the history of its records."""
    model = _models_by_table().get(table)
    if model is None:
        return table
    tracked = getattr(model, "instance_type", None)
    if tracked is not None:
        return _("History of %(records)s") % {"records": tracked._meta.verbose_name_plural}
    return str(model._meta.verbose_name_plural).capitalize()


def readable_changes(changes: dict) -> list[tuple[str, list[tuple[str, int]]]]:
    """The rows an event wrote, per kind of record and operation, in the user's words."""
    return [
        (table_label(table), [(str(OPERATIONS.get(op, op)), n) for op, n in ops.items()])
        for table, ops in sorted(changes.items())
    ]


@login_required
@require_safe
def event_list(request):
    events = AuditFilter(request.GET, queryset=visible_events(request.user))
    page, query = paginate(
        request, events.qs.only("at", "kind", "actor_name", "method", "path", "view", "status", "ip_address", "changes")
    )
    for event in page:
        event.readable_changes = readable_changes(event.changes or {})
    return render(request, "audit/list.html", {"filter": events, "page": page, "query": query})
