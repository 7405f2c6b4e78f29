"""Benchmark: the registry list, an "as of" view and the full CSV export at national scale.

    .venv/bin/python bench/registry_list.py [--agencies 3000 10000] [--repeat 7]

Uses DATABASE_URL if set (PostgreSQL, as in production), else a throw-away SQLite file. It builds a
province of N agencies with dated periods, signs in as DOST staff, and reports the median time, the
SQL query count and the peak Python memory of each request. Figures go into bench/README.md.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iso_tracker.test_settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='iso-bench-')}/bench.sqlite3")


def build(province, count):
    import datetime

    from agencies.tests.factories import bulk_agencies

    # every office had an older name before 2020: two periods each, so "as of" queries must choose
    bulk_agencies(province, count, prefix="A", parents=max(count // 100, 1), renamed_on=datetime.date(2020, 1, 1))


def measure(client, url, params, repeat):
    from django.db import connection

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    queries = []  # counted with a wrapper: the request closes the connection, which clears Django's own log
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: queries.append(sql) or execute(sql, params, many, context)
    ):
        client.get(url, params)
    tracemalloc.start()
    client.get(url, params)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times) * 1000, len(queries), peak / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[3000, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        from agencies.models import Agency, AgencyVersion, Province, User

        print(f"database: {connection.vendor}; median of {args.repeat} requests")
        print(f"{'agencies':>9} {'page':<28} {'ms':>8} {'queries':>8} {'peak MB':>8}")
        for count in args.agencies:
            AgencyVersion.objects.all().delete()
            User.objects.all().delete()
            Agency.objects.filter(parent__isnull=False).delete()
            Agency.objects.all().delete()
            Province.objects.all().delete()
            province = Province.objects.create(code="04", name="Cao Bằng")
            build(province, count)
            user = User.objects.create(username="dost", role=User.Role.DOST, province=province)
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            pages = [
                ("list, today", "/agencies/", {}),
                ("list, as of 31/12/2019", "/agencies/", {"as_of": "31/12/2019"}),
                ("list, search + filter", "/agencies/", {"q": "số 12", "locality": "Huyện 7"}),
                ("list, last page", "/agencies/", {"page": "last"}),
                ("export CSV, all", "/agencies/export.csv", {}),
                ("export Excel, all", "/agencies/export.xlsx", {}),
            ]
            for name, url, params in pages:
                ms, queries, peak = measure(client, url, params, args.repeat)
                print(f"{count:>9} {name:<28} {ms:>8.1f} {queries:>8} {peak:>8.1f}")
        call_command("check", verbosity=0)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
