"""Issue 18: the REST API, through HTTP only. A token is made on its owner's page and shown once; it acts
as its owner, with the web's scopes and rules (a secretary's token never reads or writes another agency's
records; leadership and Ministry staff never write); read-only tokens read only; errors are JSON in the
caller's language; lists run a bounded number of statements."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies.models import Agency, ApiToken, User
from inspections.models import Finding, Inspection
from migrations_tracker.models import Review

pytestmark = pytest.mark.django_db
PASSWORD = "CaoBang@2019"  # the demo's
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _token(username: str, *, read_only: bool = True) -> str:
    """A token made the way its owner makes one: on their tokens page, confirmed with their password."""
    page = _signed_in(username).post(
        reverse("tokens"),
        {"name": "e-ISO", "days": "90", "your_password": PASSWORD, **({"read_only": "on"} if read_only else {})},
    )
    assert page.status_code == 200, page.content.decode()[:300]
    text = page.content.decode().split('data-testid="token-shown"')[1].split("<code")[1].split(">")[1].split("<")[0]
    return text.strip()


def _api(token: str | None = None, **headers) -> Client:
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(**headers)


def _all(client: Client, url: str, **params) -> list[dict]:
    """Every row of a list, following its cursor."""
    rows, page = [], client.get(url, params)
    while True:
        assert page.status_code == 200, page.content.decode()[:300]
        body = page.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        page = client.get(body["next"])


def test_a_token_is_shown_once_kept_hashed_and_works_until_revoked(demo):
    text = _token("dost")
    assert text.startswith("isot_")
    stored = ApiToken.objects.get(user__username="dost")
    assert text not in {stored.digest, stored.lookup} and stored.digest == ApiToken.digest_of(text)
    page = _signed_in("dost").get(reverse("tokens")).content.decode()
    assert text not in page and f"isot_{stored.lookup}" in page  # listed by its first characters only

    client = _api(text)
    rows = _all(client, "/api/v1/agencies/", as_of="2019-12-31", page_size="30")
    assert len(rows) == 77 and len({row["id"] for row in rows}) == 77  # the 2019 registry (seed facts)
    assert {row["obligation"] for row in rows} == {"mandatory", "encouraged"}
    from agencies.models import Province
    from inspections.reports.data import annual_figures

    (_label, mandatory, _then), _encouraged = annual_figures(Province.objects.get(code="04"), 2019)["by_obligation"]
    assert sum(row["obligation"] == "mandatory" for row in rows) == mandatory == 74

    revoked = _signed_in("dost").post(reverse("token_revoke", args=[stored.pk]))
    assert revoked.status_code == 302
    refused = client.get("/api/v1/agencies/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert refused.json()["detail"] == "The token is unknown, expired or revoked."
    vietnamese = client.get("/api/v1/agencies/", HTTP_ACCEPT_LANGUAGE="vi")
    assert vietnamese.json()["detail"] == "Mã truy cập không tồn tại, đã hết hạn hoặc đã bị thu hồi."


def test_another_s_token_cannot_be_revoked_and_a_token_needs_one_s_password(demo):
    _token("tk.skhcn")
    theirs = ApiToken.objects.get(user__username="tk.skhcn")
    assert _signed_in("tk.h08").post(reverse("token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    wrong = _signed_in("tk.h08").post(reverse("tokens"), {"name": "x", "days": "90", "your_password": "sai"})
    assert wrong.status_code == 400 and 'value="x"' in wrong.content.decode()
    assert not ApiToken.objects.filter(user__username="tk.h08").exists()


def test_a_secretary_s_token_reads_and_writes_only_their_own_agency(demo):
    secretary = User.objects.get(username="tk.skhcn")
    own = secretary.agency
    other = Agency.objects.filter(province=own.province, ended_on__isnull=True).exclude(pk=own.pk).first()
    client = _api(_token("tk.skhcn", read_only=False))
    assert [row["id"] for row in _all(client, "/api/v1/agencies/")] == [own.pk]
    assert client.get(f"/api/v1/agencies/{other.pk}/").status_code == 404
    foreign_finding = Finding.objects.exclude(agency=own).first()
    assert client.get(f"/api/v1/findings/{foreign_finding.pk}/").status_code == 404
    assert {row["agency"] for row in _all(client, "/api/v1/findings/")} <= {own.pk}
    assert client.get("/api/v1/dashboard/").status_code == 403

    review = {"kind": "audit", "date": "2026-11-20", "scope": "Toàn bộ", "result": "Đạt", "nonconformities": 2}
    made = client.post("/api/v1/reviews/", review | {"agency": own.pk}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert Review.objects.filter(pk=made.json()["id"], agency=own, nonconformities=2).exists()
    before = Review.objects.count()
    elsewhere = client.post("/api/v1/reviews/", review | {"agency": other.pk}, content_type="application/json")
    assert elsewhere.status_code == 400 and "agency" in elsewhere.json()
    assert Review.objects.count() == before

    reader = _api(_token("tk.skhcn"))  # read only
    refused = reader.post("/api/v1/reviews/", review | {"agency": own.pk}, content_type="application/json")
    assert refused.status_code == 403 and Review.objects.count() == before


def test_a_secretary_answers_a_finding_with_evidence_and_a_stale_answer_is_refused(demo):
    finding = Finding.objects.filter(status=Finding.Status.OPEN, agency__ended_on__isnull=True).first()
    secretary = User.objects.filter(role=User.Role.SECRETARY, agency=finding.agency).first()
    client = _api(_token(secretary.username, read_only=False))
    url = f"/api/v1/findings/{finding.pk}/actions/"
    stale = client.post(url, {"action": "Đã sửa", "revision": finding.revision + 5})
    assert stale.status_code == 409
    evidence = SimpleUploadedFile("bien-ban.pdf", PDF, content_type="application/pdf")
    answered = client.post(
        f"/api/v1/findings/{finding.pk}/actions/",
        {"action": "Đã ban hành lại quy trình", "revision": finding.revision, "document": evidence},
    )
    assert answered.status_code == 201, answered.content
    assert answered.json()["document"].startswith("http://testserver/agencies/documents/")
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ANSWERED
    fake = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    refused = client.post(f"/api/v1/findings/{finding.pk}/actions/", {"action": "Lại", "document": fake})
    assert refused.status_code == 400


def test_leadership_and_ministry_staff_read_but_never_write(demo):
    User.objects.create_user("bo.api", password=PASSWORD, role=User.Role.MINISTRY)
    agency = User.objects.get(username="tk.skhcn").agency
    review = {"agency": agency.pk, "kind": "audit", "date": "2026-11-20"}
    for username in ("lanhdao", "bo.api"):
        client = _api(_token(username, read_only=False))
        before = Review.objects.count()
        answer = client.post("/api/v1/reviews/?province=04", review, content_type="application/json")
        assert answer.status_code in (400, 403) and Review.objects.count() == before, username
    ministry = _api(_token("bo.api"))
    assert ministry.get("/api/v1/agencies/").json()["results"] == []  # no province named: nothing
    figures = ministry.get("/api/v1/dashboard/", {"province": "04", "as_of": "2019-12-31"})
    assert figures.status_code == 200 and sum(figures.json()["figures"]["versions"].values()) == 77


@pytest.mark.parametrize(
    "url, params",
    [
        ("/api/v1/agencies/", {"as_of": "31/02/2019"}),
        ("/api/v1/agencies/", {"as_of": "9999-01-01"}),
        ("/api/v1/agencies/", {"category": "nope"}),
        ("/api/v1/agencies/", {"q": "a\x00b"}),
        ("/api/v1/findings/", {"status": "nope"}),
        ("/api/v1/findings/", {"year": "abc"}),
        ("/api/v1/inspections/", {"agency": "99999999999999999999"}),
        ("/api/v1/reviews/", {"agency": "-1"}),
        ("/api/v1/signed-documents/", {"kind": "hop-dong"}),
        ("/api/v1/signed-documents/", {"year": "1900"}),
    ],
)
def test_bad_parameters_are_a_400_naming_them(demo, url, params):
    answer = _api(_token("dost")).get(url, params)
    assert answer.status_code == 400 and set(answer.json()) == set(params)


def test_lists_run_a_bounded_number_of_statements(demo, django_assert_max_num_queries):
    client = _api(_token("dost"))
    for url in (
        "/api/v1/agencies/",
        "/api/v1/findings/",
        "/api/v1/inspections/",
        "/api/v1/reviews/",
        "/api/v1/announcements/",
        "/api/v1/processes/",
        "/api/v1/self-reports/",
        "/api/v1/qms-profiles/",
        "/api/v1/signed-documents/",
    ):
        with django_assert_max_num_queries(8):
            assert client.get(url, {"page_size": "200"}).status_code == 200, url


def test_the_schema_and_its_docs_page_are_served_from_here(demo):
    schema = Client().get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    assert "/api/v1/findings/{id}/actions/" in schema.json()["paths"]
    docs = Client().get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="operation-findings_actions_create"' in docs and "/api/v1/findings/{id}/actions/" in docs
    assert "//" not in "".join(part.split('"')[0] for part in docs.split('src="')[1:]), "every script is ours"


def test_the_framework_s_own_errors_are_in_the_caller_s_language_too(demo):
    """Not only our messages: what Django REST framework says itself (no token, a bad number, a bad cursor,
    an address with a format ending, a record one may not see) is Vietnamese by default, English on asking."""
    anonymous = Client()
    assert anonymous.get("/api/v1/agencies/").json()["detail"].startswith("Chưa có thông tin xác thực")
    english = anonymous.get("/api/v1/agencies/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert english == "Authentication credentials were not provided."
    secretary = _api(_token("tk.skhcn"))
    assert secretary.get("/api/v1/inspections/", {"year": "abc"}).json()["year"] == ["Cần một số nguyên hợp lệ."]
    assert secretary.get("/api/v1/inspections/", {"cursor": "rác"}).json()["detail"] == "Con trỏ trang không hợp lệ."
    hidden = Inspection.objects.exclude(agency__code="SKHCN").first()
    for url in (f"/api/v1/inspections/{hidden.pk}/", f"/api/v1/inspections/{hidden.pk}.json"):
        answer = secretary.get(url)
        assert answer.status_code == 404 and answer.json() == {"detail": "Không tìm thấy."}, url
    assert secretary.get("/api/v1/findings/1/actions.json").status_code == 404  # one address a resource
