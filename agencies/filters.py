from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from iso_tracker.pagination import PageByIds
from iso_tracker.permissions import can

from . import stamps
from .forms import DATE_WIDGET
from .models import AgencyVersion, Category, Obligation, User
from .picker import AgencyField
from .selectors import (
    RegistryCounts,
    Status,
    obligation_filter,
    parents_ever,
    registry_rows,
    visible_provinces,
    visible_versions,
)


class AgencyFilter(django_filters.ModelChoiceFilter):
    """An agency to filter by, chosen with the picker (agencies/picker.py), never a list of every agency."""

    field_class = AgencyField


class RegistryFilter(django_filters.FilterSet):
    """Search and filters of the registry list and its export; rows are versions as of a date."""

    q = django_filters.CharFilter(
        method="search",
        label=_("Search"),
        max_length=255,  # no name is longer; SQLite refuses a LIKE pattern of 50,000 characters
        widget=forms.TextInput(attrs={"placeholder": _("Name or code")}),
    )
    category = django_filters.ChoiceFilter(
        choices=Category.choices, label=_("Category"), empty_label=_("All categories")
    )
    obligation = django_filters.ChoiceFilter(
        method="by_obligation",
        choices=Obligation.choices,
        label=_("Applying a QMS is"),
        empty_label=_("Mandatory or encouraged"),
    )
    parent = AgencyFilter(queryset=None, kind="ever-parents", label=_("Parent agency"), empty_label=_("Any parent"))
    locality = django_filters.ChoiceFilter(choices=[], label=_("Locality"), empty_label=_("All localities"))
    status = django_filters.ChoiceFilter(
        method="keep",
        label=_("Status"),
        empty_label=None,
        choices=[
            (Status.ACTIVE, _("Existing on that date")),
            (Status.ENDED, _("Ended by that date")),
            (Status.ALL, _("Both")),
        ],
    )
    as_of = django_filters.DateFilter(method="keep", label=_("As of"), widget=DATE_WIDGET)

    class Meta:
        model = AgencyVersion
        fields = ["category", "parent", "locality"]

    def __init__(self, data=None, *args, user: User, **kwargs):
        super().__init__(data, *args, queryset=visible_versions(user), **kwargs)
        self.user = user
        # The day and the status are read first: the counts and the locality choices are those of that day.
        self._as_of = self._given("as_of") or timezone.localdate()
        self._status = self._given("status") or Status.ACTIVE
        self.counts = RegistryCounts(user, self._as_of)
        if can(user, "province.view"):
            self.filters["parent"].queryset = parents_ever(user).order_by("name")
        else:  # a secretary's registry is their own agency: nothing to filter by parent
            del self.filters["parent"]
        self.filters["locality"].extra["choices"] = [(name, name) for name in self.counts.localities()]

    def _given(self, name: str):
        """The value of filter `name` in the request if it is valid, else None."""
        raw = self.data.get(name) if self.data else None
        if not raw:
            return None
        try:
            return self.filters[name].field.clean(raw)
        except forms.ValidationError:
            return None

    FIELD_ORDER = ["q", "category", "obligation", "parent", "locality", "status", "as_of"]

    @property
    def form(self):
        form = super().form
        form.order_fields(self.FIELD_ORDER)
        return form

    @property
    def as_of_date(self):
        return self._as_of

    @property
    def status_value(self) -> str:
        return self._status

    def rows(self) -> PageByIds:
        """The list's rows for the paginator. Unless a search or a parent narrows it, the ids of every row in
        order are read once per version of the registry's data (agencies.stamps) and each page is then
        fifty rows by id: a page of 10,000 agencies costs what a page of 77 does."""
        self.errors  # noqa: B018 - validates the form: cleaned_data holds the filters that apply
        given = self.form.cleaned_data
        if given.get("q") or given.get("parent"):
            return PageByIds(self.qs)
        filters = [self.status_value, *(str(given.get(name) or "") for name in ("category", "locality", "obligation"))]
        key = f"registry-ids:{stamps.scope_key(self.user)}:{self.as_of_date.isoformat()}:{filters}"
        ids = stamps.cached(stamps.REGISTRY, key, lambda: list(self.qs.values_list("pk", flat=True)))
        return PageByIds(self.qs, ids)

    def filter_queryset(self, queryset):
        queryset = registry_rows(queryset, as_of=self.as_of_date, status=self.status_value)
        return super().filter_queryset(queryset)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(agency__code__icontains=value) | Q(agency__name__icontains=value)
        )

    def by_obligation(self, queryset, name, value):
        provinces = visible_provinces(self.user).values_list("pk", flat=True)
        return queryset.filter(obligation_filter(provinces, self.as_of_date, value))

    def keep(self, queryset, name, value):
        return queryset
