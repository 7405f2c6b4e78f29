"""Celery tasks: each takes plain values, loads, and calls one service."""

import datetime

from celery import shared_task
from django.utils import timezone

from agencies.models import User

from . import services
from .models import JobRun, ReminderSettings


@shared_task(name="notifications.tasks.sweep", acks_late=True, ignore_result=True)
def sweep(date_iso: str | None = None, force: bool = False, user_id: int | None = None) -> None:
    """The daily reminders. Beat calls it every hour: it runs once the configured hour has come and the
    day has not been swept yet, so a scheduler that was down catches up on its next call."""
    on = datetime.date.fromisoformat(date_iso) if date_iso else timezone.localdate()
    hour = min((s.hour for s in ReminderSettings.objects.all()), default=7)
    if not force and date_iso is None and timezone.localtime().hour < hour:
        return
    if not force and JobRun.objects.filter(job=services.SWEEP, swept_on=on, status=JobRun.Status.DONE).exists():
        return
    actor = User.objects.filter(pk=user_id).first() if user_id else None
    services.run_daily(on=on, actor=actor)
    deliver.delay()


@shared_task(name="notifications.tasks.deliver", acks_late=True, ignore_result=True)
def deliver() -> None:
    services.deliver()
