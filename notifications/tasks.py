"""Celery tasks: each takes plain values, loads, and calls one service."""

import datetime

from celery import shared_task
from django.utils import timezone

from agencies.models import User

from . import services


@shared_task(name="notifications.tasks.sweep", acks_late=True, ignore_result=True)
def sweep(
    date_iso: str | None = None, force: bool = False, user_id: int | None = None, now_iso: str | None = None
) -> None:
    """The daily reminders. Beat calls it every hour without arguments: each province is swept once a day,
    once its own configured hour has come (local time), so a scheduler that was down catches up on its
    next call. `now_iso` stands for the present moment (ISO 8601; tests and catching up by hand).
    `date_iso`: every province not swept for that day yet, whatever the hour.
    `force` ("Run now"): sweep again at once (the user's own province when a user started it)."""
    actor = User.objects.filter(pk=user_id).first() if user_id else None
    on = datetime.date.fromisoformat(date_iso) if date_iso else None
    if force:
        provinces = [actor.province] if actor is not None and actor.province_id else None
        services.run_daily(on=on or timezone.localdate(), actor=actor, provinces=provinces)
    elif on is not None:
        if services.sweep_due(on=on, actor=actor) is None:
            return
    else:
        now = datetime.datetime.fromisoformat(now_iso) if now_iso else timezone.now()
        if timezone.is_naive(now):
            now = timezone.make_aware(now)  # a wall-clock time in the site's time zone
        if services.sweep_scheduled(now=now, actor=actor) is None:
            return
    deliver.delay()


@shared_task(name="notifications.tasks.deliver", acks_late=True, ignore_result=True)
def deliver(record: bool = False) -> None:
    """E-mail delivery; `record` ("Run now"): show the run on the jobs page even if nothing was waiting."""
    services.deliver(record_idle=record)
