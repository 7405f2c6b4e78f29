from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is only ever added to."""

    list_display = ["at", "kind", "actor_name", "method", "path", "status", "ip_address"]
    list_filter = ["kind", "province"]
    search_fields = ["actor_name", "path"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
