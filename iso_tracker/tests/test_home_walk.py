"""Each role's home in a real browser (issue 15): every item on it is followed, and what a secretary must
do is one click from the form that does it."""

import pytest

from iso_tracker.tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POST_FORM = "main form[method=post] button"


def _links(page) -> list[tuple[str, str]]:
    """(href, data-testid) of every link in the page's content."""
    return page.eval_on_selector_all(
        "main a[href]", "els => els.map(a => [a.getAttribute('href'), a.dataset.testid || ''])"
    )


@pytest.mark.parametrize("username", ["dost", "lanhdao", "tk.h08"])
def test_every_item_on_each_roles_home_leads_somewhere_that_works(page, live_server, username):
    sign_in(page, live_server.url, username)
    page.wait_for_selector("[data-testid=home]")
    shot(page, f"32-home-{username}")
    links = _links(page)
    assert len(links) >= 5, links
    for href, testid in links:
        if href.endswith(".pdf") or "/files/" in href:  # a download: fetched, not opened
            response = page.request.get(f"{live_server.url}{href}")
            assert response.status == 200 and response.headers["content-type"] in (
                "application/pdf",
                "application/octet-stream",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ), href
            continue
        response = page.goto(f"{live_server.url}{href}")
        assert response.status == 200, (href, response.status)
        assert page.locator("main h1").count() >= 1, href
        if username == "tk.h08" and (testid == "home-flag" or ("/inspections/findings/" in href and "?" not in href)):
            # A warning on their QMS, a finding to answer: the page holds the form that does it.
            assert page.locator(POST_FORM).count() >= 1, href


def test_a_secretary_acts_on_a_warning_from_the_home_in_one_click(page, live_server):
    sign_in(page, live_server.url, "tk.h08")
    page.wait_for_selector("[data-testid=home]")
    page.click("[data-testid=home-flag] >> text=Không đánh giá nội bộ trong 12 tháng")
    page.wait_for_selector("select[name=kind]")
    assert "/add/review/" in page.url
    page.select_option("select[name=kind]", "audit")
    page.fill("input[name=date]", "20/11/2026")
    page.fill("textarea[name=scope]", "Toàn bộ quy trình")
    page.click(f"{POST_FORM}[type=submit] >> nth=-1")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("[data-testid=home]")
    assert "Không đánh giá nội bộ trong 12 tháng" not in page.inner_text("main")  # done: the warning is gone
    shot(page, "33-home-after-audit")
