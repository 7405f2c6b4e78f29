"""The QMS pages in a real browser (Debian's chromium through Playwright)."""

import pytest

from iso_tracker.tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dost_follows_a_flag_from_the_dashboard_to_an_agency(page, live_server):
    sign_in(page, live_server.url, "dost")
    page.click(".navbar a:has-text('HTQLCL toàn tỉnh')")
    page.wait_for_selector("[data-testid=flags]")
    assert page.inner_text("[data-testid=flag-transition-2015]") == "4"
    shot(page, "20-qms-dashboard")
    page.fill("input[name=as_of]", "31/12/2019")
    page.click("button:has-text('Xem')")
    page.wait_for_url("**as_of=31%2F12%2F2019**")
    assert "ISO 9001:2015\n13" in page.inner_text("[data-testid=versions]").replace("\t", "\n")
    shot(page, "21-qms-dashboard-2019")
    page.goto(f"{live_server.url}/qms/")
    page.click("[data-testid=flag-untrained_staff]")
    page.wait_for_selector("[data-testid=flagged]")
    shot(page, "22-qms-flag-list")
    page.click("[data-testid=flagged] a:has-text('Sở Tài chính')")
    page.wait_for_selector("[data-testid=agency-flags]")
    assert "Thư ký hoặc đại diện lãnh đạo chưa qua đào tạo" in page.inner_text("[data-testid=agency-flags]")
    assert "chưa qua đào tạo" in page.inner_text("[data-testid=roles]")
    shot(page, "23-qms-profile")


def test_secretary_records_an_announcement_with_its_file_and_downloads_it(page, live_server, tmp_path):
    sign_in(page, live_server.url, "tk.sngv")
    page.click(".navbar a:has-text('HTQLCL của cơ quan')")
    page.wait_for_selector("[data-testid=milestones]")
    page.click("a:has-text('+ Công bố')")
    page.check("input[name=is_reannouncement]")
    page.fill("input[name=decision_number]", "88/QĐ-SNGV")
    page.fill("input[name=decision_date]", "20/11/2026")
    page.select_option("select[name=edition]", "2015")
    page.fill("textarea[name=scope]", "Toàn bộ thủ tục hành chính thuộc thẩm quyền của Sở Ngoại vụ")
    fake = tmp_path / "quyet-dinh.pdf"
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    page.set_input_files("input[name=evidence]", str(fake))
    page.click("button:has-text('Lưu')")
    page.wait_for_selector(".invalid-feedback")
    assert "không phải là tệp .pdf thật" in page.inner_text("main")
    assert page.input_value("input[name=decision_number]") == "88/QĐ-SNGV"
    shot(page, "24-qms-upload-refused")
    real = tmp_path / "quyet-dinh-cong-bo.pdf"
    real.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.set_input_files("input[name=evidence]", str(real))
    page.click("button:has-text('Lưu')")
    page.wait_for_selector("text=Đã lưu: Công bố HTQLCL phù hợp TCVN ISO 9001.")
    assert page.inner_text("[data-testid=version]") == "TCVN ISO 9001:2015"
    with page.expect_download() as download:
        page.click("a:has-text('quyết định công bố') >> nth=0")
    assert download.value.suggested_filename == "quyet-dinh-cong-bo.pdf"
    assert "Quá hạn chuyển đổi" not in page.inner_text("main")  # re-announced on 2015: transition done
    shot(page, "25-qms-profile-after-announcement")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_transition_pages_are_accessible_and_fit_a_phone(browser, live_server, width):
    """axe-core (bundled by axe-playwright-python) finds nothing critical or serious, and nothing
    scrolls sideways, on the pages of editions and transitions, at a desktop's and a phone's width."""
    from axe_playwright_python.sync_playwright import Axe

    from agencies.models import Agency
    from conftest import seed_demo_quietly
    from migrations_tracker.models import Campaign

    seed_demo_quietly()
    campaign = Campaign.objects.get(to_edition="2026")
    agency = Agency.objects.get(code="SKHCN")
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, live_server.url, "dost")
        for name, path in (
            ("dashboard", "/qms/"),
            ("transitions", "/qms/transitions/"),
            ("transition", campaign.get_absolute_url()),
            ("editions", "/qms/editions/"),
            ("profile", f"/qms/agencies/{agency.pk}/"),
            ("milestone", f"/qms/agencies/{agency.pk}/add/milestone/"),
        ):
            page.goto(f"{live_server.url}{path}")
            shot(page, f"24-editions-{name}-{width}")
            violations = Axe().run(page).response["violations"]
            grave = [
                (v["id"], [(n["target"], n["failureSummary"][:160]) for n in v["nodes"]][:5])
                for v in violations
                if v["impact"] in ("critical", "serious")
            ]
            assert grave == [], (path, grave)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
    finally:
        context.close()
