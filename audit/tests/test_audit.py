"""Every write leaves an audit record with actor and time, bulk paths included; sign-ins and refused
accesses are recorded; each DOST reads its own province's trail."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "Mật-khẩu-thử-2019"


def _events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def test_a_form_write_is_recorded_with_actor_time_and_tables(dost_client, dost, agency):
    response = dost_client.post(
        reverse("agencies:edit", args=[agency.pk]),
        {
            "revision": agency.revision,
            "code": agency.code,
            "name": "Sở Khoa học và Công nghệ tỉnh Cao Bằng",
            "category": agency.category,
            "locality": "Cao Bằng",
            "secretary_name": "Nông Văn Tiến",
            "secretary_email": "",
            "secretary_phone": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = _events(kind="write")
    assert event.actor == dost and event.actor_name == "dost" and event.province_id == dost.province_id
    assert event.at is not None and event.method == "POST" and event.path == reverse("agencies:edit", args=[agency.pk])
    assert event.view == "agencies:edit" and event.status == 302
    assert event.changes["agencies_agency"]["update"] >= 1
    # The trail names what was written in the user's words, never a table's name.
    page = dost_client.get(reverse("audit:list")).content.decode()
    changes = page[page.index('data-testid="changes"') :].split("</ul>")[0]
    assert "Cơ quan: sửa" in changes and "Lịch sử của cơ quan" in changes
    assert "agencies_" not in page


def test_a_bulk_csv_import_is_recorded_with_its_row_count(dost_client, dost):
    rows = "\n".join(f"IMP{i:03d},Cơ quan nhập thử {i},provincial_agency" for i in range(40))
    content = ("Mã cơ quan,Tên cơ quan,Loại cơ quan\n" + rows + "\n").encode()
    response = dost_client.post(reverse("agencies:import"), {"file": SimpleUploadedFile("dang-ky.csv", content)})
    assert response.status_code == 302
    assert Agency.objects.filter(code__startswith="IMP").count() == 40
    (event,) = _events(kind="write", view="agencies:import")
    assert event.actor == dost
    assert event.changes["agencies_agency"]["insert"] >= 40
    assert event.changes["agencies_agencyversion"]["insert"] >= 40


def test_sign_in_sign_out_and_failures_are_recorded(client, dost):
    client.post(reverse("login"), {"username": "dost", "password": "sai-mật-khẩu"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "dost", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    kinds = [(e.kind, e.actor_name, e.ip_address) for e in _events() if e.kind != "write"]
    assert kinds == [
        ("login_failed", "dost", "10.1.2.3"),
        ("login", "dost", "10.1.2.3"),
        ("logout", "dost", "10.1.2.3"),
    ]


def test_a_lockout_is_recorded(client, dost, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "dost", "password": "sai"}, REMOTE_ADDR="10.9.9.9")
    assert _events(kind="locked_out", actor_name="dost")


def test_refused_accesses_are_recorded(secretary_client, secretary, other_agency, foreign_dost_client, agency):
    assert secretary_client.get(reverse("agencies:detail", args=[other_agency.pk])).status_code == 404
    assert secretary_client.get(reverse("audit:list")).status_code == 403
    assert foreign_dost_client.get(reverse("agencies:edit", args=[agency.pk])).status_code == 404
    refused = _events(kind="refused")
    assert [(e.actor_name, e.status, e.view) for e in refused] == [
        ("thuky", 404, "agencies:detail"),
        ("thuky", 403, "audit:list"),
        ("dost-bk", 404, "agencies:edit"),
    ]


def test_each_dost_reads_its_own_provinces_trail_in_bounded_queries(
    dost_client, foreign_dost_client, secretary_client, leader_client, secretary, other_agency
):
    secretary_client.get(reverse("agencies:detail", args=[other_agency.pk]))
    foreign_dost_client.get(reverse("agencies:detail", args=[other_agency.pk]))
    AuditEvent.objects.bulk_create(
        [AuditEvent(kind="write", actor_name=f"người{i}", province_id=secretary.agency.province_id) for i in range(120)]
    )
    with CaptureQueriesContext(connection) as queries:
        page = dost_client.get(reverse("audit:list"), {"kind": "refused"})
    assert page.status_code == 200
    assert len(queries) <= 8, [q["sql"] for q in queries]
    html = page.content.decode()
    assert "thuky" in html and "dost-bk" not in html
    assert "Truy cập bị từ chối" in html
    assert "thuky" not in foreign_dost_client.get(reverse("audit:list")).content.decode()
    assert leader_client.get(reverse("audit:list")).status_code == 403
    everything = dost_client.get(reverse("audit:list"))
    assert "Trang 1 / 3" in everything.content.decode() or "Trang 1" in everything.content.decode()


def test_a_background_job_that_writes_is_recorded(demo, settings):
    AuditEvent.objects.all().delete()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from notifications import tasks

    tasks.sweep.apply(kwargs={"date_iso": timezone.localdate().isoformat()})
    (sweep,) = [e for e in _events(kind="job") if e.actor_name.startswith("notifications.tasks.sweep")]
    assert sweep.actor is None and sweep.changes["notifications_reminder"]["insert"] > 0
    # Run again: nothing new is due, nothing is written, nothing more is recorded.
    tasks.sweep.apply(kwargs={"date_iso": timezone.localdate().isoformat()})
    assert len([e for e in _events(kind="job") if e.actor_name.startswith("notifications.tasks.sweep")]) == 1


def test_a_queryset_update_over_many_rows_is_one_record_with_its_count(demo, client, settings):
    from django.db.models import Count

    from agencies.models import User
    from notifications import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = True
    tasks.sweep.apply(kwargs={"date_iso": timezone.localdate().isoformat()})
    user = User.objects.annotate(n=Count("notifications")).order_by("-n").first()
    unread = user.notifications.filter(read_at=None).count()
    assert unread > 1
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    AuditEvent.objects.all().delete()
    client.post(reverse("notifications:read"))
    (event,) = _events(kind="write")
    assert event.actor == user and event.changes["notifications_notification"]["update"] == unread
    client.post(reverse("notifications:read"))  # nothing left unread: nothing written, nothing recorded
    assert len(_events(kind="write")) == 1


def test_management_commands_that_write_are_recorded(province, tmp_path, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Mật-khẩu-quản-trị-2026")
    call_command(
        "createsuperuser", "--noinput", "--username", "quantri", "--email", "qt@example.com", stdout=io.StringIO()
    )
    (event,) = _events(kind="command")
    assert event.actor is None and event.actor_name.startswith("manage.py createsuperuser (")
    assert event.changes["agencies_user"]["insert"] == 1
    # A command that writes nothing leaves nothing.
    call_command("export_registry", "--as-of", "2019-12-31", "--output", str(tmp_path / "r.csv"))
    assert len(_events(kind="command")) == 1


def test_a_trail_that_cannot_be_written_is_logged_and_the_page_still_answers(dost_client, agency, monkeypatch, caplog):
    """The database refuses the audit row (an outage): the user's page answers, the log says what happened."""
    from django.db import OperationalError

    def database_down(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(AuditEvent, "save", database_down)
    data = {"revision": agency.revision, "code": agency.code, "name": agency.name, "category": agency.category}
    with caplog.at_level("ERROR", logger="audit"):
        response = dost_client.post(reverse("agencies:edit", args=[agency.pk]), {**data, "phone": "0206 3850 000"})
    assert response.status_code == 302
    assert f"Could not record the audit event: write dost POST /agencies/{agency.pk}/edit/ 302" in caplog.text
    assert "server closed the connection unexpectedly" in caplog.text
