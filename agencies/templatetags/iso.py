import re
from urllib.parse import urlsplit

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


# A line of a reminder that ends with the address of what it is about: "Sở Y tế: 1 overdue — https://…/qms/…".
_LINKED_LINE = re.compile(r"^(?P<name>[^:]+): (?P<rest>.*?) — (?P<url>https?://\S+|/\S*)$")


@register.filter
def linked_line(line: str, absolute: bool = False):
    """The line with its subject as a link to the address it ends with, never the raw address; in the app
    the address is the site's own path (`absolute` keeps it whole, for e-mail)."""
    match = _LINKED_LINE.match(line)
    if not match:
        return line
    url = match["url"]
    if not absolute:
        parts = urlsplit(url)
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    return format_html('<a href="{}">{}</a>: {}', url, match["name"], match["rest"])


def _attrs_html(attrs: dict) -> str:
    """A widget's attributes as Django's attrs.html writes them (True: the bare name; False: left out)."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False
    )


@register.filter
def select_options(widget: dict) -> str:
    """The `<option>`s (and `<optgroup>`s) of a select widget's context, written in Python: the same markup
    as Django's select_option.html, a tenth of the time for a list of a hundred localities."""
    parts = []
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('<optgroup label="{}">', group_name))
        for option in options:
            parts.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    str(option["value"]),
                    _attrs_html(option["attrs"]),
                    option["label"],
                )
            )
        if group_name:
            parts.append("</optgroup>")
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html
