"""The QMS pages through HTTP: who may see and change what, uploads, imports, the dashboard."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from agencies.models import Document
from iso_tracker.permissions import SYSTEM
from migrations_tracker import services
from migrations_tracker.models import (
    AdministrativeProcedure,
    Announcement,
    LegalChange,
    Process,
    Review,
    TrainingCourse,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANNOUNCEMENT = {
    "decision_number": "15/QĐ-SKHCN",
    "decision_date": "15/09/2016",
    "edition": "2008",
    "scope": "Toàn bộ thủ tục hành chính",
    "posted_at_office": "on",
}


def _pdf(name="quyet-dinh.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_secretary_records_an_announcement_with_its_signed_file(secretary_client, agency):
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "announcement"]), {**ANNOUNCEMENT, "evidence": _pdf()}
    )
    assert response.status_code == 302
    announcement = agency.announcements.get()
    assert announcement.document.original_name == "quyet-dinh.pdf"
    assert "quyet-dinh" not in announcement.document.file.name  # a server-generated name
    download = secretary_client.get(announcement.document.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF
    page = secretary_client.get(reverse("qms:profile", args=[agency.pk])).content.decode()
    assert "15/QĐ-SKHCN" in page and "TCVN ISO 9001:2008" in page


def test_a_renamed_executable_is_refused_and_nothing_typed_is_lost(secretary_client, agency):
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "announcement"]), {**ANNOUNCEMENT, "evidence": _pdf("bao-cao.pdf", elf)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nội dung của “bao-cao.pdf” không phải là tệp .pdf thật." in body
    assert 'value="15/QĐ-SKHCN"' in body
    assert not Announcement.objects.exists() and not Document.objects.exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("chuong-trinh.exe", b"MZ\x90\x00", "Không nhận tệp loại .exe"),
        ("bang-tinh.xlsx", b"PK\x03\x04not really a workbook", "không phải là tệp .xlsx thật"),
        ("anh.png", b"\xff\xd8\xff\xe0 jpeg bytes", "không phải là tệp .png thật"),
    ],
)
def test_upload_checks_type_by_extension_and_content(secretary_client, agency, name, content, message):
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "review"]),
        {"kind": "audit", "date": "15/10/2025", "nonconformities": "2", "evidence": _pdf(name, content)},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Review.objects.exists()


def test_upload_size_limit(secretary_client, agency, settings):
    settings.UPLOAD_MAX_MB = 1
    big = PDF + b"0" * (1024 * 1024)
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "review"]),
        {"kind": "audit", "date": "15/10/2025", "nonconformities": "0", "evidence": _pdf("lon.pdf", big)},
    )
    assert response.status_code == 400
    assert "Tệp lớn hơn 1 MB." in response.content.decode()


def test_real_office_files_are_accepted(secretary_client, agency):
    buffer = io.BytesIO()
    Workbook().save(buffer)
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "contract"]),
        {
            "consultant": "Trung tâm Năng suất",
            "signed_on": "20/06/2019",
            "value_vnd": "25000000",
            "evidence": SimpleUploadedFile("hop-dong.xlsx", buffer.getvalue()),
        },
    )
    assert response.status_code == 302
    assert agency.consultant_contracts.get().document.content_type.endswith("spreadsheetml.sheet")


def test_another_agencys_pages_and_files_are_invisible_to_a_secretary(secretary_client, client, other_agency, dost):
    client.force_login(dost, backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse("qms:add", args=[other_agency.pk, "announcement"]), {**ANNOUNCEMENT, "evidence": _pdf()})
    document = other_agency.announcements.get().document
    procedure = services.procedure_create(
        actor=SYSTEM, agency=other_agency, procedure=AdministrativeProcedure(code="T", name="T")
    )
    law = services.legal_change_create(
        province=other_agency.province,
        actor=SYSTEM,
        legal_change=LegalChange(number="1/2024", title="Luật", effective_date=datetime.date(2024, 1, 1)),
    )
    for url in [
        document.get_absolute_url(),
        reverse("qms:profile", args=[other_agency.pk]),
        reverse("qms:profile_edit", args=[other_agency.pk]),
        reverse("qms:add", args=[other_agency.pk, "review"]),
        reverse("qms:procedure_import", args=[other_agency.pk]),
        reverse("qms:revisions_edit", args=[other_agency.pk, law.pk]),
    ]:
        assert secretary_client.get(url).status_code == 404, url
    assert (
        secretary_client.post(reverse("qms:procedure_delete", args=[other_agency.pk, procedure.pk])).status_code == 404
    )
    assert AdministrativeProcedure.objects.filter(pk=procedure.pk).exists()


def test_a_secretary_cannot_tie_another_agencys_procedure_by_form_field(secretary_client, agency, other_agency):
    foreign = services.procedure_create(
        actor=SYSTEM, agency=other_agency, procedure=AdministrativeProcedure(code="X", name="X")
    )
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "process"]),
        {"code": "QT1", "name": "Quy trình", "procedures": [foreign.pk]},
    )
    assert response.status_code == 400
    assert "procedures" in response.context["form"].errors
    assert not Process.objects.exists()


def test_other_province_and_leadership(foreign_dost_client, leader_client, agency):
    assert foreign_dost_client.get(reverse("qms:profile", args=[agency.pk])).status_code == 404
    assert leader_client.get(reverse("qms:profile", args=[agency.pk])).status_code == 200
    assert leader_client.get(reverse("qms:dashboard")).status_code == 200
    assert leader_client.post(reverse("qms:add", args=[agency.pk, "review"]), {}).status_code == 403
    assert leader_client.post(reverse("qms:profile_edit", args=[agency.pk]), {}).status_code == 403
    assert leader_client.post(reverse("qms:courses"), {"title": "x"}).status_code == 403


def test_secretary_is_sent_to_own_profile_and_kept_from_province_figures(secretary_client, agency):
    assert secretary_client.get(reverse("qms:dashboard"))["Location"] == reverse("qms:profile", args=[agency.pk])
    assert secretary_client.get(reverse("qms:flag", args=["not_announced"])).status_code == 403


def test_procedure_import_all_or_nothing(secretary_client, agency):
    good = "Mã thủ tục,Tên thủ tục,Lĩnh vực\nTT01,Cấp giấy phép,Môi trường\nTT02,Thẩm định,Môi trường\n"
    response = secretary_client.post(
        reverse("qms:procedure_import", args=[agency.pk]), {"file": SimpleUploadedFile("tt.csv", good.encode())}
    )
    assert response.status_code == 200 and agency.procedures.count() == 0  # checked and shown, not saved
    response = secretary_client.post(
        reverse("qms:procedure_import", args=[agency.pk]), {"confirm": response.context["digest"]}
    )
    assert response.status_code == 302
    assert agency.procedures.count() == 2
    agency.qms.refresh_from_db()
    assert agency.qms.scope_changed_on is not None
    bad = "Mã thủ tục,Tên thủ tục\nTT03,Thủ tục mới\n,Thiếu mã\nTT03,Trùng\n"
    response = secretary_client.post(
        reverse("qms:procedure_import", args=[agency.pk]), {"file": SimpleUploadedFile("tt.csv", bad.encode())}
    )
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["result"].errors] == [(3, "Mã thủ tục"), (4, "Mã thủ tục")]
    assert agency.procedures.count() == 2


def test_legal_change_marked_and_revised_by_the_secretary(secretary_client, dost_client, agency):
    process = services.process_save(actor=SYSTEM, agency=agency, process=Process(code="QT01", name="Q"), procedures=[])
    response = dost_client.post(
        reverse("qms:legal_changes"),
        {"number": "31/2024/QH15", "title": "Luật Đất đai", "effective_date": "01/08/2024", "fields": "Đất đai"},
    )
    law = LegalChange.objects.get()
    assert response["Location"] == law.get_absolute_url()
    assert law.revision_due_on == datetime.date(2024, 11, 1)
    secretary_client.post(reverse("qms:revisions_edit", args=[agency.pk, law.pk]), {"processes": [process.pk]})
    revision = law.revisions.get()
    secretary_client.post(reverse("qms:revision_done", args=[agency.pk, revision.pk]), {"revised_on": "20/10/2024"})
    revision.refresh_from_db()
    assert revision.revised_on == datetime.date(2024, 10, 20)
    detail = dost_client.get(law.get_absolute_url()).content.decode()
    assert "20/10/2024" in detail


def test_dashboard_as_of_date_and_spending(dost_client, agency, other_agency):
    services.announcement_create(
        actor=SYSTEM,
        agency=agency,
        announcement=Announcement(
            decision_number="1", decision_date=datetime.date(2016, 1, 1), edition_id="2008", scope="x"
        ),
    )
    services.announcement_create(
        actor=SYSTEM,
        agency=agency,
        announcement=Announcement(
            decision_number="2", decision_date=datetime.date(2019, 12, 1), edition_id="2015", scope="x"
        ),
    )
    dost_client.post(
        reverse("qms:add", args=[agency.pk, "contract"]),
        {"consultant": "Tư vấn", "signed_on": "20/06/2019", "value_vnd": "50000000"},
    )
    response = dost_client.get(reverse("qms:dashboard"), {"as_of": "30/11/2019"})
    versions = {key: n for key, _label, n in response.context["versions"]}
    assert versions == {"none": 1, "2008": 1, "2015": 0}
    response = dost_client.get(reverse("qms:dashboard"), {"as_of": "31/12/2019"})
    assert {key: n for key, _label, n in response.context["versions"]}["2015"] == 1
    spending = response.context["spending"]
    assert spending["total"] == 50_000_000
    assert [row["agency_id"] for row in spending["over_cap"]] == [agency.pk]  # cap for a department: 45m
    assert "50.000.000 đ" in response.content.decode()


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_flag_list_and_profile_use_a_bounded_number_of_queries(dost_client, province, agency, settings):
    from agencies.tests.factories import bulk_agencies

    settings.DASHBOARD_SNAPSHOT_FROM = 10**9  # the live count, bounded at any size (snapshots: test_snapshots.py)

    Review.objects.create(agency=agency, kind="audit", date=datetime.date(2026, 1, 1))
    LegalChange.objects.create(
        province=province,
        number="1/QH",
        title="Luật",
        effective_date=datetime.date(2009, 1, 1),
        revision_due_on=datetime.date(2009, 4, 1),
    )
    TrainingCourse.objects.create(
        province=province,
        title="Khóa đầu",
        organiser="Sở KH&CN",
        start_date=datetime.date(2009, 5, 1),
        end_date=datetime.date(2009, 5, 2),
    )
    bulk_agencies(province, 30, prefix="A")
    urls = [
        reverse("qms:dashboard"),
        reverse("qms:flag", args=["no_internal_audit"]),
        reverse("qms:profile", args=[agency.pk]),
        reverse("qms:list") + "?version=none&category=district_office",
        reverse("qms:legal_changes"),
        reverse("qms:courses"),
    ]
    small = [_queries(dost_client, url) for url in urls]
    bulk_agencies(province, 2970, prefix="B")
    for year in range(2010, 2026):
        Review.objects.create(agency=agency, kind="review", date=datetime.date(year, 12, 1))
        LegalChange.objects.create(
            province=province,
            number=f"{year}/QH",
            title="Luật",
            effective_date=datetime.date(year, 1, 1),
            revision_due_on=datetime.date(year, 4, 1),
        )
        TrainingCourse.objects.create(
            province=province,
            title=f"Khóa {year}",
            organiser="Sở KH&CN",
            start_date=datetime.date(year, 5, 1),
            end_date=datetime.date(year, 5, 2),
        )
    assert [_queries(dost_client, url) for url in urls] == small
    # counts of thousands are grouped with "." (3.001), never printed as 3001
    page = dost_client.get(reverse("qms:dashboard")).content.decode()
    assert re.search(r">\s*3\.0\d\d\s*<", page) and not re.search(r">\s*30\d\d\s*<", page), re.findall(
        r"[\s\S]{300}>\s*30\d\d\s*<", page
    )
    assert max(small) <= 33  # the dashboard: 2 more since issue 14 (who must apply), 6 since issue 15 (the cycle)


def test_form_fields_cannot_reach_another_agencys_staff_or_revisions(
    secretary_client, agency, other_agency, foreign_agency
):
    from migrations_tracker.models import ProcessRevision, StaffMember

    theirs = StaffMember.objects.create(agency=other_agency, full_name="Người cơ quan khác")
    foreign_course = TrainingCourse.objects.create(
        province=foreign_agency.province,
        title="Khóa tỉnh khác",
        organiser="x",
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2020, 1, 2),
    )
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "role"]),
        {"staff": theirs.pk, "role": "secretary", "start_date": "01/01/2025"},
    )
    assert response.status_code == 400 and "staff" in response.context["form"].errors
    response = secretary_client.post(
        reverse("qms:add", args=[agency.pk, "attendance"]), {"staff": theirs.pk, "course": foreign_course.pk}
    )
    assert response.status_code == 400
    assert {"staff", "course"} <= set(response.context["form"].errors)
    assert not theirs.roles.exists() and not theirs.attendances.exists()

    process = services.process_save(
        actor=SYSTEM, agency=other_agency, process=Process(code="QT1", name="Q"), procedures=[]
    )
    law = services.legal_change_create(
        province=agency.province,
        actor=SYSTEM,
        legal_change=LegalChange(number="2/2025", title="Luật", effective_date=datetime.date(2025, 1, 1)),
    )
    revision = ProcessRevision.objects.create(legal_change=law, process=process)
    response = secretary_client.post(
        reverse("qms:revision_done", args=[agency.pk, revision.pk]), {"revised_on": "01/02/2025"}
    )
    assert response.status_code == 404
    revision.refresh_from_db()
    assert revision.revised_on is None
    detail = secretary_client.get(law.get_absolute_url())
    assert list(detail.context["revisions"]) == []  # other agencies' answers are not shown


def test_opening_the_profile_form_writes_nothing_and_a_stale_save_is_refused(dost_client, secretary_client, agency):
    from migrations_tracker.models import QMSProfile

    url = reverse("qms:profile_edit", args=[agency.pk])
    assert dost_client.get(url).status_code == 200
    assert not QMSProfile.objects.exists(), "a GET writes nothing"
    base = {"edition": "2015", "stage": "applying", "quality_policy": "", "quality_objectives": ""}
    assert dost_client.post(url, {**base, "quality_policy": "Chính sách một"}).status_code == 302
    revision = QMSProfile.objects.get().revision
    # Both open the form at this revision; the secretary saves first, DOST's later save is refused.
    assert (
        secretary_client.post(url, {**base, "quality_policy": "Chính sách hai", "revision": revision}).status_code
        == 302
    )
    late = dost_client.post(url, {**base, "quality_objectives": "Mục tiêu của Sở", "revision": revision})
    assert late.status_code == 409 and "Mục tiêu của Sở" in late.content.decode()
    profile = QMSProfile.objects.get()
    assert profile.quality_policy == "Chính sách hai" and profile.quality_objectives == ""
