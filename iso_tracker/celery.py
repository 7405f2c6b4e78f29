"""The Celery application, configured from Django settings (CELERY_ namespace)."""

import datetime
import os

from celery import Celery
from celery.schedules import crontab, schedule

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iso_tracker.settings")

app = Celery("iso_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _cron(env_name: str, default: str) -> crontab | schedule:
    """A crontab from 'minute hour day_of_month month day_of_week', or every N seconds from a bare number
    (at least 10), overridable from the environment."""
    value = os.environ.get(env_name, default).strip()
    if value.isdigit():
        return schedule(datetime.timedelta(seconds=max(int(value), 10)))
    minute, hour, day_of_month, month, day_of_week = value.split()
    return crontab(minute, hour, day_of_week, day_of_month, month)


# The periodic schedule: each entry has a cron default overridable from the environment and
# expires before its next run, so a backlog never runs a job twice.
app.conf.beat_schedule = {
    "reminders-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": _cron("SCHEDULE_REMINDERS", "5 * * * *"),
        "options": {"expires": 55 * 60},
    },
    # Often, so that messages a dead worker held are taken over within a minute; a run that finds nothing
    # to send records nothing.
    "reminders-deliver": {
        "task": "notifications.tasks.deliver",
        "schedule": _cron("SCHEDULE_DELIVERY", "30"),
        "options": {"expires": 25},
    },
    "refresh-dashboards": {
        "task": "migrations_tracker.tasks.refresh_dashboards",
        "schedule": _cron("SCHEDULE_DASHBOARDS", "*/3 * * * *"),
        "options": {"expires": 2 * 60},
    },
    "requeue-stale-renders": {
        "task": "inspections.tasks.requeue_stale_renders",
        "schedule": _cron("SCHEDULE_REPORT_SWEEP", "*/5 * * * *"),
        "options": {"expires": 4 * 60},
    },
    "clear-expired-sessions": {
        "task": "agencies.tasks.clear_expired_sessions",
        "schedule": _cron("SCHEDULE_CLEAR_SESSIONS", "15 2 * * *"),
        "options": {"expires": 23 * 60 * 60},
    },
}
