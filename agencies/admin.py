from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Agency, AgencyVersion, Province, Reorganisation, User


@admin.register(Province)
class ProvinceAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name"]


class AgencyVersionInline(admin.TabularInline):
    model = AgencyVersion
    fk_name = "agency"
    extra = 0
    raw_id_fields = ["parent", "reorganisation"]


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "category", "parent", "province", "ended_on"]
    list_filter = ["province", "category", "end_reason"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent", "province"]
    inlines = [AgencyVersionInline]


@admin.register(Reorganisation)
class ReorganisationAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "decision_number", "effective_date", "province"]
    list_filter = ["province", "kind"]
    raw_id_fields = ["predecessors", "successors"]


@admin.register(User)
class ISOUserAdmin(UserAdmin):
    fieldsets = [*UserAdmin.fieldsets, (_("Role"), {"fields": ["role", "province", "agency"]})]
    list_display = ["username", "get_full_name", "role", "province", "agency", "is_active"]
    list_filter = ["role", "province", "is_active"]
    raw_id_fields = ["agency"]
