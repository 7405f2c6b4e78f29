"""Issue 11, "zero 500s on bad input": every URL pattern of the matrix, visited as four signed-in roles
with bad query parameters, bad form fields and path integers that cannot exist, answers below 500, and a
refused request writes nothing.

The database is the matrix's world (built once for this module, rolled back at its end). PostgreSQL
refuses a NUL character in any text it is given, SQLite does not: so every request here runs with a
guard that fails, on either database, when a NUL reaches a query (the crash PostgreSQL would have)."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import DataError, connection
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter
from django.utils.html import escape

from . import test_url_matrix as matrix

world = matrix.world  # the matrix's module-scoped world, built again (once) for this module

ROLES = ("dost", "leadership", "secretary", "foreign_dost")
HUGE = "x" * 1_000_000
BAD = [
    "",
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "2147483648",
    "31/02/2019",
    "9999-99-99",
    "01/01/0001",
    "31/12/9999",
    "\x00",
    "a\x00b",
    "%00",
    "Ω≈ç√∫˜µ≤≥÷ 𝕏 🙂 \u202e",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
# Every query parameter a view, filter or form of the app reads (grep request.GET, FilterSet fields and
# the forms bound to request.GET), and a few it does not.
PARAMS = [
    "year", "as_of", "mode", "conclusion", "status", "severity", "overdue", "repeated", "state", "page", "q",
    "category", "parent", "locality", "version", "stage", "milestone", "kind", "next", "format", "recheck",
    "effective", "since", "until", "user", "from", "to", "actor", "key", "section", "job", "opt_out", "language",
]  # fmt: skip
# Typed into a form, these must come back in the page that refuses it.
KEPT = ["abc", "<script>alert(1)</script>", "' OR 1=1 --", "Ω≈ç√∫˜µ≤≥÷ 𝕏 🙂 \u202e"]
TEXT_TYPES = {"text", "email", "url", "search", "tel", "textarea"}
REFUSED = {403, 404, 405}
INTS = [0, 2147483648, 99999999999999999999]


# --- Requests -------------------------------------------------------------------------------------


def _has_nul(value) -> bool:
    if isinstance(value, str | bytes):
        return ("\x00" if isinstance(value, str) else b"\x00") in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(execute, sql, params, many, context):
    """What PostgreSQL does with a NUL in a parameter, on every database."""
    if _has_nul(params):
        raise DataError(f"A string literal cannot contain NUL (0x00) characters: {sql[:300]}")
    return execute(sql, params, many, context)


@dataclass
class Checked:
    response: object
    text: str | None


def _send(client: Client, method: str, url: str, data, what) -> Checked:
    """One request: under 500, and nothing written when it is refused."""
    before = matrix._writes()
    with connection.execute_wrapper(_refuse_nul):
        response = getattr(client, method)(url, data)
    status = response.status_code
    trace = "".join(traceback.format_exception(*response.exc_info)) if getattr(response, "exc_info", None) else ""
    assert status < 500, f"{method.upper()} {url} {what!r} → {status}\n{trace}"
    if status in REFUSED:
        assert matrix._writes() == before, (method, url, what, status)
    text = None
    if response.streaming:
        for _chunk in response.streaming_content:  # read to the end: the test client then closes it
            pass
    elif status in (200, 400, 409) and response.get("Content-Type", "").startswith("text/html"):
        text = response.content.decode(response.charset or "utf-8")
    return Checked(response, text)


@pytest.fixture(scope="module")
def clients(world, django_db_blocker):
    """One signed-in client per role, reused by every test of the module; a crash answers 500."""
    made = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            client = Client(raise_request_exception=False)
            client.force_login(world.users[role], backend="django.contrib.auth.backends.ModelBackend")
            made[role] = client
    return made


# --- Forms of a page ------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    type: str
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    fields: dict[str, Field] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """The POST forms of a page, with their fields (what a browser would send)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._open: Field | None = None  # the select or textarea being read

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", "")) if a.get("method", "").lower() == "post" else None
            if self._form is not None:
                self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "option" and self._open is not None:
            self._open.options.append(a.get("value", ""))
        if not name or name == "csrfmiddlewaretoken" or name in self._form.fields:
            return
        if tag in ("input", "button"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            if kind != "file":
                self._form.fields[name] = Field(name, kind, a.get("value", ""))
        elif tag in ("select", "textarea"):
            self._open = self._form.fields[name] = Field(name, tag)

    def handle_data(self, data):
        if self._open is not None and self._open.type == "textarea":
            self._open.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag in ("select", "textarea"):
            self._open = None


def _forms(text: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(text)
    return parser.forms


def _extreme(f: Field, *, future: bool) -> str:
    """A value that looks valid but lies at the edge: far dates, huge or negative numbers."""
    name = f.name.lower()
    if f.type == "select":
        chosen = [o for o in f.options if o]
        return chosen[0] if chosen else ""
    if f.type in ("submit", "hidden", "checkbox", "radio") and name != "year":
        return f.value or "1"
    if f.type == "number" or name in ("year", "budget_vnd", "value_vnd", "nonconformities", "hour"):
        return "99999" if future else "-1"
    if any(part in name for part in ("date", "_on", "deadline", "as_of", "since", "until", "on")):
        return "31/12/9999" if future else "01/01/0001"
    return f.value or "Fuzz"


# --- The tests ------------------------------------------------------------------------------------

_POSTED: set[tuple[str, str, tuple[str, ...]]] = set()  # forms already fuzzed (a form of base.html is on every page)


@pytest.mark.parametrize("name", sorted(matrix.MATRIX))
def test_bad_query_parameters_and_form_fields_never_crash(world, clients, db, name):
    url = matrix._url(world, name)
    for role in ROLES:
        client = clients[role]
        for value in BAD:
            _send(client, "get", url, dict.fromkeys(PARAMS, value), ("GET", role, value))
        repeated = {p: ["1", "abc"] for p in PARAMS} | {"page": ["1", "2"], "year": ["2019", "abc"]}
        _send(client, "get", url, repeated, ("GET repeated", role))
        if role == ROLES[0]:
            _send(client, "get", url, dict.fromkeys(PARAMS, HUGE), ("GET 1 MB", role))
        page = _send(client, "get", url, {}, ("GET", role))
        for form in _forms(page.text or ""):
            action = urljoin(url, form.action) if form.action else url
            key = (role, urlsplit(action).path, tuple(sorted(form.fields)))
            if key in _POSTED or resolve(urlsplit(action).path).url_name == "logout":
                continue
            _POSTED.add(key)
            _post_form(client, action, form, role)


def _post_form(client: Client, action: str, form: Form, role: str) -> None:
    for value in BAD:
        sent = dict.fromkeys(form.fields, value)
        got = _send(client, "post", action, sent, ("POST", role, value))
        if value in KEPT and got.text is not None:
            _assert_kept(got.text, form, sent, (action, role, value))
    for future in (True, False):
        sent = {f.name: _extreme(f, future=future) for f in form.fields.values()}
        _send(client, "post", action, sent, ("POST extreme", role, sent))


def _assert_kept(text: str, form: Form, sent: dict, what) -> None:
    """A refused text field shows what was typed (HTML-escaped in the page)."""
    for again in _forms(text):
        for f in again.fields.values():
            if f.type in TEXT_TYPES and f.name in form.fields and form.fields[f.name].type in TEXT_TYPES:
                shown = f.value[1:] if f.type == "textarea" and f.value.startswith("\n") else f.value
                assert shown == sent[f.name], (*what, f.name, shown[:80])
                assert escape(sent[f.name]) in text, (*what, f.name)


def _int_kwargs(resolver=None, namespace=None):
    """{URL name: the names of its int path converters}, for every pattern that has one."""
    found = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                found |= _int_kwargs(pattern, pattern.namespace or namespace)
        elif pattern.name:
            ints = [k for k, c in pattern.pattern.converters.items() if isinstance(c, IntConverter)]
            if ints:
                found[f"{namespace}:{pattern.name}" if namespace else pattern.name] = ints
    return found


INT_KWARGS = _int_kwargs()


@pytest.mark.parametrize("name", sorted(INT_KWARGS))
def test_path_integers_that_cannot_exist_are_not_found(world, clients, db, name):
    kwargs = world.kwargs[name]
    for role in ROLES:
        for key in INT_KWARGS[name]:
            for number in INTS:
                url = reverse(name, kwargs={**kwargs, key: number})
                for method in ("get", "post"):
                    got = _send(clients[role], method, url, {}, (method, role, key, number))
                    assert got.response.status_code not in (200, 400), (method, url, role)


import collections as _c, time as _t
_STATS = _c.defaultdict(lambda: [0, 0.0])
_orig_send = _send
def _send(client, method, url, data, what):  # noqa
    t = _t.perf_counter()
    try:
        return _orig_send(client, method, url, data, what)
    finally:
        d = _t.perf_counter() - t
        label = what[2] if len(what) > 2 and isinstance(what[2], str) and len(what[2]) < 40 else "-"
        for k in ((method, what[0], label), ("url", url.split("?")[0], method)):
            _STATS[k][0] += 1; _STATS[k][1] += d

@pytest.fixture(autouse=True, scope="module")
def _report():
    yield
    for k, (n, s) in sorted(_STATS.items(), key=lambda kv: -kv[1][1])[:50]:
        print(f"{s:8.2f}s {n:6d} {k!r}")
