"""Every URL pattern of the app, visited as each role and as users of another agency and another
province, must answer the status written here. A URL added without a row here fails the first test."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.models import AuditEvent

from .url_world import ROLES, build_world

# Columns: anonymous, DOST, leadership, the agency's own secretary, another agency's secretary,
# DOST of another province, then Ministry staff looking at the agency's province (see MINISTRY below).
# 302 for the anonymous visitor is the redirect to the login page.
_PROVINCE: dict[str, tuple[int, int, int, int, int, int]] = {
    "home": (302, 200, 200, 200, 200, 200),
    "login": (200, 302, 302, 302, 302, 302),
    "logout": (405, 405, 405, 405, 405, 405),
    # Single sign-on: off unless OIDC_ENABLED (agencies/tests/test_sso.py has it on).
    "sso_start": (404, 404, 404, 404, 404, 404),
    "sso_callback": (404, 404, 404, 404, 404, 404),
    "password_change": (302, 200, 200, 200, 200, 200),
    "password_change_done": (302, 200, 200, 200, 200, 200),
    "two_factor": (302, 200, 200, 403, 403, 200),
    "two_factor_verify": (302, 302, 302, 302, 302, 302),
    "set_language": (302, 302, 302, 302, 302, 302),
    "accounts:users": (302, 200, 403, 403, 403, 200),
    "accounts:create": (302, 200, 403, 403, 403, 200),
    "accounts:edit": (302, 200, 403, 403, 403, 404),
    "accounts:two_factor_reset": (405, 405, 405, 405, 405, 405),
    "accounts:invite": (405, 405, 405, 405, 405, 405),
    # An invitation's link (here one that does not work): a page for anyone, saying so.
    "invitation": (200, 200, 200, 200, 200, 200),
    "audit:list": (302, 200, 403, 403, 403, 200),
    "agencies:list": (302, 200, 200, 200, 200, 200),
    "agencies:create": (302, 200, 403, 403, 403, 200),
    "agencies:import": (302, 200, 403, 403, 403, 200),
    "agencies:export_csv": (302, 200, 200, 200, 200, 200),
    "agencies:export_xlsx": (302, 200, 200, 200, 200, 200),
    "agencies:detail": (302, 200, 200, 200, 404, 404),
    "agencies:edit": (302, 200, 403, 200, 404, 404),
    "agencies:document": (302, 200, 200, 200, 404, 404),
    "agencies:rules": (302, 200, 200, 403, 403, 200),
    "agencies:handover": (302, 200, 403, 404, 404, 404),
    "agencies:handover_flag": (302, 200, 200, 403, 403, 200),
    "agencies:pick": (302, 200, 200, 403, 403, 200),
    "agencies:rule_delete": (302, 405, 405, 405, 405, 405),
    "agencies:reorganisation_list": (302, 200, 200, 200, 200, 200),
    "agencies:reorganisation_detail": (302, 200, 200, 404, 404, 404),
    "agencies:reorganisation_create": (302, 200, 403, 403, 403, 200),
    "qms:dashboard": (302, 200, 200, 302, 302, 200),
    "qms:flag": (302, 200, 200, 403, 403, 200),
    "qms:list": (302, 200, 200, 403, 403, 200),
    "qms:over_cap": (302, 200, 200, 403, 403, 200),
    "qms:profile": (302, 200, 200, 200, 404, 404),
    "qms:profile_edit": (302, 200, 403, 200, 404, 404),
    "qms:add": (302, 200, 403, 200, 404, 404),
    "qms:procedure_import": (302, 200, 403, 200, 404, 404),
    "qms:procedure_delete": (302, 405, 405, 405, 405, 405),
    "qms:revisions_edit": (302, 200, 403, 200, 404, 404),
    "qms:revision_done": (302, 405, 405, 405, 405, 405),
    "qms:legal_changes": (302, 200, 200, 200, 200, 200),
    "qms:legal_change": (302, 200, 200, 200, 200, 404),
    "qms:courses": (302, 200, 200, 200, 200, 200),
    # The editions are one national list: every province's DOST keeps it, leadership reads it.
    "qms:editions": (302, 200, 200, 403, 403, 200),
    "qms:edition_edit": (302, 200, 403, 403, 403, 200),
    "qms:campaigns": (302, 200, 200, 403, 403, 200),
    "qms:campaign": (302, 200, 200, 403, 403, 404),
    "qms:campaign_edit": (302, 200, 403, 403, 403, 404),
    "qms:step_edit": (302, 200, 403, 403, 403, 404),
    "qms:step_delete": (302, 405, 405, 405, 405, 405),
    "inspections:rounds": (302, 200, 200, 200, 200, 200),
    "inspections:round": (302, 200, 200, 302, 302, 404),
    "inspections:report": (302, 200, 200, 200, 404, 404),
    "inspections:report_decide": (302, 405, 405, 405, 405, 405),
    "inspections:evidence_add": (302, 405, 405, 405, 405, 405),
    "inspections:plans": (302, 200, 200, 403, 403, 200),
    "inspections:plan": (302, 200, 200, 403, 403, 404),
    "inspections:plan_entry": (302, 200, 403, 403, 403, 404),
    "inspections:plan_pdf": (302, 200, 200, 403, 403, 404),
    "inspections:start": (302, 200, 403, 403, 403, 404),
    "inspections:inspections": (302, 200, 200, 200, 200, 200),
    "inspections:inspection": (302, 200, 200, 200, 404, 404),
    "inspections:inspection_pdf": (302, 200, 200, 200, 404, 404),
    "inspections:inspection_file": (302, 200, 200, 200, 404, 404),
    "inspections:findings": (302, 200, 200, 200, 200, 200),
    "inspections:finding": (302, 200, 200, 200, 404, 404),
    "inspections:action_decide": (302, 405, 405, 405, 405, 405),
    "inspections:annual_reports": (302, 200, 200, 403, 403, 200),
    "inspections:summary_pdf": (302, 200, 200, 403, 403, 200),
    "inspections:annual_report": (302, 200, 200, 403, 403, 200),
    "inspections:annual_report_generate": (302, 405, 405, 405, 405, 405),
    "inspections:report_file": (302, 200, 200, 403, 403, 404),
    "notifications:list": (302, 200, 200, 200, 200, 200),
    "notifications:open": (302, 404, 404, 302, 404, 404),
    "notifications:read": (302, 405, 405, 405, 405, 405),
    "notifications:digests": (302, 405, 405, 405, 405, 405),
    "notifications:settings": (302, 200, 403, 403, 403, 200),
    "notifications:jobs": (302, 200, 403, 403, 403, 200),
    # A province joining: the site administrator adds it; its DOST follows the checklist.
    "provinces": (302, 403, 403, 403, 403, 403),
    "province_create": (302, 403, 403, 403, 403, 403),
    "onboarding": (302, 200, 403, 403, 403, 200),
    # Every province side by side, and looking at one of them: Ministry staff only.
    "qms:national": (302, 403, 403, 403, 403, 403),
    "qms:national_go": (302, 403, 403, 403, 403, 403),
    "qms:national_report": (302, 403, 403, 403, 403, 403),
    # Personal API tokens: one's own (another's token does not exist: 404).
    "tokens": (302, 200, 200, 200, 200, 200),
    "token_revoke": (405, 405, 405, 405, 405, 405),
    # The API (issue 18), with the session here (tokens: test_api.py): 401 before signing in; lists are
    # of what one may see; another agency's or province's record does not exist.
    # A document's signed copies (here the agency's minutes): whoever sees the document; DOST signs.
    "inspections:signatures": (302, 200, 200, 200, 404, 404),
    "inspections:signed_pdf": (302, 200, 200, 200, 404, 404),
    "api:schema": (200, 200, 200, 200, 200, 200),
    "api:docs": (200, 200, 200, 200, 200, 200),
    "api:agency-list": (401, 200, 200, 200, 200, 200),
    "api:agency-detail": (401, 200, 200, 200, 404, 404),
    "api:qms-profile-list": (401, 200, 200, 200, 200, 200),
    "api:qms-profile-detail": (401, 200, 200, 200, 404, 404),
    "api:announcement-list": (401, 200, 200, 200, 200, 200),
    "api:announcement-detail": (401, 200, 200, 200, 404, 404),
    "api:review-list": (401, 200, 200, 200, 200, 200),
    "api:review-detail": (401, 200, 200, 200, 404, 404),
    "api:procedure-list": (401, 200, 200, 200, 200, 200),
    "api:procedure-detail": (401, 200, 200, 200, 404, 404),
    "api:process-list": (401, 200, 200, 200, 200, 200),
    "api:process-detail": (401, 200, 200, 200, 404, 404),
    "api:inspection-list": (401, 200, 200, 200, 200, 200),
    "api:inspection-detail": (401, 200, 200, 200, 404, 404),
    "api:finding-list": (401, 200, 200, 200, 200, 200),
    "api:finding-detail": (401, 200, 200, 200, 404, 404),
    "api:finding-actions": (401, 405, 405, 405, 405, 405),
    "api:self-report-list": (401, 200, 200, 200, 200, 200),
    "api:self-report-detail": (401, 200, 200, 200, 404, 404),
    "api:dashboard-list": (401, 200, 200, 403, 403, 200),
    # the signed copies (here the agency's minutes) and their files: as on the web
    "api:signed-document-list": (401, 200, 200, 200, 200, 200),
    "api:signed-document-detail": (401, 200, 200, 200, 404, 404),
    "api:signed-document-file": (401, 200, 200, 200, 404, 404),
}
# Ministry staff see what leadership sees in the province they look at, and change nothing; where that
# differs from leadership's column, or where they alone are let in:
MINISTRY: dict[str, int] = {
    "qms:national": 200,
    "qms:national_go": 302,  # remembers the province in the browser, then opens its dashboard
    "qms:national_report": 200,
}
MATRIX: dict[str, tuple[int, ...]] = {
    name: (*statuses, MINISTRY.get(name, statuses[2])) for name, statuses in _PROVINCE.items()
}
# Views that take a POST: the visitors refused on GET must be refused on POST as well, and write nothing.
# For POST-only views (GET answers 405) the row of POST_ONLY gives the refusals instead.
POST_ONLY: dict[str, tuple[int | None, ...]] = {
    "logout": (None, None, None, None, None, None, None),
    "accounts:two_factor_reset": (302, None, 403, 403, 403, 404, 403),
    "accounts:invite": (302, None, 403, 403, 403, 404, 403),
    "qms:procedure_delete": (302, None, 403, None, 404, 404, 403),
    "qms:revision_done": (302, None, 403, None, 404, 404, 403),
    "qms:step_delete": (302, None, 403, 403, 403, 404, 403),
    "agencies:rule_delete": (302, None, 403, 403, 403, 404, 403),
    "inspections:report_decide": (302, None, 403, 403, 404, 404, 403),
    "inspections:evidence_add": (302, 403, 403, None, 404, 404, 403),
    "inspections:action_decide": (302, None, 403, 403, 404, 404, 403),
    # leadership makes a finished year's report; Ministry staff make nothing
    "inspections:annual_report_generate": (302, None, None, 403, 403, None, 403),
    "notifications:read": (302, None, None, None, None, None, None),
    "notifications:digests": (302, None, None, None, None, None, None),
    "token_revoke": (302, None, 404, 404, 404, 404, 404),  # the DOST's own token
    # DOST signs or uploads a signed copy; who only reads the document does not
    "inspections:signatures": (302, None, 403, 403, 404, 404, 403),
    # the agency's secretary answers its finding; leadership and Ministry staff record nothing
    "api:finding-actions": (401, 403, 403, None, 404, 404, 403),
}


def _names(resolver: URLResolver, namespace: str | None = None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: staff only, checked below
            yield from _names(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


@pytest.fixture(scope="module")
def world(demo_transaction, django_db_blocker):
    """Built once for the module (on the session's demo) inside a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)


def _client(world, role: str) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if role == "ministry":  # looking at the agency's province, as chosen on the national dashboard
        chosen = client.get(reverse("qms:national_go", args=[world.agency.province_id]))
        assert chosen.status_code == 302
    return client


def _url(world, name: str) -> str:
    return reverse(name, kwargs=world.kwargs.get(name, {}))


def test_every_url_pattern_is_in_the_matrix():
    names = set(_names(get_resolver()))
    assert names - set(MATRIX) == set(), "add these URLs to MATRIX"
    assert set(MATRIX) - names == set(), "these URLs no longer exist"


REFUSED = {403, 404}


def _writes() -> int:
    return AuditEvent.objects.filter(kind__in=["write", "job"]).count()


def _rows() -> dict[str, int]:
    """Rows of every table of the app's own models (what a GET must never change)."""
    from django.apps import apps

    mine = ("agencies", "migrations_tracker", "inspections", "notifications", "otp_totp", "otp_static")
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in mine and model._meta.label != "migrations_tracker.DashboardSnapshot"
    }


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_the_allowed_status_and_a_get_writes_nothing(world, db, name):
    url = _url(world, name)
    got = []
    for role in ROLES:
        before, events = _rows(), _writes()
        got.append(_client(world, role).get(url).status_code)
        after = _rows()
        assert after == before, (role, {k: (before[k], after[k]) for k in after if after[k] != before[k]})
        assert _writes() == events, (role, AuditEvent.objects.filter(kind="write").last().changes)
    assert tuple(got) == MATRIX[name], dict(zip(ROLES, got, strict=True))


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_only_the_methods_a_view_serves_are_accepted(world, db, name):
    """PUT, PATCH and DELETE are served by no page: 405 (or the sign-in redirect), and nothing is written."""
    url = _url(world, name)
    # Django's sign-in and language views send a signed-in visitor on before they look at the method.
    redirects_first = name in ("login", "set_language")
    for role in ("anonymous", "dost"):
        client = _client(world, role)
        for method in (client.put, client.patch, client.delete):
            before = _writes()
            status = method(url).status_code
            allowed = (302, 405) if role == "anonymous" or redirects_first else (405,)
            if name.startswith("api:") and role == "anonymous":  # the API asks who is calling first
                allowed = (401, 405)
            assert status in allowed, (role, method.__name__, status)
            assert _writes() == before


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_a_refused_visitor_is_refused_on_post_too_and_writes_nothing(world, db, name):
    url = _url(world, name)
    expected = POST_ONLY.get(name) or tuple(
        status if status in REFUSED or (role == "anonymous" and status == 302) else None
        for role, status in zip(ROLES, MATRIX[name], strict=True)
    )
    for role, status in zip(ROLES, expected, strict=True):
        if status is None or (role == "anonymous" and name in ("login", "set_language")):
            continue
        before = _writes()
        response = _client(world, role).post(url, {"format": "pdf", "your_password": "x"})
        # A page that serves no POST refuses it by its method (405) before it looks at the visitor.
        by_method = response.status_code == 405 and "POST" not in response.get("Allow", "POST")
        assert response.status_code == status or by_method, (role, response.status_code)
        if role == "anonymous" and response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), response["Location"]
        assert _writes() == before, (role, AuditEvent.objects.filter(kind="write").last().changes)


