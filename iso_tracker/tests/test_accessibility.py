"""Usable by everyone (issue 15): axe-core finds nothing critical or serious on the main pages of every
role, nothing scrolls sideways at a phone's width, and signing in and sending a form work from the
keyboard alone. axe-core comes from the npm registry bundled in axe-playwright-python (tests only)."""

import pytest

from iso_tracker.tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _main_pages() -> dict[str, list[tuple[str, str]]]:
    """The twenty-odd pages each role works on every week, by user (None: not signed in)."""
    from agencies.models import Agency, User
    from inspections.models import Finding, Inspection, InspectionPlan, ReportingRound, SelfReport

    health = Agency.objects.get(code="SYT")
    secretary = User.objects.get(username="tk.h08")
    commune = secretary.agency
    open_round = ReportingRound.objects.order_by("-year").first()
    inspection = Inspection.objects.filter(agency=health).order_by("-start_date").first()
    finding = Finding.objects.filter(agency=commune).exclude(status="closed").order_by("due_on").first()
    return {
        None: [("sign-in", "/accounts/login/")],
        "dost": [
            ("home", "/"),
            ("registry", "/agencies/"),
            ("agency", health.get_absolute_url()),
            ("reorganisations", "/agencies/reorganisations/"),
            ("dashboard", "/qms/"),
            ("qms-list", "/qms/list/"),
            ("profile", f"/qms/agencies/{health.pk}/"),
            ("legal-changes", "/qms/legal-changes/"),
            ("rounds", "/inspections/self-reports/"),
            ("round", open_round.get_absolute_url()),
            ("self-report", SelfReport.objects.get(agency=health, round__year=2019).get_absolute_url()),
            ("plans", "/inspections/plans/"),
            ("plan", InspectionPlan.objects.get(year=2019).get_absolute_url()),
            ("inspections", "/inspections/?year=2019"),
            ("inspection", inspection.get_absolute_url()),
            ("findings", "/inspections/findings/"),
            ("finding", f"/inspections/findings/{finding.pk}/"),
            ("annual-reports", "/inspections/reports/"),
            ("annual-report", "/inspections/reports/2019/"),
            ("notifications", "/notifications/"),
            ("audit", "/audit/"),
            ("accounts", "/accounts/users/"),
        ],
        "tk.h08": [
            ("home", "/"),
            ("agency", commune.get_absolute_url()),
            ("self-report", f"/inspections/self-reports/{open_round.pk}/agencies/{commune.pk}/"),
            ("finding", f"/inspections/findings/{finding.pk}/"),
        ],
        "lanhdao": [("home", "/"), ("dashboard", "/qms/")],
    }


def _grave(axe_result: dict) -> list:
    return [
        (v["id"], [(n["target"], n["failureSummary"][:160]) for n in v["nodes"]][:3])
        for v in axe_result["violations"]
        if v["impact"] in ("critical", "serious")
    ]


def test_the_main_pages_of_every_role_pass_axe_and_fit_a_phone(browser, live_server):
    from axe_playwright_python.sync_playwright import Axe

    from conftest import seed_demo_quietly

    seed_demo_quietly()
    pages = _main_pages()
    assert sum(len(p) for p in pages.values()) >= 20
    axe, problems, checked = Axe(), [], 0
    for width in (1366, 390):
        for username, paths in pages.items():
            context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
            page = context.new_page()
            page.set_default_timeout(15000)
            try:
                if username:
                    sign_in(page, live_server.url, username)
                    page.wait_for_selector("[data-testid=home]")
                for name, path in paths:
                    response = page.goto(f"{live_server.url}{path}")
                    assert response.status == 200, (username, path, response.status)
                    shot(page, f"30-a11y-{username or 'anonymous'}-{name}-{width}")
                    grave = _grave(axe.run(page).response)
                    if grave:
                        problems.append((width, username, path, grave))
                    overflow = page.evaluate("document.documentElement.scrollWidth") - width
                    if overflow > 0:
                        problems.append((width, username, path, f"scrolls sideways by {overflow} px"))
                    checked += 1
            finally:
                context.close()
    assert problems == [], problems
    assert checked == 2 * sum(len(p) for p in pages.values())


def test_signing_in_and_sending_a_form_work_from_the_keyboard_alone(browser, live_server):
    from conftest import seed_demo_quietly

    seed_demo_quietly()
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        for _ in range(10):  # the user name has the focus, or a few Tabs reach it
            if page.evaluate("document.activeElement.name") == "username":
                break
            page.keyboard.press("Tab")
        page.keyboard.type("tk.h08")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "password"
        page.keyboard.type("CaoBang@2019")
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-testid=home]")
        # On every page the first Tab reaches the skip link, which takes the keyboard past the navigation bar.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
        assert page.evaluate("document.activeElement.getBoundingClientRect().width") > 0  # shown when focused
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
        # A form sent from the keyboard: the findings filter, its status chosen with the arrow keys.
        page.goto(f"{live_server.url}/inspections/findings/")
        page.focus("select[name=status]")
        page.keyboard.press("ArrowDown")  # from "not closed" to "any status"
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.tagName") == "BUTTON":
                break
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "status=all" in page.url
        shot(page, "31-keyboard-findings")
    finally:
        context.close()
