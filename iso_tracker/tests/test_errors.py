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

    monkeypatch.setattr("agencies.views.counts_by_rule", database_down)
    response = _client(dost).get(reverse("agencies:list"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    text = response.content.decode()
    assert "Hãy thử lại sau giây lát" in text and "30 giây" in text
    assert "Connection refused" not in text  # nothing of the error is shown


def test_any_other_error_is_still_a_plain_500(dost, agency, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("agencies.views.counts_by_rule", broken)
    response = _client(dost).get(reverse("agencies:list"))
    assert response.status_code == 500 and "Retry-After" not in response


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
