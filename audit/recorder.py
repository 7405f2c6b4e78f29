"""Record audit events, and count the rows a request or a job writes.

The counting wraps the database connection (Django's execute_wrapper), so it sees every INSERT,
UPDATE and DELETE whatever made it: a form, a bulk_create of an import, a queryset.update()."""

from __future__ import annotations

import contextlib
import logging
import re
from collections import defaultdict

from django.db import connections, transaction

logger = logging.getLogger("audit")

_WRITE = re.compile(
    r'^\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+[`"]?([\w.]+)[`"]?',
    re.IGNORECASE,
)
_COLUMNS = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\S+\s*\(([^)]*)\)", re.IGNORECASE)
# Bookkeeping that is not a user's change: sessions, throttling counters, the trail itself.
# The dashboard's precomputed figures are a cache, written by whoever happens to look first.
IGNORED_TABLES = ("django_session", "axes_", "audit_", "django_celery", "migrations_tracker_dashboardsnapshot")


def _inserted_rows(sql: str, params, many: bool) -> int:
    if many:
        return len(params) if params is not None else 1
    columns = _COLUMNS.match(sql)
    width = columns.group(1).count(",") + 1 if columns else 0
    return max(1, len(params) // width) if params and width else 1


class WriteCounter:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        match = _WRITE.match(sql) if isinstance(sql, str) else None
        if match:
            table = match.group(2).split(".")[-1]
            if not table.startswith(IGNORED_TABLES):
                # Rows really written (an UPDATE that matched nothing wrote nothing).
                verb = match.group(1).split()[0].lower()
                rows = getattr(context.get("cursor"), "rowcount", -1)
                if verb == "insert" and (rows is None or rows <= 0):
                    # SQLite reports no row count for INSERT … RETURNING before the rows are read.
                    rows = _inserted_rows(sql, params, many)
                elif rows is None or rows < 0:
                    rows = len(params) if many and params is not None else 1
                if rows:
                    self.tables[table][verb] += rows
        return result

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {table: dict(ops) for table, ops in self.tables.items()}


@contextlib.contextmanager
def counting_writes():
    counter = WriteCounter()
    with contextlib.ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(counter))
        yield counter


def province_of(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.province_id:
        return user.province_id
    agency = getattr(user, "agency", None) if user.agency_id else None
    return agency.province_id if agency else None


def client_address(request) -> str | None:
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def record(kind: str, *, request=None, user=None, actor_name: str = "", status=None, changes=None) -> None:
    """Add one event. Never lets an audit failure break the user's request: it is logged instead."""
    from .models import AuditEvent

    if user is None and request is not None:
        user = getattr(request, "user", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    name = (user.get_username() if authenticated else actor_name)[:150]
    method = (getattr(request, "method", None) or "") if request is not None else ""
    path = request.get_full_path()[:500] if getattr(request, "path", "") else ""
    try:
        match = getattr(request, "resolver_match", None) if request is not None else None
        event = AuditEvent(
            kind=kind,
            actor=user if authenticated else None,
            actor_name=name,
            province_id=province_of(user) if authenticated else None,  # may read the database
            method=method,
            path=path,
            view=(match.view_name if match else "")[:120],
            status=status,
            ip_address=client_address(request),
            changes=changes or {},
        )
        with transaction.atomic():  # a savepoint: a failure here must not spoil the request's transaction
            event.save()
    except Exception:  # a broken trail (the database is down) must be noticed, not crash the page
        logger.exception("Could not record the audit event: %s %s %s %s %s", kind, name or "-", method, path, status)
        return
    log = logger.warning if kind in ("refused", "login_failed", "locked_out") else logger.info
    log("%s %s %s %s %s", kind, event.actor_name or "-", event.method, event.path, status or "")
