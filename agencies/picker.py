"""The agency picker: every agency field is a search-as-you-type picker, never a list of every agency.

The page holds a `<select>` with only the agencies chosen (so its size does not grow with the province)
and a search box. With JavaScript (static/js/agency-picker.js) the box asks `agencies:pick` for the
agencies matching what is typed (scoped by the permission layer: only those of the field's kind the user
may see) and the choice goes into the `<select>`. Without it, the typed codes or names are resolved when
the form is sent: an exact code or name, or a unique match, else the form comes back saying why."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from iso_tracker.forms import ModelMultipleChoiceField

from .models import Agency

SHOWN = 20  # suggestions a search returns
NO_MATCH = _("No agency matches “%(text)s”.")
_LABEL_CODE = re.compile(r"\(([^()]+)\)\s*$")  # "Sở Y tế (SYT)": the code in the label the picker shows


class Typed(str):
    """What was typed in a picker's search box (and, for several agencies, those already in its `<select>`)."""

    def __new__(cls, text: str, picked: list | None = None):
        typed = super().__new__(cls, text)
        typed.picked = list(picked or [])
        return typed


def label(agency: Agency) -> str:
    return f"{agency.name} ({agency.code})"


def search(queryset: QuerySet[Agency], text: str) -> QuerySet[Agency]:
    text = text.replace("\x00", "").strip()[:100]
    return queryset.filter(Q(code__istartswith=text) | Q(name__icontains=text)).order_by("name", "pk")


def resolve(queryset: QuerySet[Agency], text: str) -> Agency:
    """The one agency `text` names: its code, its name, the picker's label, or a unique match."""
    text = text.strip()
    if "\x00" in text or len(text) > 300:
        raise forms.ValidationError(NO_MATCH, code="invalid_choice", params={"text": text[:60]})
    code = _LABEL_CODE.search(text)
    for exact in ([Q(code__iexact=code.group(1).strip())] if code else []) + [
        Q(code__iexact=text),
        Q(name__iexact=text),
    ]:
        found = list(queryset.filter(exact)[:2])
        if len(found) == 1:
            return found[0]
    found = list(search(queryset, text)[:6])
    if len(found) == 1:
        return found[0]
    if not found:
        raise forms.ValidationError(NO_MATCH, code="invalid_choice", params={"text": text})
    names = ", ".join(label(a) for a in found[:5])
    raise forms.ValidationError(
        _("“%(text)s” matches several agencies (%(names)s…): type more of the name, or the code."),
        code="invalid_choice",
        params={"text": text, "names": names},
    )


class AgencyPicker(forms.SelectMultiple):
    """The `<select>` with only the chosen agencies, and the search box (`<name>__search`)."""

    template_name = "widgets/agency_picker.html"

    def __init__(self, kind: str = "current", *, multiple: bool = False, attrs=None):
        super().__init__(attrs)
        self.kind, self.multiple = kind, multiple
        self.allow_multiple_selected = multiple

    def value_from_datadict(self, data, files, name):
        """What was typed in the search box wins (no JavaScript: the box is the field; with it, the box has
        no name and only searches); else the agencies in the `<select>`. Several: both together."""
        picked = [v for v in (data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]) if v]
        typed = (data.get(f"{name}__search") or "").strip()
        if self.multiple:
            return Typed(typed, picked) if typed else picked
        if typed:
            return Typed(typed)
        return picked[-1] if picked else None

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__search" not in data

    def format_value(self, value):
        if isinstance(value, Typed):
            return value
        if value is None or value == "":
            return []
        values = value if isinstance(value, list | tuple | QuerySet) else [value]
        return [str(v.pk if isinstance(v, Agency) else v) for v in values]

    def use_required_attribute(self, initial) -> bool:
        return False  # Select's own check reads the first choice, a query over every agency; the form checks it

    def _render(self, template_name, context, renderer=None):
        # The project's template (templates/widgets/), not the form renderer's built-in widget folder.
        return mark_safe(render_to_string(template_name, context))  # noqa: S308 - a template, autoescaped

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)  # not ChoiceWidget's: no option is listed
        typed = value if isinstance(value, Typed) else ""
        chosen: list[Agency] = []
        raw = value.picked if typed else self.format_value(value)
        ids = [int(v) for v in raw if str(v).isdigit() and int(v) < 2**63]  # no id beyond the column's range
        if ids:
            chosen = list(self.choices.queryset.filter(pk__in=ids).order_by("name"))
        url = reverse("agencies:pick") + f"?kind={self.kind}"
        context["picker"] = {
            "chosen": [(a.pk, label(a)) for a in chosen],
            "typed": typed,
            "multiple": self.multiple,
            "url": url,
            "required": self.is_required,
        }
        return context


class AgencyField(forms.ModelChoiceField):
    """One agency, chosen with the picker."""

    def __init__(self, queryset=None, *, kind: str = "current", **kwargs):
        kwargs.setdefault("widget", AgencyPicker(kind))
        super().__init__(queryset if queryset is not None else Agency.objects.none(), **kwargs)

    def label_from_instance(self, obj: Agency) -> str:
        return label(obj)

    def to_python(self, value):
        if isinstance(value, Typed):
            return resolve(self.queryset, value)
        return super().to_python(value)


class AgencyMultipleField(ModelMultipleChoiceField):
    """Several agencies, chosen with the picker (typed: separated by commas, semicolons or lines)."""

    def __init__(self, queryset=None, *, kind: str = "current", **kwargs):
        kwargs.setdefault("widget", AgencyPicker(kind, multiple=True))
        super().__init__(queryset if queryset is not None else Agency.objects.none(), **kwargs)

    def label_from_instance(self, obj: Agency) -> str:
        return label(obj)

    def clean(self, value):
        if isinstance(value, Typed):
            tokens = [t for t in re.split(r"[,;\n]+", value) if t.strip()]
            errors, found = [], []
            for token in tokens:
                try:
                    found.append(resolve(self.queryset, token).pk)
                except forms.ValidationError as exc:
                    errors.extend(exc.error_list)
            if errors:
                raise forms.ValidationError(errors)
            value = [*value.picked, *found]
        return super().clean(value)
