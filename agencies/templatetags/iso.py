from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def vnd(value) -> str:
    """Money in VND with "." thousands separators: 325.000.000 đ."""
    if value in (None, ""):
        return "—"
    return f"{number_format(int(value), force_grouping=True)} đ"


@register.filter
def percent(part, whole) -> int:
    """Whole-number percentage, 0 when there is nothing to divide."""
    try:
        return round(100 * int(part) / int(whole)) if int(whole) else 0
    except (TypeError, ValueError):
        return 0


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def dotted(value):
    """A whole number with "." thousands separators (325.000.000); anything else unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return value


@register.filter
def can(user, action: str) -> bool:
    """`{% if user|can:"province.view" %}`: the permission layer's answer, for a template condition."""
    from iso_tracker.permissions import can as permission

    return permission(user, action)
