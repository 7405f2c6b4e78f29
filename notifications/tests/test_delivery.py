"""Delivery when a message cannot be sent, and user text in e-mail subjects (issue 11)."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from agencies.models import User
from agencies.tests.factories import make_user
from inspections import services as inspections
from iso_tracker.permissions import SYSTEM
from migrations_tracker import services as qms
from migrations_tracker.models import LegalChange, Process
from notifications import services
from notifications.models import JobRun, Notification, Reminder

pytestmark = pytest.mark.django_db
D = datetime.date


def _send_reminders(on="2026-11-27"):
    out = io.StringIO()
    call_command("send_reminders", "--date", on, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_rounds(province, other_province, dost, foreign_dost, agency, foreign_agency):
    for where, actor in ((province, dost), (other_province, foreign_dost)):
        inspections.round_open(
            province=where, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10), actor=actor
        )


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("thuky@caobang.gov.vn\r\nBcc: x@example.com", "BadHeaderError"),  # a header with a line break
        ("thuky@" + "ẩ" * 70 + ".gov.vn", "UnicodeError"),  # a domain that cannot be encoded (IDNA)
    ],
)
def test_a_message_that_cannot_be_sent_fails_alone_and_the_batch_goes_on(
    two_rounds, secretary, foreign_agency, dost_client, address, error
):
    User.objects.filter(pk=secretary.pk).update(email=address)  # as an old import could have left it
    neighbour = make_user("thuky-bk", User.Role.SECRETARY, agency=foreign_agency)
    neighbour.email = "thuky@backan.gov.vn"
    neighbour.save()

    output = _send_reminders()

    broken = Reminder.objects.filter(recipient=secretary)
    assert broken.count() >= 2
    assert all(r.status == "failed" and error in r.last_error and r.sent_at is None for r in broken)
    others = Reminder.objects.filter(recipient=neighbour)
    assert others.exists() and set(others.values_list("status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == ["thuky@backan.gov.vn"] * others.count()
    assert not Reminder.objects.exclude(status__in=["sent", "failed"]).exists()  # nothing left claimed
    run = JobRun.objects.get(job=services.DELIVER)
    assert run.status == "done" and run.finished_at is not None and run.failed == broken.count()
    assert f"{run.failed} failed for good" in output
    # the jobs page lists them with their reason
    page = dost_client.get(reverse("notifications:jobs")).content.decode()
    assert page.count('data-testid="undelivered-failed"') == broken.count()
    assert error in page and broken.first().title in page
    # a failed message is not tried again
    services.deliver()
    assert len(mail.outbox) == others.count() and set(broken.values_list("status", flat=True)) == {"failed"}


def test_a_delivery_run_that_breaks_off_is_finished_not_left_running(two_rounds, secretary, settings):
    from notifications import tasks

    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    services.run_daily(on=D(2026, 11, 27))
    settings.EMAIL_BACKEND = "notifications.tests.no_such_module.EmailBackend"  # a typo in the configuration
    with pytest.raises(ImportError):
        tasks.deliver()
    run = JobRun.objects.get(job=services.DELIVER)
    assert run.status == "failed" and run.finished_at is not None and "no_such_module" in run.error
    assert not Reminder.objects.exclude(status="pending").exists()  # nothing was claimed: the next run sends all


@pytest.fixture
def overdue_revision(province, agency, secretary):
    """A process whose code a secretary typed with HTML and a header injection, and a legal change whose
    number holds a line break; its revision is overdue on 27/11/2026."""
    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    process = qms.process_save(
        agency=agency,
        process=Process(code="QT-<b>X</b>\r\nBcc: x@example.com", name="Đất đai"),
        procedures=[],
        actor=SYSTEM,
    )
    law = qms.legal_change_create(
        province=province,
        actor=SYSTEM,
        legal_change=LegalChange(number="31/2024/QH15\nTo: y@example.com", title="Luật", effective_date=D(2026, 8, 1)),
    )
    qms.revisions_mark(legal_change=law, agency=agency, processes=[process], actor=SYSTEM)
    return process


def test_user_text_in_a_subject_is_one_plain_line_and_the_message_is_sent(overdue_revision, secretary):
    _send_reminders()

    reminder = Reminder.objects.get(recipient=secretary, kind="revision_due")
    assert reminder.status == "sent"
    assert reminder.title == (
        "Quy trình QT-<b>X</b> Bcc: x@example.com: quá hạn cập nhật theo 31/2024/QH15 To: y@example.com "
        "từ ngày 01/11/2026"
    )
    assert Notification.objects.get(reminder=reminder).title == reminder.title
    (message,) = [m for m in mail.outbox if "QT-" in m.subject]
    assert message.subject == f"[ISO Tracker] {reminder.title}"  # plain text: <b> as typed, no &lt;b&gt;
    assert message.recipients() == ["thuky@caobang.gov.vn"] and not message.bcc
    headers = message.message().as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers and "\nTo: y@" not in headers
    html = message.alternatives[0][0]
    assert "QT-&lt;b&gt;X&lt;/b&gt;" in html and "<b>X</b>" not in html  # the HTML part stays escaped


def test_a_long_subject_is_cut_to_one_sensible_line(province, agency, secretary):
    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    process = qms.process_save(
        agency=agency, process=Process(code="QT\t" + "9" * 47, name="Dài"), procedures=[], actor=SYSTEM
    )
    law = qms.legal_change_create(
        province=province,
        actor=SYSTEM,
        legal_change=LegalChange(number="Luật\r\n" + "x " * 47, title="Luật", effective_date=D(2026, 8, 1)),
    )
    qms.revisions_mark(legal_change=law, agency=agency, processes=[process], actor=SYSTEM)

    _send_reminders()

    (message,) = [m for m in mail.outbox if "QT 999" in m.subject]
    assert len(message.subject) <= services.SUBJECT_MAX and message.subject.endswith("…")
    assert "\n" not in message.subject and "\t" not in message.subject and "  " not in message.subject


def test_a_time_limit_stops_the_run_without_failing_the_message(two_rounds, secretary, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    from notifications import tasks

    secretary.email = "thuky@caobang.gov.vn"
    secretary.save()
    services.run_daily(on=D(2026, 11, 27))

    def out_of_time(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        tasks.deliver()
    run = JobRun.objects.get(job=services.DELIVER)
    assert run.status == "failed" and run.finished_at is not None and "SoftTimeLimitExceeded" in run.error
    assert not Reminder.objects.filter(status="failed").exists()  # not the message's fault: sent after the lease
