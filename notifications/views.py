from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import User
from iso_tracker.celery import app as celery_app

from . import services, tasks
from .models import DigestOptOut, JobRun, Kind, Notification, Reminder, ReminderSettings


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(user=request.user)
    page = Paginator(items, settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "opted_out": DigestOptOut.objects.filter(user=request.user).exists(),
        },
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Notification, pk=pk, user=request.user)
    services.mark_read(user=request.user, notification_id=item.pk)
    safe = url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()})
    return redirect(item.url if item.url and safe else "notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=request.user)
    return redirect("notifications:list")


@login_required
@require_POST
def digest_preference(request: HttpRequest) -> HttpResponse:
    if request.POST.get("opt_out") == "1":
        DigestOptOut.objects.get_or_create(user=request.user)
        messages.success(request, _("You will no longer receive the digests. Deadline reminders still come."))
    else:
        DigestOptOut.objects.filter(user=request.user).delete()
        messages.success(request, _("You will receive the digests again."))
    return redirect("notifications:list")


def _require_dost(request: HttpRequest) -> None:
    if request.user.role != User.Role.DOST:
        raise PermissionDenied(_("Only DOST staff manage reminders."))


class SettingsForm(forms.ModelForm):
    enabled = forms.MultipleChoiceField(
        label=gettext_lazy("Reminders that run"),
        choices=Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ReminderSettings
        fields = ["enabled", "report_lead_days", "action_lead_days", "revision_lead_days", "hour", "digest_recipients"]
        widgets = {"digest_recipients": forms.CheckboxSelectMultiple}

    def __init__(self, *args, province, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["digest_recipients"].queryset = User.objects.filter(province=province, role=User.Role.DOST)

    def clean_hour(self):
        hour = self.cleaned_data["hour"]
        if hour > 23:
            raise forms.ValidationError(_("An hour from 0 to 23."))
        return hour

    def _clean_days(self, name):
        value = self.cleaned_data[name]
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not parts or not all(p.isdigit() and 0 < int(p) <= 90 for p in parts):
            raise forms.ValidationError(_("Whole numbers of days from 1 to 90, separated by commas, e.g. 14,7,1."))
        return ",".join(parts)

    def clean_report_lead_days(self):
        return self._clean_days("report_lead_days")

    def clean_action_lead_days(self):
        return self._clean_days("action_lead_days")


@login_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    _require_dost(request)
    instance = services.settings_for(request.user.province)
    form = SettingsForm(request.POST or None, instance=instance, province=request.user.province)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The changes were saved."))
        return redirect("notifications:settings")
    return render(
        request, "notifications/settings.html", {"form": form}, status=400 if form.is_bound and form.errors else 200
    )


JOBS = [
    (services.SWEEP, gettext_lazy("Daily reminders and digests"), "reminders-sweep"),
    (services.DELIVER, gettext_lazy("E-mail delivery (retries failures)"), "reminders-deliver"),
]


@login_required
@require_http_methods(["GET", "POST"])
def jobs(request: HttpRequest) -> HttpResponse:
    _require_dost(request)
    if request.method == "POST":
        job = request.POST.get("job")
        try:
            if job == services.SWEEP:
                tasks.sweep.delay(force=True, user_id=request.user.pk)
            elif job == services.DELIVER:
                tasks.deliver.delay()
            else:
                raise PermissionDenied
        except PermissionDenied:
            raise
        except Exception:  # the broker is unreachable: say so, keep the page working
            messages.error(
                request,
                _(
                    "The job queue cannot be reached now; the job was not started. It runs from "
                    "cron too: python manage.py send_reminders."
                ),
            )
        else:
            messages.success(request, _("The job was queued; this page shows it when it has run."))
        return redirect("notifications:jobs")
    now = timezone.now()
    rows = []
    for name, label, beat_key in JOBS:
        runs = list(JobRun.objects.filter(job=name)[:5])
        entry = celery_app.conf.beat_schedule.get(beat_key)
        next_run = now + entry["schedule"].remaining_estimate(now) if entry else None
        rows.append({"name": name, "label": label, "runs": runs, "next": next_run})
    failed = (
        Reminder.objects.filter(province=request.user.province).exclude(last_error="").select_related("recipient")[:20]
    )
    return render(request, "notifications/jobs.html", {"rows": rows, "failed": failed})
