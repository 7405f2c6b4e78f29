"""Figures computed once per version of the data: each area's tables carry database triggers that renew
its token on every write (migration agencies 0008), and what is computed from the area is cached under
the latest token. A change made any way at all (a form, a bulk import, a shell, a restore) gives a new
token, so a cached figure is never stale; an unchanged area is never counted twice.

The triggers: PostgreSQL, one row a statement (FOR EACH STATEMENT, so a bulk insert of 10,000 agencies
adds one row; no row is updated, so concurrent writers never wait on each other); SQLite, one row a
written row, the older ones of the area deleted at once (SQLite has one writer at a time)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from iso_tracker.permissions import province_scope, scope

from .models import DataStamp

REGISTRY = "registry"
INSPECTIONS = "inspections"
QMS = "qms"
# Each area's migration creates the triggers on its tables (triggers_operation): agencies 0008 (agencies,
# their versions, the rules of who must apply, reorganisations), inspections 0010 (rounds, self-reports,
# plans and their entries, inspections, findings, corrective actions), migrations_tracker 0006 (every
# table of the QMS app: qms_tables).


def qms_tables(apps=None) -> tuple[str, ...]:
    """Every table of the QMS app but the dashboard's snapshots (a cache) and the change history."""
    from django.apps import apps as registry

    config = (apps or registry).get_app_config("migrations_tracker")
    return tuple(
        sorted(
            model._meta.db_table
            for model in config.get_models(include_auto_created=True)
            if model.__name__ != "DashboardSnapshot" and not model.__name__.startswith("Historical")
        )
    )


LATEST = "(SELECT max(id) FROM agencies_datastamp WHERE area = '%s')"
KEPT_FOR = 60 * 60 * 24  # a day in the cache; a new token makes an entry unreachable long before

T = TypeVar("T")


def token(area: str) -> str | None:
    """The area's latest token; None before any stamp (a database just emptied): nothing is cached then."""
    return DataStamp.objects.filter(area=area).order_by("-id").values_list("token", flat=True).first()


def scope_key(user) -> str:
    """What the user may see, as text: users who see the same rows share cached figures."""
    return f"{scope(user)}|{province_scope(user)}"


def cached(areas: str | tuple[str, ...], key: str, compute: Callable[[], T]) -> T:
    """`compute()`, or its value already computed for this version of the data of `areas` (one or several)."""
    areas = (areas,) if isinstance(areas, str) else areas
    current = [token(area) for area in areas]
    if None in current:
        return compute()
    full = f"stamp:{':'.join(areas)}:{':'.join(current)}:{hashlib.sha256(key.encode()).hexdigest()}"
    value = cache.get(full)
    if value is None:
        value = compute()
        cache.set(full, value, KEPT_FOR)
    return value


def prune() -> int:
    """Delete every area's stamps but its latest (PostgreSQL adds one a write statement)."""
    removed = 0
    for area in DataStamp.objects.values_list("area", flat=True).distinct():
        latest = DataStamp.objects.filter(area=area).order_by("-id").values_list("id", flat=True).first()
        if latest is not None:
            removed += DataStamp.objects.filter(area=area, id__lt=latest).delete()[0]
    return removed


def _random_token(vendor: str) -> str:
    if vendor == "postgresql":
        return "md5(random()::text || clock_timestamp()::text)"
    return "lower(hex(randomblob(16)))"


def first_stamp_sql(vendor: str, area: str) -> str:
    """The area's first stamp, random like every other: two databases never share a token."""
    return f"INSERT INTO agencies_datastamp (area, token) VALUES ('{area}', {_random_token(vendor)})"  # noqa: S608


def trigger_sql(vendor: str, area: str, tables: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The statements creating the area's triggers on `vendor`, and those dropping them (PostgreSQL's
    function `datastamp_renew`, shared by every area, is created each time and dropped only with the
    table, by migration agencies 0008)."""
    create, drop = [], []
    if vendor == "postgresql":
        renew = "INSERT INTO agencies_datastamp (area, token) VALUES (TG_ARGV[0], %s)" % _random_token(vendor)  # noqa: S608, UP031
        create.append(
            f"CREATE OR REPLACE FUNCTION datastamp_renew() RETURNS trigger AS $$ BEGIN {renew}; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table in tables:
            name = f"datastamp_{area}_{table}"
            create.append(
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION datastamp_renew('{area}')"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    elif vendor == "sqlite":
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = f"datastamp_{area}_{table}_{event.lower()}"
                # Names of our own tables and areas, never user input.
                renew = first_stamp_sql(vendor, area)
                older = f"DELETE FROM agencies_datastamp WHERE area = '{area}' AND id < {LATEST % area}"  # noqa: S608
                create.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {renew}; {older}; END")
                drop.append(f"DROP TRIGGER IF EXISTS {name}")
    return create, drop


def triggers_operation(area: str, tables, *, drop_function: bool = False) -> tuple:
    """A migration's RunPython functions (forward, backward) creating the area's triggers and its first
    stamp, and dropping them. `tables`: the table names, or a function of the migration's apps."""

    def names(apps) -> tuple[str, ...]:
        return tuple(tables(apps)) if callable(tables) else tuple(tables)

    def forward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in trigger_sql(vendor, area, names(apps))[0]:
            schema_editor.execute(statement)
        schema_editor.execute(first_stamp_sql(vendor, area))

    def backward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in trigger_sql(vendor, area, names(apps))[1]:
            schema_editor.execute(statement)
        if drop_function and vendor == "postgresql":
            schema_editor.execute("DROP FUNCTION IF EXISTS datastamp_renew()")

    return forward, backward
