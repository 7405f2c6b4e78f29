"""Benchmark: the registry list, an "as of" view and the full CSV export at national scale.

    .venv/bin/python bench/registry_list.py [--agencies 3000 10000] [--repeat 7]

Uses DATABASE_URL if set (PostgreSQL, as in production), else a throw-away SQLite file. It builds a
province of N agencies with dated periods, signs in as DOST staff, and reports the median time, the
SQL query count and the peak Python memory of each request. Figures go into bench/README.md.
"""

import argparse
import datetime

from harness import measure, report, signed_in_client, test_database


def build(province, count):
    from agencies.tests.factories import bulk_agencies

    # every office had an older name before 2020: two periods each, so "as of" queries must choose
    bulk_agencies(province, count, prefix="A", parents=max(count // 100, 1), renamed_on=datetime.date(2020, 1, 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[3000, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with test_database():
        from agencies.models import Province, User

        rows = []
        for count in args.agencies:
            province = Province.objects.create(code=f"{count}", name=f"Tỉnh {count}")
            build(province, count)
            user = User.objects.create(username=f"dost{count}", role=User.Role.DOST, province=province)
            client = signed_in_client(user)
            pages = [
                ("list, today", "/agencies/", {}),
                ("list, as of 31/12/2019", "/agencies/", {"as_of": "31/12/2019"}),
                ("list, search + filter", "/agencies/", {"q": "số 12", "locality": "Huyện 7"}),
                ("list, last page", "/agencies/", {"page": "last"}),
                ("export CSV, all", "/agencies/export.csv", {}),
                ("export Excel, all", "/agencies/export.xlsx", {}),
            ]
            rows += [(count, name, *measure(client, url, params, args.repeat)) for name, url, params in pages]
        report(rows)


if __name__ == "__main__":
    main()
