"""Benchmark: the REST API's lists at national scale (issue 18).

    .venv/bin/python bench/api.py [--agencies 3000 10000] [--repeat 7]

Uses DATABASE_URL if set (PostgreSQL, as in production), else a throw-away SQLite file. It builds a
province of N agencies (two dated periods each) with an announcement each, makes a DOST personal token,
and reports the median time, the SQL statements and the peak Python memory of each call: the agencies as
of today and as of a past day (a page of 200, with the obligation and the edition of each), a search,
and the announcements; then a page of 50 at N against one at 77 agencies, interleaved (goal: within
1.2×).
Goal for each call: under 200 ms. Figures go into bench/README.md."""

import argparse
import datetime
import sys

from harness import figure, measure, province_with_dost, report, side_by_side, test_database

SMALL = 77


def build(province, count):
    from agencies.models import Agency
    from agencies.tests.factories import bulk_agencies
    from migrations_tracker.models import Announcement

    bulk_agencies(province, count, prefix="A", parents=max(count // 100, 1), renamed_on=datetime.date(2020, 1, 1))
    Announcement.objects.bulk_create(
        Announcement(
            agency_id=pk,
            decision_number=f"{pk}/QĐ",
            decision_date=datetime.date(2019, 6, 1),
            edition_id="2015",
            scope="Toàn bộ thủ tục",
        )
        for pk in Agency.objects.filter(province=province).values_list("pk", flat=True)
    )


def token_client(user):
    from django.test import Client
    from django.utils import timezone

    from agencies.models import ApiToken

    _token, text = ApiToken.issue(
        user=user, name="bench", read_only=True, expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {text}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[3000, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--side-by-side", type=int, default=31)
    args = parser.parse_args()
    with test_database():
        from rest_framework.throttling import SimpleRateThrottle

        from migrations_tracker.models import Edition

        SimpleRateThrottle.THROTTLE_RATES["user"] = "1000000/minute"  # the bench measures, it is not throttled
        Edition.objects.get_or_create(
            code="2015",
            defaults={
                "title_vi": "TCVN ISO 9001:2015",
                "title_en": "TCVN ISO 9001:2015",
                "iso_edition": "ISO 9001:2015",
            },
        )
        rows, clients = [], {}
        for count in [SMALL, *args.agencies]:
            _province, user = province_with_dost(count, build)
            clients[count] = client = token_client(user)
            if count == SMALL:
                continue
            calls = [
                ("agencies, today, 200", "/api/v1/agencies/", {"page_size": "200"}),
                ("agencies, as of 2019, 200", "/api/v1/agencies/", {"page_size": "200", "as_of": "2019-12-31"}),
                ("agencies, search", "/api/v1/agencies/", {"q": "số 12"}),
                ("announcements, 200", "/api/v1/announcements/", {"page_size": "200"}),
            ]
            for name, url, params in calls:
                ms, queries, peak = measure(client, url, params, args.repeat)
                rows.append((count, name, ms, queries, peak))
                figure(f"API {name}", round(ms, 1), 200, "ms", agencies=count)
        report(rows)
        largest = max(args.agencies)
        print(f"\n{'call':<28} {SMALL:>9} {largest:>9} {'ratio (goal <= 1.2)':>20}")
        for name, url, params in [("agencies, today, 50", "/api/v1/agencies/", {"page_size": "50"})]:
            small, large = side_by_side(
                [(clients[SMALL], url, params), (clients[largest], url, params)], args.side_by_side
            )
            print(f"{name:<28} {small:>9.1f} {large:>9.1f} {large / small:>20.2f}")
            figure(f"API {name}: at N against at {SMALL}", round(large / small, 2), 1.2, "×", agencies=largest)


if __name__ == "__main__":
    sys.exit(main())