# What Ministry staff may post: their own session and account (sign out, language, password, second step,
# their own notifications and digest choice), never a province's data.
MINISTRY_OWN = {"logout", "set_language", "password_change", "two_factor", "two_factor_verify", "login"}
MINISTRY_OWN |= {"notifications:read", "notifications:digests"}
MINISTRY_OWN |= {"invitation"}  # an invitation's link sets its own account's password (here: a dead link)
MINISTRY_OWN |= {"qms:national_report"}  # the national report is the Ministry's own document
MINISTRY_OWN |= {"tokens"}  # their own API tokens (read only in effect: "api.write" refuses them)


@pytest.mark.parametrize("name", sorted(set(MATRIX) - MINISTRY_OWN))
def test_ministry_staff_post_anywhere_and_nothing_is_written(world, db, name):
    """Issue 17: read only across every province. Whatever a form would carry, their POST is refused (or
    is a page that takes no POST), and no row of any table changes."""
    client = _client(world, "ministry")
    data = {"format": "pdf", "your_password": "x", "name": "Bộ thử", "code": "X", "role": "dost", "pk": "1"}
    before, events = _rows(), _writes()
    response = client.post(_url(world, name), data)
    assert response.status_code in (403, 404, 405), (name, response.status_code)
    assert _rows() == before and _writes() == events


def test_the_admin_is_for_staff_only(world, db):
    for role in ROLES:
        response = _client(world, role).get(reverse("admin:index"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"], role
