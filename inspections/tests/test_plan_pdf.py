"""The plan (Mẫu 19): a small plan is made in the request; a large one on the reports queue, once per version."""

import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import User
from inspections.models import InspectionPlan, PlanEntry, ReportFile
from inspections.reports import services

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def plan(demo):
    return InspectionPlan.objects.get(province__code="04", year=2019)


def test_a_small_plan_is_made_in_the_request_in_one_font(plan, settings):
    settings.PLAN_PDF_INLINE_MAX = 300
    response = _client("lanhdao").get(reverse("inspections:plan_pdf", args=[plan.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Kiểm tra việc xây dựng" in _text(response.content)
    assert not ReportFile.objects.exists()
    # Every Vietnamese letter (ể, ự, ố…) comes from the document's serif: no fallback font inside words.
    fonts = subprocess.run(["pdffonts", "-"], input=response.content, capture_output=True, check=False).stdout
    if not fonts:  # older poppler reads no standard input
        path = Path(tempfile.mkdtemp()) / "mau19.pdf"
        path.write_bytes(response.content)
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout
    names = {line.split()[0].split("+")[-1] for line in fonts.decode().splitlines()[2:] if line.strip()}
    assert names and all(name.startswith("ISO-Serif") for name in names), names


def test_a_large_plan_is_made_on_the_reports_queue_once_per_version(plan, settings):
    settings.PLAN_PDF_INLINE_MAX = 10
    dost, url = _client("dost"), reverse("inspections:plan_pdf", args=[plan.pk])

    waiting = dost.get(url)
    assert waiting.status_code == 302 and waiting["Location"] == plan.get_absolute_url()
    assert not ReportFile.objects.exists(), "a GET makes nothing"
    page = dost.get(plan.get_absolute_url())
    assert 'data-testid="plan-make-pdf"' in page.content.decode()

    assert dost.post(url).status_code == 302
    item = ReportFile.objects.get()
    assert item.plan == plan and item.report is None and item.status == "queued"  # not made in the request
    assert 'data-testid="in-progress"' in dost.get(plan.get_absolute_url()).content.decode()

    services.render_file(item.pk)
    item.refresh_from_db()
    assert item.status == "ready" and item.size > 0
    download = _client("lanhdao").get(url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    text = _text(b"".join(download.streaming_content))
    assert "KẾ HOẠCH" in text and "Sở Khoa học và Công nghệ" in text

    dost.post(url)
    assert ReportFile.objects.count() == 1, "the same plan is not made twice"
    entry = PlanEntry.objects.filter(plan=plan).first()
    entry.team = "Đoàn kiểm tra số 2"
    entry.save()
    assert dost.get(url).status_code == 302, "the file of the old version is not the plan any more"
    dost.post(url)
    assert ReportFile.objects.count() == 2
    old = _client("dost").get(reverse("inspections:report_file", args=[item.pk]))
    assert old.status_code == 200, "every version stays downloadable"


def test_only_dost_of_the_province_makes_it(plan, settings):
    settings.PLAN_PDF_INLINE_MAX = 10
    url = reverse("inspections:plan_pdf", args=[plan.pk])
    assert _client("lanhdao").post(url).status_code == 403
    assert _client("tk.skhcn").post(url).status_code == 403
    assert _client("tk.skhcn").get(url).status_code == 403
    assert not ReportFile.objects.exists()


def test_the_2019_plan_and_lists_name_each_agency_as_it_was_then(plan, settings):
    """Ban Dân tộc became Sở Dân tộc và Tôn giáo on 1/3/2025: documents and lists of 2019 keep the old name."""
    settings.PLAN_PDF_INLINE_MAX = 300
    dost = _client("dost")
    text = _text(dost.get(reverse("inspections:plan_pdf", args=[plan.pk])).content)
    assert "Ban Dân tộc" in text and "Sở Dân tộc và Tôn giáo" not in text
    plan_page = dost.get(plan.get_absolute_url(), {"page": 1})
    names = [entry.agency_name_then for entry in plan_page.context["page"]]
    assert "Sở Dân tộc và Tôn giáo" not in names
    names, number = [], 1
    while True:
        listed = dost.get(reverse("inspections:inspections"), {"year": 2019, "page": number})
        names += [inspection.agency_name_then for inspection in listed.context["page"]]
        if not listed.context["page"].has_next():
            break
        number += 1
    assert "Ban Dân tộc" in names and "Sở Dân tộc và Tôn giáo" not in names
    assert ">Ban Dân tộc</a>" in "".join(
        dost.get(reverse("inspections:inspections"), {"year": 2019, "page": n}).content.decode()
        for n in range(1, number + 1)
    )
    inspection = plan.entries.get(agency__code="BDT").inspection
    minutes = _text(dost.get(reverse("inspections:inspection_pdf", args=[inspection.pk, "21"])).content)
    assert "Ban Dân tộc" in minutes and "Sở Dân tộc và Tôn giáo" not in minutes
    # today's pages use today's name
    today = dost.get(reverse("agencies:detail", args=[inspection.agency_id])).content.decode()
    assert "Sở Dân tộc và Tôn giáo" in today


def test_a_long_plan_is_laid_out_in_parts_joined_in_order(plan, monkeypatch):
    """Issue 16: a plan of thousands of agencies is laid out a part at a time (the memory of one part);
    the joined document is the same plan: every row numbered in order, one heading, one total and one
    signature, and page numbers carried from part to part."""
    from inspections import documents

    whole = _text(documents.plan_pdf(plan)[1])
    monkeypatch.setattr(documents, "PLAN_CHUNK", 20)
    entries = plan.entries.count()
    assert entries > 40  # three parts at least
    joined = _text(documents.plan_pdf(plan)[1])
    pages = joined.split("\f")
    body = [line for page in pages for line in page.strip().splitlines()[1:]]  # without each page's top line
    numbers = [int(line.split()[0]) for line in body if line.split() and line.split()[0].isdigit()]
    assert numbers == list(range(1, entries + 1)), numbers
    for once in ("KẾ HOẠCH", "Tổng cộng", "Nơi nhận"):
        assert joined.count(once) == whole.count(once) == 1, once
    # the parts' pages are numbered on: the second page onwards carries its number at the top
    tops = [page.strip().splitlines()[0].strip() for page in pages[1:] if page.strip()]
    assert tops == [str(n) for n in range(2, len(tops) + 2)], tops


def test_a_long_plan_on_the_queue_resumes_where_it_stopped_and_no_part_is_made_twice(
    plan, monkeypatch, settings, tmp_path
):
    """Issue 16: the plan's parts are kept as they are made, like the annual report's; a render killed at
    its third part is taken over and makes only what was missing, and the document is the plan made in one
    go; the plan's page shows the parts made."""
    import datetime

    from django.utils import timezone

    from inspections import documents
    from inspections.reports import render

    settings.MEDIA_ROOT, settings.PLAN_PDF_INLINE_MAX = tmp_path, 10
    monkeypatch.setattr(documents, "PLAN_CHUNK", 20)
    whole = _text(documents.plan_pdf(plan)[1])
    total = documents.plan_parts(documents.plan_content(plan))
    assert total >= 3
    made, real = [], render._document

    def killed_at_the_third_part(html, *args):
        if len(made) == 2:
            raise KeyboardInterrupt("MemoryMax: the pool process is killed")
        made.append(html)
        return real(html, *args)

    dost, url = _client("dost"), reverse("inspections:plan_pdf", args=[plan.pk])
    dost.post(url)
    item = ReportFile.objects.get()
    monkeypatch.setattr(render, "_document", killed_at_the_third_part)
    with pytest.raises(KeyboardInterrupt):
        services.render_file(item.pk)
    item.refresh_from_db()
    assert (item.status, item.parts_done, item.parts_total) == ("running", 2, total)
    assert f"(đã lập 2/{total} phần)" in dost.get(plan.get_absolute_url()).content.decode()

    made.clear()
    monkeypatch.setattr(render, "_document", lambda html, *args: made.append(html) or real(html, *args))
    ReportFile.objects.filter(pk=item.pk).update(claimed_at=timezone.now() - datetime.timedelta(minutes=10))
    services.render_file(item.pk)
    item.refresh_from_db()
    assert item.status == "ready" and len(made) == total - 2 and (item.parts_done, item.parts_total) == (total, total)
    assert _text(item.file.read()) == whole
    assert not (tmp_path / "report-parts" / str(item.pk)).exists()


def test_a_new_name_of_the_dost_makes_the_plan_s_file_outdated(plan, settings):
    """Its header names the issuing body: the file made before the province renamed its DOST is no longer
    the plan (every version stays downloadable); a province keeping the default name keeps its files."""
    settings.PLAN_PDF_INLINE_MAX = 10
    dost, url = _client("dost"), reverse("inspections:plan_pdf", args=[plan.pk])
    dost.post(url)
    services.render_file(ReportFile.objects.get().pk)
    assert dost.get(url).status_code == 200
    province = plan.province
    province.dost_name = "Sở Khoa học, Công nghệ và Đổi mới sáng tạo"
    province.save()
    assert dost.get(url).status_code == 302, "the file of the old name is not the plan any more"
    dost.post(url)
    services.render_file(ReportFile.objects.exclude(status="ready").get().pk)
    text = _text(b"".join(dost.get(url).streaming_content))
    assert "Sở Khoa học, Công nghệ và Đổi mới" in text  # approved, the header is the People's Committee's
