"""A province joins the deployment from the web (issue 17): the site administrator creates it with its first
DOST account; that DOST completes its details, imports the registry and makes its secretaries' accounts,
following a checklist of what is left. No shell step.

Every view accepts only the methods it serves (others: 405), and a GET writes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from iso_tracker.permissions import require, user_province_id

from .forms import ReauthForm
from .models import Agency, Province, User

require_page_or_form = require_http_methods(["GET", "HEAD", "POST"])


class ProvinceDetailsForm(forms.ModelForm):
    class Meta:
        model = Province
        fields = ["dost_name", "dost_address", "reporting_period"]


class NewProvinceForm(ReauthForm, forms.ModelForm):
    """The province and its first DOST account, in one form (the site administrator's own password last)."""

    username = forms.CharField(label=gettext_lazy("DOST account: user name"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Family and middle names"), max_length=150)
    first_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    new_password = forms.CharField(
        label=gettext_lazy("Password of the DOST account"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("At least 10 characters; the DOST member changes it at first sign-in."),
    )

    class Meta:
        model = Province
        fields = ["code", "name", "dost_name", "dost_address", "reporting_period"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([name for name in self.fields if name != "your_password"] + ["your_password"])

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This user name is taken."))
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password")
        if password:
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return cleaned

    @transaction.atomic
    def save(self, commit: bool = True) -> Province:
        province = super().save()
        data = self.cleaned_data
        dost = User(
            username=data["username"],
            last_name=data["last_name"],
            first_name=data["first_name"],
            email=data["email"],
            role=User.Role.DOST,
            province=province,
        )
        dost.set_password(data["new_password"])
        dost.full_clean()
        dost.save()
        return province


@login_required
@require_safe
def province_list(request: HttpRequest) -> HttpResponse:
    """The provinces of the deployment and how far each has come (the site administrator)."""
    require(request.user, "provinces.manage")
    provinces = Province.objects.annotate(
        agency_count=Count("agencies", filter=Q(agencies__ended_on__isnull=True), distinct=True),
        dost_count=Count("users", filter=Q(users__role=User.Role.DOST), distinct=True),
    ).order_by("name")
    secretaries = dict(
        User.objects.filter(role=User.Role.SECRETARY, is_active=True, agency__ended_on__isnull=True)
        .values_list("agency__province_id")
        .annotate(n=Count("pk"))
        .values_list("agency__province_id", "n")
    )
    rows = [(province, secretaries.get(province.pk, 0)) for province in provinces]
    return render(request, "registration/province_list.html", {"rows": rows})


@login_required
@require_page_or_form
def province_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "provinces.manage")
    form = NewProvinceForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        province = form.save()
        messages.success(
            request,
            _("%(province)s was added with its DOST account %(name)s, who can sign in now.")
            % {"province": province.name, "name": form.cleaned_data["username"]},
        )
        return redirect("provinces")
    return render(
        request,
        "registration/province_form.html",
        {"form": form, "title": _("A new province")},
        status=400 if form.errors else 200,
    )


@dataclass
class Step:
    key: str
    label: str
    done: bool
    detail: str
    url: str
    action: str


def checklist(province: Province) -> list[Step]:
    """What a province has done of joining, and what is left, each with the page that does it."""
    from inspections.models import ReportingRound
    from migrations_tracker.models import Campaign
    from notifications.models import ReminderSettings

    agencies = Agency.objects.filter(province=province, ended_on__isnull=True).count()
    with_secretary = (
        Agency.objects.filter(province=province, ended_on__isnull=True)
        .filter(users__role=User.Role.SECRETARY, users__is_active=True)
        .distinct()
        .count()
    )
    return [
        Step(
            "details",
            _("The DOST's name and address for the documents"),
            bool(province.dost_address),
            province.dost_name + (f", {province.dost_address}" if province.dost_address else ""),
            "#details",
            _("Complete them below"),
        ),
        Step(
            "registry",
            _("The registry of agencies"),
            agencies > 0,
            _("%(n)s agencies") % {"n": agencies},
            reverse("agencies:import"),
            _("Import it from the Excel template"),
        ),
        Step(
            "secretaries",
            _("An ISO secretary account for every agency"),
            agencies > 0 and with_secretary == agencies,
            _("%(done)s / %(n)s agencies have one") % {"done": with_secretary, "n": agencies},
            reverse("accounts:create"),
            _("Make the accounts"),
        ),
        Step(
            "reminders",
            _("Reminder settings"),
            ReminderSettings.objects.filter(province=province).exists(),
            "",
            reverse("notifications:settings"),
            _("Review and save them"),
        ),
        Step(
            "transition",
            _("The transition to the edition of the standard in force"),
            Campaign.objects.filter(province=province).exists(),
            "",
            reverse("qms:campaigns"),
            _("Open it"),
        ),
        Step(
            "round",
            _("The year's self-report round"),
            ReportingRound.objects.filter(province=province).exists(),
            "",
            reverse("inspections:rounds"),
            _("Open it"),
        ),
    ]


@login_required
@require_page_or_form
def onboarding(request: HttpRequest) -> HttpResponse:
    """The province's checklist of joining, and its details (DOST of the province)."""
    province = get_object_or_404(Province, pk=user_province_id(request.user) or 0)
    require(request.user, "province.edit", province)
    form = ProvinceDetailsForm(request.POST or None, instance=province)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The province's details were saved."))
        return redirect("onboarding")
    steps = checklist(province)
    return render(
        request,
        "registration/onboarding.html",
        {"province": province, "steps": steps, "left": sum(not s.done for s in steps), "form": form},
        status=400 if form.errors else 200,
    )
