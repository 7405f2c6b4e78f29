"""Benchmark: the daily reminder run at national scale — the sweep, then e-mail delivery.

    .venv/bin/python bench/reminders.py [--agencies 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/iso_tracker .venv/bin/python bench/reminders.py

Builds the QMS history of bench/qms_dashboard.py, one ISO secretary with an e-mail address per agency,
and an open reporting round whose deadline is 13 days away; then times `run_daily` and `deliver`
(in-memory mail backend), counting SQL statements and the growth of the process's peak memory (RSS),
and runs the sweep again to show it claims nothing more.
"""

import argparse
import datetime
import resource
import time

from harness import analyze, figure, test_database

D = datetime.date


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=10000)
    args = parser.parse_args()
    with test_database():
        from django.db import connection
        from qms_dashboard import build

        from agencies.models import Agency, Province, User
        from inspections.models import ReportingRound
        from notifications import services
        from notifications.models import Reminder

        province = Province.objects.create(code="B", name="Tỉnh thử")
        build(province, args.agencies)
        User.objects.bulk_create(
            [
                User(username=f"tk{a.pk}", role="secretary", province=province, agency=a, email=f"tk{a.pk}@example.vn")
                for a in Agency.objects.filter(province=province)
            ],
            batch_size=5000,
        )
        User.objects.create(username="dost", role="dost", province=province, email="dost@example.vn")
        ReportingRound.objects.create(province=province, year=2026, opened_on=D(2026, 11, 2), deadline=D(2026, 12, 10))
        analyze()

        figures = {}

        def measure(label, work):
            queries = []
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with connection.execute_wrapper(lambda run, sql, *a: queries.append(sql) or run(sql, *a)):
                start = time.perf_counter()
                result = work()
                seconds = time.perf_counter() - start
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
            print(f"{label:<34} {seconds:8.1f} s {len(queries):>8} queries {grown:8.1f} MB more peak RSS")
            figures.update(seconds=seconds, queries=len(queries))
            return result

        print(f"database: {connection.vendor}; {args.agencies} agencies")
        run = measure("sweep (claim + notifications)", lambda: services.run_daily(on=D(2026, 11, 27)))
        swept = figures["seconds"]
        print(f"{'':<34} {run.claimed} reminders claimed")
        delivered = measure("delivery (e-mail, in memory)", services.deliver)
        print(f"{'':<34} {delivered.sent} sent")
        per_mail = figures["queries"] / max(delivered.sent, 1)
        print(f"{'':<34} {per_mail:.3f} statements an e-mail")
        figure("reminders: sweep and delivery", round(swept + figures["seconds"], 1), 60, "s", agencies=args.agencies)
        figure("reminders: statements an e-mail", round(per_mail, 3), 0.2, "", agencies=args.agencies)
        again = measure("sweep again (claims nothing)", lambda: services.run_daily(on=D(2026, 11, 27)))
        assert again.claimed == 0 and Reminder.objects.exclude(status="sent").count() == 0


if __name__ == "__main__":
    main()
