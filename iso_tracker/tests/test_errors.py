"""While the database cannot be reached the web answers 503 with Retry-After and a short Vietnamese page,
not a bare 500 (issue 12)."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_an_unreachable_database_answers_503_with_retry_after(dost, agency, monkeypatch):
    def database_down(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr("agencies.views.paginate", database_down)
    response = _client(dost).get(reverse("agencies:list"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    text = response.content.decode()
    assert "Hãy thử lại sau giây lát" in text and "30 giây" in text
    assert "Connection refused" not in text  # nothing of the error is shown


def test_any_other_error_is_a_500_page_of_our_own_in_the_users_language(dost, agency, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug in secret_function")

    monkeypatch.setattr("agencies.views.paginate", broken)
    client = _client(dost)
    response = client.get(reverse("agencies:list"))
    assert response.status_code == 500 and "Retry-After" not in response
    text = response.content.decode()
    assert "Đã có lỗi xảy ra" in text and 'href="/"' in text and "secret_function" not in text
    client.cookies["django_language"] = "en"
    english = client.get(reverse("agencies:list")).content.decode()
    assert "Something went wrong" in english and 'lang="en"' in english


def test_not_found_and_not_allowed_are_pages_of_our_own_with_the_navigation(dost, leader, secretary, agency):
    from agencies.tests.factories import make_agency

    other = make_agency(agency.province, code="KHAC", name="Cơ quan khác")
    hidden = _client(secretary).get(reverse("agencies:detail", args=[other.pk]))
    assert hidden.status_code == 404
    page = hidden.content.decode()
    assert 'data-testid="error-404"' in page and "Không tìm thấy trang" in page and "navbar" in page
    assert "Cơ quan khác" not in page  # nothing of what is hidden
    assert "Not Found" not in page
    refused = _client(leader).get(reverse("agencies:create"))
    assert refused.status_code == 403
    assert 'data-testid="error-403"' in refused.content.decode() and "Không được phép" in refused.content.decode()
    anonymous = Client().get("/khong-co-trang-nay/")
    assert anonymous.status_code == 404 and 'data-testid="error-404"' in anonymous.content.decode()
    english = Client()
    english.cookies["django_language"] = "en"
    assert "Page not found" in english.get("/no-such-page/").content.decode()


@pytest.mark.parametrize(
    "where",
    [
        "django.contrib.sessions.backends.db.SessionStore.load",  # the session middleware reads the session
        "django.contrib.auth.get_user",  # the authentication middleware's user, read by ours
    ],
)
def test_the_database_failing_inside_a_middleware_answers_503_too(dost, agency, monkeypatch, where):
    client = _client(dost)

    def database_down(*args, **kwargs):
        raise OperationalError("the database system is starting up")

    monkeypatch.setattr(where, database_down)
    response = client.get(reverse("agencies:list"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Hãy thử lại sau giây lát" in response.content.decode()
