"""Shared by the benchmarks: a throw-away test database, a signed-in client, and timing of requests."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iso_tracker.test_settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='iso-bench-')}/bench.sqlite3")


@contextmanager
def test_database():
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    # The test environment wraps every template render to record it (a copy of the context each time):
    # production does not, and it would charge a page by its number of template nodes.
    from django.template import Template
    from django.test.utils import _TestState

    Template._render = _TestState.saved_data.template_render
    settings.DEBUG = False
    old = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


def analyze() -> None:
    """Refresh the planner's statistics after bulk loading, as autovacuum would in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def province_with_dost(count: int, build):
    """A province named after its size, filled by `build(province, count)` (statistics refreshed), and a
    DOST user of it."""
    from agencies.models import Province, User

    province = Province.objects.create(code=f"{count}", name=f"Tỉnh {count}")
    build(province, count)
    analyze()
    return province, User.objects.create(username=f"dost{count}", role=User.Role.DOST, province=province)


def signed_in_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def measure(client, url, params, repeat):
    """(median ms, SQL statements, peak MB of Python memory) of GET url."""
    from django.db import connection

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    queries = []  # counted with a wrapper: the request closes the connection, which clears Django's own log
    with connection.execute_wrapper(lambda run, sql, *args: queries.append(sql) or run(sql, *args)):
        client.get(url, params)
    tracemalloc.start()
    client.get(url, params)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times) * 1000, len(queries), peak / 1e6


def side_by_side(pairs, repeat):
    """Median ms of each (client, url, params) in `pairs`, the requests interleaved (one of each, `repeat`
    times) so that a machine's drift charges them alike."""
    times = [[] for _ in pairs]
    for client, url, params in pairs:  # warm each once: caches, compiled templates
        client.get(url, params)
    for _ in range(repeat):
        for i, (client, url, params) in enumerate(pairs):
            start = time.perf_counter()
            response = client.get(url, params)
            times[i].append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
    return [statistics.median(t) * 1000 for t in times]


def report(rows, header=("agencies", "page", "ms", "queries", "peak MB")):
    from django.db import connection

    print(f"database: {connection.vendor}")
    print(f"{header[0]:>9} {header[1]:<30} {header[2]:>8} {header[3]:>8} {header[4]:>8}")
    for count, name, ms, queries, peak in rows:
        print(f"{count:>9} {name:<30} {ms:>8.1f} {queries:>8} {peak:>8.1f}")


def figure(name: str, measured: float, goal: float, unit: str = "", *, at_least: bool = False, agencies=None) -> None:
    """A figure of the issue's goals, for bench/scale.py's table: appended (one JSON object a line) to the
    file named by BENCH_FIGURES when that is set. `at_least`: the goal is a floor, not a ceiling."""
    import json

    path = os.environ.get("BENCH_FIGURES")
    if not path:
        return
    row = {"figure": name, "agencies": agencies, "measured": measured, "goal": goal, "unit": unit}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps({**row, "at_least": at_least}, ensure_ascii=False) + "\n")
