"""Benchmark: the registry list, an "as of" view and the full CSV export at national scale.

    .venv/bin/python bench/registry_list.py [--agencies 3000 10000] [--repeat 7]

Uses DATABASE_URL if set (PostgreSQL, as in production), else a throw-away SQLite file. It builds a
province of N agencies with dated periods, signs in as DOST staff, and reports the median time, the
SQL query count and the peak Python memory of each request. Then, side by side (interleaved requests):
the list against a bare one-query Django list of the same fifty rows (a view of this bench, not of the
app; goal: the list's throughput at least 0.8× the bare list's), and a page of the list in a province
of 77 agencies against one of the largest size (goal: within 1.2×). Figures go into bench/README.md.
"""

import argparse
import datetime
import sys

from harness import figure, measure, province_with_dost, report, side_by_side, signed_in_client, test_database

SMALL = 77  # Cao Bằng's registry
BARE_TEMPLATE = """<!doctype html><html lang="vi"><head><title>Sổ đăng ký</title></head><body><table>
{% for row in rows %}<tr><td>{{ row.agency.code }}</td>
<td><a href="/agencies/{{ row.agency_id }}/">{{ row.name }}</a></td>
<td>{{ row.get_category_display }}</td><td>{{ row.parent_name|default:"—" }}</td><td>{{ row.locality }}</td>
<td>{{ row.agency.secretary_name }}</td></tr>{% endfor %}</table></body></html>"""


def bare_list(request):
    """The same rows as the registry's first page, in one query and a bare template: what a list costs
    with nothing else on the page."""
    from django.http import HttpResponse
    from django.template import engines

    from agencies.selectors import registry_rows, visible_versions

    rows = registry_rows(visible_versions(request.user))[:50]
    template = engines["django"].from_string(BARE_TEMPLATE)
    return HttpResponse(template.render({"rows": rows}))


def urls():
    """The app's URLs and the bare list at /bench/bare/."""
    import types

    from django.urls import include, path

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("bench/bare/", bare_list), path("", include("iso_tracker.urls"))]
    return module


def build(province, count):
    from agencies.tests.factories import bulk_agencies

    # every office had an older name before 2020: two periods each, so "as of" queries must choose
    bulk_agencies(province, count, prefix="A", parents=max(count // 100, 1), renamed_on=datetime.date(2020, 1, 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[3000, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--side-by-side", type=int, default=31, help="interleaved requests of each kind")
    args = parser.parse_args()
    with test_database():
        from django.conf import settings
        from django.urls import clear_url_caches

        sys.modules["bench_urls"] = urls()
        settings.ROOT_URLCONF = "bench_urls"
        clear_url_caches()

        rows, clients = [], {}
        for count in [SMALL, *args.agencies]:
            _province, user = province_with_dost(count, build)
            clients[count] = client = signed_in_client(user)
            if count == SMALL:
                continue
            pages = [
                ("list, today", "/agencies/", {}),
                ("list, as of 31/12/2019", "/agencies/", {"as_of": "31/12/2019"}),
                ("list, search + filter", "/agencies/", {"q": "số 12", "locality": "Huyện 7"}),
                ("list, last page", "/agencies/", {"page": str(-(-(count + count // 100) // 50))}),
                ("export CSV, all", "/agencies/export.csv", {}),
                ("export Excel, all", "/agencies/export.xlsx", {}),
            ]
            rows += [(count, name, *measure(client, url, params, args.repeat)) for name, url, params in pages]
        report(rows)

        print(f"\nside by side, median of {args.side_by_side} interleaved requests (ms)")
        print(f"{'agencies':>9} {'the list':>9} {'bare list':>9} {'throughput ratio (goal >= 0.8)':>31}")
        for count in args.agencies:
            ours, bare = side_by_side(
                [(clients[count], "/agencies/", {}), (clients[count], "/bench/bare/", {})], args.side_by_side
            )
            print(f"{count:>9} {ours:>9.1f} {bare:>9.1f} {bare / ours:>31.2f}")
            figure(
                "registry list: throughput against a bare list",
                round(bare / ours, 2),
                0.8,
                "×",
                at_least=True,
                agencies=count,
            )
        largest = max(args.agencies)
        print(f"\n{'page':<24} {SMALL:>9} {largest:>9} {'ratio (goal <= 1.2)':>20}")
        for name, params in [("list, today", {}), ("list, as of 31/12/2019", {"as_of": "31/12/2019"})]:
            small, large = side_by_side(
                [(clients[SMALL], "/agencies/", params), (clients[largest], "/agencies/", params)], args.side_by_side
            )
            print(f"{name:<24} {small:>9.1f} {large:>9.1f} {large / small:>20.2f}")
            figure(
                f"registry {name}: a page against one at {SMALL}", round(large / small, 2), 1.2, "×", agencies=largest
            )


if __name__ == "__main__":
    main()
