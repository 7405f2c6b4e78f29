from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import DATE_WIDGET
from .models import AgencyVersion, Category, Obligation, User
from .selectors import (
    Status,
    obligation_filter,
    registry_rows,
    visible_agencies,
    visible_provinces,
    visible_versions,
)


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
    parent = django_filters.ModelChoiceFilter(queryset=None, label=_("Parent agency"), empty_label=_("Any parent"))
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
        self.filters["parent"].queryset = (
            visible_agencies(user)
            .filter(Exists(AgencyVersion.objects.filter(parent_id=OuterRef("pk"))))
            .order_by("name")
        )
        localities = (
            visible_versions(user)
            .exclude(locality="")
            .order_by("locality")
            .values_list("locality", flat=True)
            .distinct()
        )
        self.filters["locality"].extra["choices"] = [(name, name) for name in localities]

    FIELD_ORDER = ["q", "category", "obligation", "parent", "locality", "status", "as_of"]

    @property
    def form(self):
        form = super().form
        form.order_fields(self.FIELD_ORDER)
        return form

    @property
    def as_of_date(self):
        if self.form.is_valid() and self.form.cleaned_data.get("as_of"):
            return self.form.cleaned_data["as_of"]
        return timezone.localdate()

    @property
    def status_value(self) -> str:
        if self.form.is_valid() and self.form.cleaned_data.get("status"):
            return self.form.cleaned_data["status"]
        return Status.ACTIVE

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
