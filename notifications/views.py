from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from iso_tracker.concurrency import CONFLICT_MESSAGE, EditConflict
from iso_tracker.permissions import require

from . import services, tasks
from .forms import SettingsForm
from .models import DigestOptOut, Notification, ReminderSettings


@login_required
@require_safe
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
@require_http_methods(["GET", "POST"])
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Go to what a notification is about; opened from the list (a POST), it is marked read on the way."""
    item = get_object_or_404(Notification, pk=pk, user=request.user)
    if request.method == "POST":
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


@login_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    require(request.user, "reminders.manage")
    province = request.user.province
    instance = ReminderSettings.objects.filter(province=province).first() or ReminderSettings(province=province)
    form = SettingsForm(request.POST or None, instance=instance, province=request.user.province)
    status = 400 if form.is_bound and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_save(form, actor=request.user)
        except EditConflict:
            form.add_error(None, CONFLICT_MESSAGE)
            status = 409
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form}, status=status)


JOBS = [
    (services.SWEEP, gettext_lazy("Daily reminders and digests"), "reminders-sweep"),
    (services.DELIVER, gettext_lazy("E-mail delivery (retries failures)"), "reminders-deliver"),
]


@login_required
@require_http_methods(["GET", "POST"])
def jobs(request: HttpRequest) -> HttpResponse:
    require(request.user, "reminders.manage")
    if request.method == "POST":
        job = request.POST.get("job")
        try:
            if job == services.SWEEP:
                tasks.sweep.delay(force=True, user_id=request.user.pk)
            elif job == services.DELIVER:
                tasks.deliver.delay(record=True)
            else:
                messages.error(request, _("Choose one of the jobs below."))
                return redirect("notifications:jobs")
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
    rows = []
    for name, label, beat_key in JOBS:
        runs, next_run = services.job_overview(name, beat_key)
        rows.append({"name": name, "label": label, "runs": runs, "next": next_run})
    failed = services.undelivered(request.user.province)
    return render(request, "notifications/jobs.html", {"rows": rows, "failed": failed})
