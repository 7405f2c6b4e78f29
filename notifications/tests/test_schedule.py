"""The hourly sweep takes each province at its own hour (Vietnam time); nothing here reads the real clock."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from notifications import services, tasks
from notifications.models import JobRun, Reminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_delivery_queue(monkeypatch):
    """The sweep queues the delivery; here nothing is queued."""
    queued = []
    monkeypatch.setattr(tasks, "deliver", type("Stub", (), {"delay": staticmethod(lambda: queued.append(1))}))
    return queued


@pytest.fixture
def at_sixteen(other_province):
    """Bắc Kạn sends its reminders at 16:00; Cao Bằng keeps the default 7:00."""
    setting = services.settings_for(other_province)
    setting.hour = 16
    setting.save()


def _swept(user) -> bool:
    return Reminder.objects.filter(recipient=user, kind="weekly_digest").exists()  # every DOST gets one a week


def test_each_province_is_swept_at_its_own_hour(dost, foreign_dost, at_sixteen, no_delivery_queue):
    tasks.sweep(now_iso="2026-11-27T06:05:00+07:00")
    assert not JobRun.objects.exists() and not no_delivery_queue  # nobody's hour yet

    tasks.sweep(now_iso="2026-11-27T08:05:00+07:00")
    assert _swept(dost) and not _swept(foreign_dost)
    run = JobRun.objects.get(job=services.SWEEP)
    assert run.status == "done" and run.swept_on == datetime.date(2026, 11, 27) and no_delivery_queue == [1]

    tasks.sweep(now_iso="2026-11-27T15:05:00+07:00")
    assert not _swept(foreign_dost) and JobRun.objects.count() == 1  # Cao Bằng is done, Bắc Kạn not yet due

    tasks.sweep(now_iso="2026-11-27T09:05:00+00:00")  # 16:05 in Vietnam
    assert _swept(foreign_dost) and JobRun.objects.count() == 2
    claimed = Reminder.objects.count()

    tasks.sweep(now_iso="2026-11-27T17:05:00+07:00")
    assert JobRun.objects.count() == 2 and Reminder.objects.count() == claimed  # both swept today


def test_a_missed_hour_is_caught_up_and_each_day_is_swept_once(dost, foreign_dost, at_sixteen, no_delivery_queue):
    tasks.sweep(now_iso="2026-11-27T10:05:00+07:00")  # Cao Bằng at 10:05: beat was down from 7 to 10
    assert _swept(dost) and not _swept(foreign_dost)
    tasks.sweep(now_iso="2026-11-27T18:05:00+07:00")  # Bắc Kạn at 18:05: the 16:05 and 17:05 calls were missed
    assert _swept(foreign_dost) and JobRun.objects.count() == 2
    tasks.sweep(now_iso="2026-11-27T23:05:00+07:00")
    assert JobRun.objects.count() == 2
    # the next week's day: Cao Bằng at its hour, Bắc Kạn not before 16:00
    tasks.sweep(now_iso="2026-12-04T07:05:00+07:00")
    digests = Reminder.objects.filter(kind="weekly_digest")
    assert digests.filter(recipient=dost).count() == 2 and digests.filter(recipient=foreign_dost).count() == 1
    tasks.sweep(now_iso="2026-12-04T16:05:00+07:00")
    assert digests.filter(recipient=foreign_dost).count() == 2 and JobRun.objects.count() == 4


def test_the_command_with_a_date_sweeps_every_province_whatever_the_hour(dost, foreign_dost, province, at_sixteen):
    setting = services.settings_for(province)
    setting.hour = 23
    setting.save()
    call_command("send_reminders", "--date", "2026-11-27", stdout=io.StringIO())
    assert _swept(dost) and _swept(foreign_dost)
    call_command("send_reminders", "--date", "2026-11-27", stdout=io.StringIO())
    assert Reminder.objects.filter(kind="weekly_digest").count() == 2


def test_run_now_sweeps_the_users_own_province_only(
    dost, foreign_dost, dost_client, at_sixteen, no_delivery_queue, monkeypatch
):
    queued = []

    def run_inline(**kwargs):  # what the worker does with the queued job
        queued.append(kwargs)
        tasks.sweep(**kwargs)

    monkeypatch.setattr(tasks.sweep, "delay", run_inline)
    response = dost_client.post(reverse("notifications:jobs"), {"job": services.SWEEP})
    assert response.status_code == 302 and queued == [{"force": True, "user_id": dost.pk}]
    assert _swept(dost) and not _swept(foreign_dost)  # Bắc Kạn keeps its own hour
