"""Reminders: what falls due, once each; delivery with retries; the pages; scoping."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from agencies.models import User
from agencies.tests.factories import make_user
from inspections import services as inspections
from inspections.sections import SECTION_KEYS
from iso_tracker.permissions import SYSTEM
from notifications import services
from notifications.models import DigestOptOut, JobRun, Notification, Reminder

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def round_open(province, dost, agency, secretary):
    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    return inspections.round_open(
        province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10), actor=dost
    )


def _kinds(user):
    return sorted(Reminder.objects.filter(recipient=user).values_list("kind", "key"))


def test_running_twice_claims_and_sends_once(round_open, secretary):
    services.run_daily(on=D(2026, 11, 27))
    services.deliver()
    first = _kinds(secretary)
    sent = len(mail.outbox)
    assert ("report_due", f"round:{round_open.pk}:agency:{secretary.agency_id}:d14") in first
    assert sent >= 2
    services.run_daily(on=D(2026, 11, 27))
    services.deliver()
    call_command("send_reminders", "--date", "2026-11-27", stdout=open("/dev/null", "w"))
    assert _kinds(secretary) == first
    assert len(mail.outbox) == sent
    assert Notification.objects.filter(user=secretary).count() == len(first)


def test_stages_are_windows_so_a_missed_day_is_caught_up_once(round_open, secretary):
    for day in (D(2026, 11, 26), D(2026, 11, 29), D(2026, 12, 2)):  # 14, 11 and 8 days before: one stage
        services.run_daily(on=day)
    due = [key for kind, key in _kinds(secretary) if kind == "report_due"]
    assert due == [f"round:{round_open.pk}:agency:{secretary.agency_id}:d14"]
    services.run_daily(on=D(2026, 12, 6))  # the 7-day stage, caught up on day 4
    services.run_daily(on=D(2026, 12, 10))
    services.run_daily(on=D(2026, 12, 11))
    services.run_daily(on=D(2026, 12, 12))
    kinds = [kind for kind, _key in _kinds(secretary)]
    assert kinds.count("report_due") == 3 and kinds.count("report_overdue") == 1


def test_a_submitted_report_stops_its_reminders(round_open, agency, secretary):
    report = inspections.report_for(actor=SYSTEM, reporting_round=round_open, agency=agency)
    inspections.report_submit(
        report=report, answers=dict.fromkeys(SECTION_KEYS, "x"), expected_revision=0, actor=secretary
    )
    services.run_daily(on=D(2026, 12, 6))
    assert not [k for k, _ in _kinds(secretary) if k.startswith("report_")]


def test_corrective_action_due_overdue_and_rejected(dost, agency, secretary):
    inspection = inspections.inspection_start(agency=agency, mode="onsite", start_date=D(2026, 9, 1), actor=dost)
    finding = inspections.finding_add(
        inspection=inspection,
        item="audits",
        severity="minor",
        description="Thiếu hồ sơ",
        actor=dost,
        due_on=D(2026, 11, 30),
    )
    services.run_daily(on=D(2026, 11, 27))
    assert ("action_due", f"finding:{finding.pk}:d3") in _kinds(secretary)
    services.run_daily(on=D(2026, 12, 1))
    assert ("action_overdue", f"finding:{finding.pk}") in _kinds(secretary)
    action = inspections.action_report(finding=finding, action="Đã bổ sung", upload=None, actor=secretary)
    inspections.action_decide(action=action, accept=False, reason="Chưa đủ", actor=dost)
    services.run_daily(on=D(2026, 12, 2))
    assert ("action_rejected", f"action:{action.pk}") in _kinds(secretary)


def test_an_smtp_outage_is_retried_later_and_nothing_is_marked_sent(round_open, secretary, settings, monkeypatch):
    services.run_daily(on=D(2026, 11, 27))
    calls = {"n": 0}

    def broken(self, *args, **kwargs):
        calls["n"] += 1
        raise smtplib.SMTPServerDisconnected("máy chủ thư không trả lời")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    run = services.deliver()
    waiting = Reminder.objects.filter(recipient=secretary)
    in_app_only = Reminder.objects.filter(recipient__email="").count()  # no address: in-app only, nothing to send
    assert calls["n"] == waiting.count() and run.sent == in_app_only
    assert all(r.status == "pending" and r.attempts == 1 and "không trả lời" in r.last_error for r in waiting)
    assert services.deliver().sent == 0 and calls["n"] == waiting.count()  # backing off: not retried at once
    waiting.update(claimed_at=None)
    monkeypatch.undo()
    assert services.deliver().sent == waiting.count()
    assert len(mail.outbox) == waiting.count()
    assert all(r.status == "sent" and r.attempts == 2 for r in Reminder.objects.filter(recipient=secretary))


def test_gives_up_after_five_attempts(round_open, secretary, monkeypatch):
    services.run_daily(on=D(2026, 11, 27))
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda *a, **k: (_ for _ in ()).throw(ConnectionRefusedError("refused")),
    )
    for _attempt in range(services.MAX_ATTEMPTS):
        Reminder.objects.update(claimed_at=None)
        services.deliver()
    assert set(Reminder.objects.filter(recipient=secretary).values_list("status", flat=True)) == {"failed"}


def test_a_message_claimed_by_another_worker_is_left_alone_until_its_lease_ends(round_open, secretary):
    from django.utils import timezone

    services.run_daily(on=D(2026, 11, 27))
    Reminder.objects.update(status="sending", claimed_at=timezone.now())  # another worker is on it
    assert services.deliver().sent == 0 and len(mail.outbox) == 0
    Reminder.objects.update(claimed_at=timezone.now() - services.lease() - datetime.timedelta(seconds=1))  # it died
    assert services.deliver().sent == Reminder.objects.count()
    assert len(mail.outbox) == Reminder.objects.filter(recipient=secretary).count()


def test_digests_respect_opt_out_but_deadlines_do_not(round_open, dost, leader, secretary):
    DigestOptOut.objects.create(user=dost)
    DigestOptOut.objects.create(user=secretary)
    services.run_daily(on=D(2026, 11, 27))
    assert not Reminder.objects.filter(recipient=dost, kind="weekly_digest").exists()
    assert Reminder.objects.filter(recipient=leader, kind="monthly_summary").count() == 1
    assert Reminder.objects.filter(recipient=secretary, kind="report_due").exists()


def test_a_disabled_reminder_does_not_run(round_open, province, secretary):
    setting = services.settings_for(province)
    setting.enabled = [k for k in setting.enabled if k != "report_opened"]
    setting.save()
    services.run_daily(on=D(2026, 11, 27))
    assert not Reminder.objects.filter(kind="report_opened").exists()
    assert Reminder.objects.filter(kind="report_due").exists()


def test_the_email_is_vietnamese_with_text_html_and_a_working_link(round_open, secretary, settings):
    settings.SITE_URL = "https://iso.caobang.gov.vn"
    services.run_daily(on=D(2026, 11, 27))
    services.deliver()
    message = next(m for m in mail.outbox if "Còn 13 ngày" in m.subject)
    assert message.subject.startswith("[ISO Tracker] Còn 13 ngày đến hạn nộp báo cáo (10/12/2026)")
    assert "Kính gửi" in message.body and "https://iso.caobang.gov.vn/inspections/self-reports/" in message.body
    html = message.alternatives[0]
    assert html[1] == "text/html" and "Mở trên ISO Tracker" in html[0]


def test_notification_list_unread_count_and_open(secretary_client, round_open, secretary, dost):
    services.run_daily(on=D(2026, 11, 27))
    page = secretary_client.get(reverse("notifications:list"))
    count = Notification.objects.filter(user=secretary).count()
    assert f'data-testid="unread">{count}<' in page.content.decode()
    first = Notification.objects.filter(user=secretary).first()
    response = secretary_client.get(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == first.url
    first.refresh_from_db()
    assert first.read_at is None, "a GET writes nothing"
    response = secretary_client.post(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == first.url
    first.refresh_from_db()
    assert first.read_at is not None
    others = Notification.objects.filter(user=dost).first()
    assert secretary_client.get(reverse("notifications:open", args=[others.pk])).status_code == 404
    assert secretary_client.post(reverse("notifications:open", args=[others.pk])).status_code == 404


def test_settings_and_jobs_pages_are_for_dost(dost_client, secretary_client, leader_client, round_open, monkeypatch):
    for client in (secretary_client, leader_client):
        assert client.get(reverse("notifications:settings")).status_code == 403
        assert client.post(reverse("notifications:jobs"), {"job": services.SWEEP}).status_code == 403
    response = dost_client.post(
        reverse("notifications:settings"),
        {
            "enabled": ["report_due"],
            "report_lead_days": "10,2",
            "action_lead_days": "abc",
            "revision_lead_days": "14",
            "hour": "25",
        },
    )
    assert response.status_code == 400
    assert "Số ngày nguyên từ 1 đến 90" in response.content.decode() and "Giờ từ 0 đến 23." in response.content.decode()
    services.run_daily(on=D(2026, 11, 27))
    page = dost_client.get(reverse("notifications:jobs"))
    assert page.status_code == 200 and "Nhắc việc hằng ngày và bản tin" in page.content.decode()


def test_the_web_keeps_working_when_the_broker_is_down(dost_client, monkeypatch):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("notifications.tasks.sweep.delay", down)
    response = dost_client.post(reverse("notifications:jobs"), {"job": services.SWEEP}, follow=True)
    assert response.status_code == 200
    assert "Hiện không kết nối được hàng đợi tác vụ" in response.content.decode()


def test_the_demo_first_daily_run_is_believable(demo):
    call_command("send_reminders", "--date", "2026-11-27", stdout=open("/dev/null", "w"))
    kinds = set(Reminder.objects.values_list("kind", flat=True))
    assert {"report_opened", "report_due", "audit_due", "weekly_digest", "monthly_summary"} <= kinds
    assert JobRun.objects.filter(job=services.SWEEP, status="done").count() == 1
    assert User.objects.get(username="dost").notifications.filter(reminder__kind="weekly_digest").count() == 1
    assert mail.outbox and all(m.to for m in mail.outbox)


def test_command_rejects_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "27/11/2026")


def test_leadership_gets_the_summary_not_the_deadlines(round_open, leader):
    make_user("tk-x", User.Role.SECRETARY, agency=round_open.province.agencies.first())
    services.run_daily(on=D(2026, 11, 27))
    assert set(Reminder.objects.filter(recipient=leader).values_list("kind", flat=True)) == {"monthly_summary"}


def test_digest_names_the_agencies_most_behind_with_links(dost, agency, other_agency, settings):
    settings.SITE_URL = "https://iso.caobang.gov.vn"
    inspection = inspections.inspection_start(agency=agency, mode="onsite", start_date=D(2026, 6, 1), actor=dost)
    inspections.finding_add(
        inspection=inspection, item="audits", severity="major", description="x", actor=dost, due_on=D(2026, 8, 1)
    )
    services.run_daily(on=D(2026, 11, 27))
    digest = Reminder.objects.get(recipient=dost, kind="weekly_digest")
    lines = digest.body.splitlines()
    first_agency = lines[lines.index("Các cơ quan chậm nhất:") + 1]
    assert first_agency.startswith(f"{agency.name}: 1 hành động khắc phục quá hạn")
    assert first_agency.endswith(f"https://iso.caobang.gov.vn/qms/agencies/{agency.pk}/")
    # In the app the agency's name is the link; the raw address is never shown. The e-mail links it whole.
    page = Client()
    page.force_login(dost, backend="django.contrib.auth.backends.ModelBackend")
    listed = page.get(reverse("notifications:list")).content.decode()
    assert f'<a href="/qms/agencies/{agency.pk}/">{agency.name}</a>: 1 hành động' in listed
    assert "https://iso.caobang.gov.vn" not in listed
    _subject, _text, html = services.render_email(digest)
    assert f'<a href="https://iso.caobang.gov.vn/qms/agencies/{agency.pk}/">{agency.name}</a>' in html


def test_the_hourly_sweep_acts_once_a_day_after_the_hour_and_catches_up(round_open, secretary, monkeypatch):
    from notifications import tasks

    monkeypatch.setattr(tasks, "deliver", type("Stub", (), {"delay": staticmethod(lambda: None)}))
    tasks.sweep(now_iso="2026-11-27T06:05:00+07:00")
    assert not JobRun.objects.filter(job=services.SWEEP).exists()  # before the configured hour (7)
    # beat was down from 7 to 10; the 10:05 call still sends the day's reminders
    tasks.sweep(now_iso="2026-11-27T10:05:00+07:00")
    claimed = Reminder.objects.count()
    assert claimed and JobRun.objects.filter(job=services.SWEEP, status="done").count() == 1
    tasks.sweep(now_iso="2026-11-27T11:05:00+07:00")
    assert JobRun.objects.filter(job=services.SWEEP).count() == 1 and Reminder.objects.count() == claimed


def test_every_periodic_entry_expires_before_its_next_run():
    from datetime import timedelta

    from django.utils import timezone

    from iso_tracker.celery import app

    now = timezone.now()
    for name, entry in app.conf.beat_schedule.items():
        schedule = entry["schedule"]
        first = now + schedule.remaining_estimate(now)
        second = first + timedelta(seconds=1) + schedule.remaining_estimate(first + timedelta(seconds=1))
        assert timedelta(seconds=entry["options"]["expires"]) < second - first, name


def test_the_monthly_summary_carries_the_summary_pdf(round_open, leader):
    leader.email = "lanhdao@caobang.gov.vn"
    leader.save()
    services.run_daily(on=D(2026, 11, 27))
    services.deliver()
    message = next(m for m in mail.outbox if m.to == ["lanhdao@caobang.gov.vn"])
    name, content, mimetype = message.attachments[0]
    assert name == "tom-tat-HTQLCL-2026-11.pdf" and mimetype == "application/pdf" and content.startswith(b"%PDF")
