"""The whole inspection cycle in a real browser: DOST opens a round, a secretary submits, DOST plans,
inspects and records a finding, the secretary answers, DOST accepts."""

import pytest

from iso_tracker.tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_whole_cycle(page, browser, live_server, tmp_path):
    base = live_server.url
    dost = page
    sign_in(dost, base, "dost")
    dost.wait_for_selector("[data-testid=home]")  # each user starts on what waits for them
    dost.click(".navbar a:has-text('Sổ đăng ký cơ quan')")
    dost.wait_for_selector("[data-testid=registry-table]")

    # DOST opens the 2026 reporting round
    dost.goto(f"{base}/inspections/self-reports/")
    dost.fill("input[name=year]", "2027")
    dost.fill("input[name=opened_on]", "01/09/2027")
    dost.fill("input[name=deadline]", "15/12/2027")
    dost.click("button:has-text('Mở đợt')")
    dost.wait_for_selector("text=Đã mở đợt báo cáo")

    # the secretary of Sở KH&CN submits the pre-filled report
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    secretary = context.new_page()
    secretary.set_default_timeout(15000)
    sign_in(secretary, base, "tk.skhcn")
    secretary.wait_for_load_state()
    secretary.goto(f"{base}/inspections/self-reports/")
    secretary.click("a:has-text('Tự báo cáo năm 2027')")
    secretary.wait_for_selector("textarea[name=scope]")
    assert "năm 2019" in secretary.input_value("textarea[name=scope]")  # pre-filled from the last report
    assert "Quyết định công bố gần nhất" in secretary.inner_text("main")  # and the facts the app knows
    secretary.fill("textarea[name=complaints]", "Không có phản ánh, kiến nghị nào trong năm.")
    secretary.fill("textarea[name=improvement]", "Số hóa toàn bộ hồ sơ ISO.")
    # attaching evidence keeps what was typed above (it is saved as the draft with the file)
    proof = tmp_path / "ke-hoach-danh-gia.pdf"
    proof.write_bytes(b"%PDF-1.4\n%%EOF\n")
    secretary.set_input_files("input[name=evidence]", str(proof))
    secretary.click("[data-testid=attach]")
    secretary.wait_for_selector("text=Đã đính kèm tệp minh chứng.")
    assert secretary.input_value("textarea[name=improvement]") == "Số hóa toàn bộ hồ sơ ISO."
    assert "ke-hoach-danh-gia.pdf" in secretary.inner_text("main")
    shot(secretary, "30-self-report-form")
    secretary.click("button:has-text('Nộp cho Sở KH&CN')")
    secretary.wait_for_selector("text=Đã nộp báo cáo cho Sở KH&CN.")
    assert secretary.inner_text("[data-testid=report-status]") == "Đã nộp"

    # DOST drafts the 2026 plan and inspects Sở KH&CN
    dost.goto(f"{base}/inspections/plans/")
    dost.fill("input[name=year]", "2026")
    dost.fill("input[name=on]", "20/11/2026")
    dost.click("button:has-text('Đề xuất theo điểm rủi ro')")
    dost.wait_for_selector("[data-testid=plan-entries]")
    shot(dost, "31-plan-with-risk")
    row = dost.locator("[data-testid=plan-entries] tr", has_text="Sở Khoa học và Công nghệ")
    if row.count() == 0:
        dost.click("a:has-text('Sau')")
        row = dost.locator("[data-testid=plan-entries] tr", has_text="Sở Khoa học và Công nghệ")
    row.locator("a:has-text('Bắt đầu')").click()
    dost.fill("input[name=start_date]", "25/11/2026")
    dost.click("button:has-text('Lưu')")
    dost.wait_for_selector("[data-testid=checklist]")
    # checklist answers typed but not saved survive adding a finding
    dost.select_option("select[name=result_audits]", "nc")
    dost.fill("input[name=note_audits]", "Thiếu chữ ký trưởng đoàn")
    dost.select_option("select[name=item]", "audits")
    dost.select_option("select[name=severity]", "minor")
    dost.fill("input[name=clause]", "9.2")
    dost.fill("textarea[name=description]", "Biên bản đánh giá nội bộ chưa có chữ ký của trưởng đoàn.")
    dost.click("button:has-text('Thêm phát hiện')")
    dost.wait_for_selector("text=Đã lưu các thay đổi.")
    assert dost.input_value("select[name=result_audits]") == "nc"
    assert dost.input_value("input[name=note_audits]") == "Thiếu chữ ký trưởng đoàn"
    # a page with unsaved changes asks before it is left
    dost.fill("input[name=note_scope]", "chưa lưu")
    prevented = dost.evaluate(
        "(() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); "
        "return e.defaultPrevented; })()"
    )
    assert prevented, "the page warns before it is left with unsaved changes"
    dost.fill("input[name=note_scope]", "")
    with dost.expect_navigation():
        dost.click("button[name=checks]")  # saving the form clears the warning
    dost.select_option("select[name=conclusion]", "findings")
    dost.fill("input[name=minutes_signed_on]", "26/11/2026")
    dost.click("button:has-text('Lưu kết luận')")
    dost.wait_for_selector("[data-testid=conclusion]")
    assert "hạn 26/01/2027" in dost.inner_text("[data-testid=findings]")  # 2 months from the minutes
    shot(dost, "32-inspection-with-findings")

    # the secretary answers the finding with evidence
    secretary.goto(f"{base}/inspections/findings/")
    secretary.click("a:has-text('Biên bản đánh giá nội bộ chưa có chữ ký')")
    evidence = tmp_path / "bien-ban-co-chu-ky.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    secretary.fill("textarea[name=action]", "Đã bổ sung chữ ký và lưu hồ sơ đánh giá nội bộ.")
    secretary.set_input_files("input[name=evidence]", str(evidence))
    secretary.click("button:has-text('Gửi Sở KH&CN')")
    secretary.wait_for_selector("text=Đã gửi hành động khắc phục cho Sở KH&CN.")

    # DOST accepts: the finding closes
    dost.click("[data-testid=findings] a")
    dost.click("button:has-text('Chấp nhận')")
    dost.wait_for_selector("text=Đã ghi nhận ý kiến.")
    assert dost.inner_text("[data-testid=finding-status]") == "Đã đóng"
    shot(dost, "33-finding-closed")
    context.close()
