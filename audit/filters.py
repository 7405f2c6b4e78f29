import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.forms import DATE_WIDGET

from .models import AuditEvent


class AuditFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AuditEvent.Kind.choices, label=_("Kind"), empty_label=_("All kinds"))
    user = django_filters.CharFilter(
        field_name="actor_name",
        lookup_expr="iexact",
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": _("User name")}),
    )
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label=_("From"), widget=DATE_WIDGET)
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label=_("To"), widget=DATE_WIDGET)

    class Meta:
        model = AuditEvent
        fields = ["kind"]
