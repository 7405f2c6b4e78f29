"""Issue 11, "zero 500s on bad input": every URL pattern of the matrix, visited as five signed-in roles
(Ministry staff among them, reading the province) with bad query parameters, bad form fields and path
integers that cannot exist, answers below 500, and a refused request (403, 404, 405) writes nothing.

The database is the matrix's world (built once for this module, rolled back at its end). PostgreSQL
refuses a NUL character in any text it is sent, SQLite does not: so every request here runs with a guard
that fails on either database when a NUL reaches a query, as PostgreSQL would.

To stay fast (the module runs in about a minute on SQLite) the value sets adapt to what each view reads.
The first request of a URL and role records the query parameters the view looks at: a view that reads
some gets every bad value from the first role that reads them (and 1 MB in each), a sample from the
other roles; a view that reads none gets one request mixing the bad values. The POST forms of each page
(parsed from its HTML) get every bad value from the first role they are served to, a sample from the
others, plus valid-looking extremes (year 99999, 31/12/9999, 01/01/0001) and 1 MB in a text field."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import DataError, connection
from django.http import QueryDict
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter
from django.utils.html import escape

from . import test_url_matrix as matrix

world = matrix.world  # the matrix's module-scoped world, built (once) for this module too

ROLES = ("dost", "leadership", "secretary", "foreign_dost", "ministry")
HUGE = "x" * 1_000_000  # 1 MB
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
SAMPLE = ["a\x00b", "99999999999999999999", "01/01/0001", "<script>alert(1)</script>"]
# Far dates and huge numbers are tried in every field by the "extreme" posts below.
POSTED = [v for v in BAD if v not in ("0", "9999-99-99", "31/12/9999", "01/01/0001", "%00")]
# Every query parameter a view, filter or form of the app reads (grep request.GET, the FilterSets and
# the forms bound to request.GET), and a few it does not.
PARAMS = [
    "year", "as_of", "mode", "conclusion", "status", "severity", "overdue", "repeated", "state", "page", "q",
    "category", "parent", "locality", "version", "stage", "milestone", "kind", "next", "format", "recheck",
    "effective", "since", "until", "user", "from", "to", "actor", "key", "section", "job", "opt_out", "language",
    "obligation", "agency", "province", "cursor", "page_size",
]  # fmt: skip
MIXED = {name: BAD[i % len(BAD)] for i, name in enumerate(PARAMS)}
REPEATED = {name: ["1", "abc"] for name in PARAMS} | {"page": ["1", "2"], "year": ["2019", "abc"]}
# Typed into a refused form, these must come back in its page.
KEPT = ["abc", "<script>alert(1)</script>", "' OR 1=1 --", "Ω≈ç√∫˜µ≤≥÷ 𝕏 🙂 \u202e"]
TEXT_TYPES = {"text", "email", "url", "search", "tel", "textarea"}
REFUSED = {403, 404, 405}
INTS = [0, 2147483648, 99999999999999999999]


# --- Requests -------------------------------------------------------------------------------------


def _has_nul(value) -> bool:
    if isinstance(value, str):  # bytes may hold NULs: PostgreSQL's bytea takes them
        return "\x00" in value
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


class _ReadingQueryDict(QueryDict):
    """request.GET that notes the names a view reads ("*" when it reads them all: copy, urlencode, …)."""

    read: set[str] = set()
    _parsed = False  # QueryDict looks its own names up while it parses the query string

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._parsed = True

    def _note(self, name: str) -> None:
        if self._parsed:
            self.read.add(name)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def __iter__(self):
        self._note("*")
        return super().__iter__()

    def copy(self):
        self._note("*")
        return super().copy()

    def urlencode(self, safe=None):
        self._note("*")
        return super().urlencode(safe)

    def lists(self):
        self._note("*")
        return super().lists()

    def dict(self):
        self._note("*")
        return super().dict()


@dataclass
class Sent:
    status: int
    text: str | None  # the page, when it is HTML


def _send(client: Client, method: str, url: str, data, what) -> Sent:
    """One request: under 500, and nothing written when it is refused."""
    before = matrix._writes()
    with connection.execute_wrapper(_refuse_nul):
        response = getattr(client, method)(url, data)
    status = response.status_code
    trace = "".join(traceback.format_exception(*response.exc_info)) if getattr(response, "exc_info", None) else ""
    assert status < 500, f"{method.upper()} {url} {what!r} → {status}\n{trace}"
    if status in REFUSED:
        assert matrix._writes() == before, (method, url, what, status)
    if response.streaming:
        for _chunk in response.streaming_content:  # read to the end: the test client then closes it
            pass
        return Sent(status, None)
    html = status in (200, 400, 409) and response.get("Content-Type", "").startswith("text/html")
    return Sent(status, response.content.decode(response.charset or "utf-8") if html else None)


def _probe(client: Client, url: str, what) -> tuple[Sent, set[str]]:
    """A GET with every parameter "abc", noting which parameters the view reads."""
    _ReadingQueryDict.read = set()
    with mock.patch("django.core.handlers.wsgi.QueryDict", _ReadingQueryDict):
        sent = _send(client, "get", url, dict.fromkeys(PARAMS, "abc"), what)
    return sent, _ReadingQueryDict.read


@pytest.fixture(scope="module")
def clients(world, django_db_blocker):
    """One signed-in client per role, reused by every test of the module; a crash answers 500."""
    made = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            client = Client(raise_request_exception=False)
            client.force_login(world.users[role], backend="django.contrib.auth.backends.ModelBackend")
            if role == "ministry":  # reading the agency's province, so its pages are fuzzed too
                assert client.get(reverse("qms:national_go", args=[world.agency.province_id])).status_code == 302
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
    """The POST forms of a page, with the fields a browser would send (files left out)."""

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
        if tag == "option" and self._open is not None:
            self._open.options.append(a.get("value", ""))
        name = a.get("name")
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


def _forms(text: str | None) -> list[Form]:
    parser = _FormParser()
    parser.feed(text or "")
    return parser.forms


def _extreme(f: Field, *, future: bool) -> str:
    """A value that looks valid but lies at an edge: far dates, huge or negative numbers."""
    name = f.name.lower()
    if f.type == "select":
        chosen = [o for o in f.options if o]
        return chosen[0] if chosen else ""
    if f.type == "number" or name in ("year", "revision", "budget_vnd", "value_vnd", "nonconformities", "hour"):
        return "99999" if future else "-1"
    if f.type in ("submit", "hidden", "checkbox", "radio"):
        return f.value or "1"
    if name == "on" or name.endswith(("date", "_on", "deadline")):
        return "31/12/9999" if future else "01/01/0001"
    return f.value.strip() or "Fuzz"


def _post_form(client: Client, action: str, form: Form, role: str, values: list[str]) -> None:
    for value in values:
        sent = dict.fromkeys(form.fields, value)
        got = _send(client, "post", action, sent, ("POST", role, value))
        if value in KEPT and got.status in (200, 400):
            _assert_kept(got.text, form, sent, (action, role, value))
    for future in (True, False):
        sent = {f.name: _extreme(f, future=future) for f in form.fields.values()}
        _send(client, "post", action, sent, ("POST extreme", role, sent))


def _assert_kept(text: str | None, form: Form, sent: dict, what) -> None:
    """A refused form shows the text fields as they were typed (HTML-escaped in the page)."""
    for again in _forms(text):
        for f in again.fields.values():
            if f.type in TEXT_TYPES and f.name in form.fields and form.fields[f.name].type in TEXT_TYPES:
                shown = f.value[1:] if f.type == "textarea" and f.value.startswith("\n") else f.value
                assert shown == sent[f.name], (*what, f.name, shown[:80])
                assert escape(sent[f.name]) in text, (*what, f.name)


# --- The tests ------------------------------------------------------------------------------------

# A form is (its action's path, its field names); the first role it is served to posts every value.
_FIRST_POSTER: dict[tuple[str, tuple[str, ...]], str] = {}
_POSTED: set[tuple[tuple[str, tuple[str, ...]], str]] = set()


@pytest.mark.parametrize("name", sorted(matrix.MATRIX))
def test_bad_query_parameters_and_form_fields_never_crash(world, clients, db, name):
    url = matrix._url(world, name)
    huge_sent = False
    for role in ROLES:
        client = clients[role]
        page, read = _probe(client, url, ("GET abc", role))
        if not read:  # the view reads no parameter: one request with all the bad values mixed
            _send(client, "get", url, MIXED, ("GET mixed", role))
        else:
            for value in SAMPLE if huge_sent else BAD:
                _send(client, "get", url, dict.fromkeys(PARAMS, value), ("GET", role, value))
            _send(client, "get", url, REPEATED, ("GET repeated", role))
            if not huge_sent:  # 1 MB in each parameter the view reads, once per URL
                _send(client, "get", url, dict.fromkeys(sorted(read - {"*"}) or PARAMS, HUGE), ("GET 1 MB", role))
                huge_sent = True
        for form in _forms(page.text):
            _fuzz_form(client, url, form, role)
    if not huge_sent:  # no role's view read a parameter: 1 MB anyway, where a search would be
        _send(clients[ROLES[0]], "get", url, {"q": HUGE}, ("GET 1 MB", ROLES[0]))


def _fuzz_form(client: Client, url: str, form: Form, role: str) -> None:
    action = urljoin(url, form.action) if form.action else url
    path = urlsplit(action).path
    key = (path, tuple(sorted(form.fields)))
    if resolve(path).url_name == "logout" or (key, role) in _POSTED:  # a form of base.html is on every page
        return
    _POSTED.add((key, role))
    if _FIRST_POSTER.setdefault(key, role) != role:
        _post_form(client, action, form, role, SAMPLE)
        return
    _post_form(client, action, form, role, POSTED)
    text = next((f.name for f in form.fields.values() if f.type in TEXT_TYPES), None)
    if text:  # 1 MB in its first text field, the others valid-looking
        huge = {name: HUGE if name == text else _extreme(f, future=True) for name, f in form.fields.items()}
        _send(client, "post", action, huge, ("POST 1 MB", role, text))


def _int_kwargs(resolver=None, namespace=None) -> dict[str, list[str]]:
    """{URL name: its int path parameters}, for every pattern that has one."""
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
    method = "post" if name in matrix.POST_ONLY else "get"  # a POST-only view answers GET with 405 first
    for role in ROLES:
        for key in INT_KWARGS[name]:
            for number in INTS + ([1, 99999] if key == "year" else []):
                url = reverse(name, kwargs={**kwargs, key: number})
                status = _send(clients[role], method, url, {}, (role, key, number)).status
                assert status in (302, 403, 404), (method, url, role, status)


def test_the_probe_and_the_form_parser_see_what_the_fuzz_needs(world, clients, db):
    """The fuzz above relies on both: a blind probe or parser would send too little and pass."""
    _page, read = _probe(clients["dost"], reverse("agencies:list"), "probe")
    assert {"q", "as_of", "page", "*"} <= read
    assert _probe(clients["dost"], matrix._url(world, "agencies:detail"), "probe")[1] == set()
    page, _read = _probe(clients["dost"], reverse("agencies:create"), "probe")
    (form,) = [f for f in _forms(page.text) if not f.action]
    assert {"code", "name", "category", "parent", "established_on"} <= set(form.fields)
    assert form.fields["name"].type == "text" and form.fields["category"].options


# Crashes an outside audit found, each sent as DOST (who may write everything): refused, nothing written.
AUDIT_CASES = [
    ("inspections:inspections", "get", {"mode": "\x00", "conclusion": "\x00", "year": "abc"}),
    ("inspections:findings", "get", {"status": "\x00", "severity": "\x00"}),
    ("accounts:users", "get", {"q": "\x00"}),
    ("two_factor_verify", "get", {"next": "abc"}),
    ("qms:dashboard", "get", {"as_of": "01/01/0001"}),
    ("inspections:plans", "post", {"year": "2019", "on": "01/01/0001"}),
    ("inspections:plans", "post", {"year": "99999", "on": "01/01/2019"}),
    ("qms:legal_changes", "post", {"number": "01/2019/QH14", "title": "Luật", "effective_date": "31/12/9999"}),
    ("inspections:rounds", "post", {"year": "2019", "opened_on": "01/01/2019", "deadline": "31/12/9999"}),
    ("inspections:rounds", "post", {"year": "2147483648", "opened_on": "01/01/2019", "deadline": "31/12/2019"}),
    ("inspections:inspection", "post", {"recheck": "abc", "effective": "1"}),
    ("inspections:inspection", "post", {"recheck": "99999999999999999999", "effective": "abc"}),
    ("inspections:annual_report_generate", "post", {"format": "\x00"}),
]


@pytest.mark.parametrize(("name", "method", "data"), AUDIT_CASES)
def test_the_crashes_of_the_outside_audit_are_refused(world, clients, db, name, method, data):
    before = matrix._writes()
    status = _send(clients["dost"], method, matrix._url(world, name), data, (name, data)).status
    assert status in (200, 302, 400), status  # the page again (with its message), or back where it was
    assert matrix._writes() == before, (name, data)
