"""The registry in a real browser: Playwright driving Debian's chromium against the live server.

Set SCREENSHOT_DIR to keep the screenshots it takes (login, registry, agency page, reorganisations).
"""

import pytest

from iso_tracker.tests.browser import shot as _shot
from iso_tracker.tests.browser import sign_in as _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dost_browses_the_registry_through_time(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    _shot(page, "01-login")
    _sign_in(page, live_server.url, "dost")
    page.wait_for_selector("[data-testid=home]")  # each user starts on what waits for them
    page.click(".navbar a:has-text('Sổ đăng ký cơ quan')")
    page.wait_for_selector("[data-testid=registry-table]")
    assert page.locator("h1").inner_text() == "Sổ đăng ký cơ quan"
    _shot(page, "02-registry-today")

    page.fill("input[name=as_of]", "31/12/2019")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**as_of=31%2F12%2F2019**")
    assert page.inner_text("[data-testid=count-total]") == "77"
    assert page.inner_text("[data-testid=count-district_pc]") == "13"
    assert page.inner_text("[data-testid=count-district_office]") == "26"
    _shot(page, "03-registry-2019")

    page.fill("input[name=as_of]", "01/01/2020")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**as_of=01%2F01%2F2020**")
    assert page.inner_text("[data-testid=count-district_pc]") == "10"

    page.fill("input[name=q]", "Thông Nông")
    page.select_option("select[name=status]", "all")
    page.click("form[role=search] button[type=submit]")
    page.click("[data-testid=registry-table] a:has-text('UBND huyện Thông Nông')")
    page.wait_for_selector("[data-testid=history]")
    assert "Hợp nhất, sáp nhập" in page.inner_text("[data-testid=reorganisations]")
    _shot(page, "04-agency-merged")
    page.click("[data-testid=successor]")
    page.wait_for_selector("h1:has-text('UBND huyện Hà Quảng')")

    page.click(".navbar a:has-text('Sắp xếp tổ chức')")
    page.wait_for_selector("text=72/2025/QH15")
    assert "và 25 cơ quan khác" in page.inner_text("table")  # 30 agencies dissolved by one decision
    _shot(page, "05-reorganisations")
    page.click("table a:has-text('Hợp nhất, sáp nhập') >> nth=0")
    page.wait_for_selector("h1:has-text('1657/NQ-UBTVQH15')")
    assert "UBND phường Thục Phán" in page.inner_text("main")
    _shot(page, "05b-reorganisation-detail")


def test_dost_edits_an_agency_and_sees_the_history(page, live_server):
    _sign_in(page, live_server.url, "dost")
    page.wait_for_selector("[data-testid=home]")  # each user starts on what waits for them
    page.click(".navbar a:has-text('Sổ đăng ký cơ quan')")
    page.wait_for_selector("[data-testid=registry-table]")
    page.fill("input[name=q]", "SKHCN")
    page.click("form[role=search] button[type=submit]")
    page.click("[data-testid=registry-table] a:has-text('Sở Khoa học và Công nghệ')")
    page.click("a:has-text('Sửa')")
    page.fill("input[name=phone]", "0206.3852777")
    page.click("button:has-text('Lưu')")
    page.wait_for_selector("text=Đã lưu các thay đổi.")
    history = page.inner_text("[data-testid=history]")
    assert "0206.3852777" in history and "Phạm Thị Thanh" in history
    _shot(page, "06-agency-history")


def test_secretary_sees_only_own_agency(page, live_server):
    from agencies.models import Agency

    _sign_in(page, live_server.url, "tk.cctdc")
    page.wait_for_selector("[data-testid=home]")  # what waits for the agency
    assert "Chi cục Tiêu chuẩn Đo lường Chất lượng" in page.inner_text("main")
    assert page.locator(".navbar a:has-text('Sắp xếp tổ chức')").count() == 0
    _shot(page, "10-secretary-home")
    page.click("a:has-text('Cơ quan trong sổ đăng ký')")
    page.wait_for_selector("h1:has-text('Chi cục Tiêu chuẩn Đo lường Chất lượng')")
    page.click("a:has-text('Sửa')")
    assert page.locator("input[name=name]").count() == 0  # contact data only
    _shot(page, "11-secretary-edit")
    other = Agency.objects.get(code="STP")
    response = page.goto(f"{live_server.url}/agencies/{other.pk}/")
    assert response.status == 404


def test_leadership_switches_to_english(page, live_server):
    _sign_in(page, live_server.url, "lanhdao")
    page.wait_for_selector("[data-testid=home]")  # each user starts on what waits for them
    page.click(".navbar a:has-text('Sổ đăng ký cơ quan')")
    page.wait_for_selector("[data-testid=registry-table]")
    assert page.locator("a:has-text('Thêm cơ quan')").count() == 0
    page.click("button[value=en]")
    page.wait_for_selector("h1:has-text('Agency registry')")
    _shot(page, "07-registry-english")


def test_dost_gets_clear_messages_from_the_reorganisation_form_and_the_import(page, live_server, tmp_path):
    _sign_in(page, live_server.url, "dost")
    page.wait_for_selector("[data-testid=home]")  # each user starts on what waits for them
    page.click(".navbar a:has-text('Sổ đăng ký cơ quan')")
    page.wait_for_selector("[data-testid=registry-table]")
    page.goto(f"{live_server.url}/agencies/reorganisations/new/merge/")
    page.fill("input[name=decision_number]", "15/NQ-HĐND")
    page.fill("input[name=decision_date]", "31/02/2026")
    page.fill("input[name=effective_date]", "01/03/2026")
    page.click("button:has-text('Ghi nhận')")
    page.wait_for_selector(".invalid-feedback")
    text = page.inner_text("main")
    assert "Nhập một ngày hợp lệ." in text
    assert "Bắt buộc khi hợp nhất thành cơ quan mới." in text
    assert page.input_value("input[name=decision_number]") == "15/NQ-HĐND"  # nothing typed is lost
    _shot(page, "08-merge-form-errors")

    bad = tmp_path / "co-quan.csv"
    bad.write_text(
        "Mã cơ quan,Tên cơ quan,Loại cơ quan,Mã cơ quan cấp trên\n"
        "SKHCN-TT,Trung tâm Thông tin,Cơ quan chuyên môn thuộc sở, ngành,KHONGCO\n",
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/agencies/import/")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button:has-text('Kiểm tra và nhập')")
    page.wait_for_selector("[data-testid=import-errors]")
    assert "Không lưu gì cả" in page.inner_text("[data-testid=import-errors]")
    _shot(page, "09-import-errors")


def test_dost_picks_agencies_by_typing_and_never_gets_a_list_of_all(page, live_server):
    _sign_in(page, live_server.url, "dost")
    page.wait_for_selector("[data-testid=home]")
    page.goto(f"{live_server.url}/agencies/reorganisations/new/dissolution/")
    assert page.locator("select[name=agencies] option").count() == 0  # nothing listed before a search
    search = page.locator("[data-agency-picker] input[type=search]").first
    for text, code in (("Tiêu chuẩn", "CCTDC"), ("Kiểm lâm", "CCKL")):
        search.fill(text)
        page.wait_for_selector("[role=listbox] [role=option]")
        assert 0 < page.locator("[role=listbox] [role=option]").count() <= 20
        page.locator(f"[role=listbox] [role=option]:has-text('({code})')").first.click()
    chips = page.inner_text(".agency-picker-chips")
    assert "(CCTDC)" in chips and "(CCKL)" in chips
    assert page.locator("select[name=agencies] option:checked").count() == 2
    _shot(page, "40-picker-dissolution")
    # From the keyboard: the rename form's one agency.
    page.goto(f"{live_server.url}/agencies/reorganisations/new/rename/")
    search = page.locator("[data-agency-picker] input[type=search]").first
    search.fill("CCTDC")
    page.wait_for_selector("[role=listbox] [role=option]")
    search.press("ArrowDown")
    search.press("Enter")
    assert page.input_value("select[name=agency]") != ""
    page.fill("input[name=decision_number]", "99/QĐ-UBND")
    page.fill("input[name=decision_date]", "01/12/2026")
    page.fill("input[name=effective_date]", "02/12/2026")
    page.fill("input[name=new_name]", "Chi cục Tiêu chuẩn Đo lường Chất lượng tỉnh")
    page.click("main form button[type=submit] >> nth=-1")
    page.wait_for_selector("text=Chi cục Tiêu chuẩn Đo lường Chất lượng tỉnh")
    _shot(page, "41-picker-rename-done")
