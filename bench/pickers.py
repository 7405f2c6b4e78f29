"""Benchmark: the forms with an agency field, at 77 and 10,000 agencies (issue 16: every agency field is a
search-as-you-type picker, so a form's page neither grows nor slows with the province).

    .venv/bin/python bench/pickers.py [--agencies 77 10000] [--repeat 7]

Prints, for each form page and for the picker's search endpoint, the median time, the SQL statements, the
peak Python memory and the size of the HTML. Figures go into bench/README.md.
"""

import argparse

from harness import figure, measure, signed_in_client, test_database


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, nargs="+", default=[77, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with test_database():
        from agencies.models import Province, User
        from agencies.tests.factories import bulk_agencies

        rows = []
        for count in args.agencies:
            province = Province.objects.create(code=f"{count}", name=f"Tỉnh {count}")
            bulk_agencies(province, count, prefix="A", parents=max(count // 100, 1))
            user = User.objects.create(username=f"dost{count}", role=User.Role.DOST, province=province)
            client = signed_in_client(user)
            pages = [
                ("merge form", "/agencies/reorganisations/new/merge/", {}),
                ("split form", "/agencies/reorganisations/new/split/", {}),
                ("new account", "/accounts/users/new/", {}),
                ("inspections (ad-hoc form)", "/inspections/", {}),
                ("picker search 'số 12'", "/agencies/pick/", {"q": "số 12"}),
            ]
            for name, url, params in pages:
                ms, queries, peak = measure(client, url, params, args.repeat)
                size = len(client.get(url, params).content)
                rows.append((count, name, ms, queries, peak, size))
        print(f"{'agencies':>9} {'page':<28} {'ms':>8} {'queries':>8} {'peak MB':>8} {'HTML KB':>8}")
        smallest, largest = min(args.agencies), max(args.agencies)
        sizes = {(count, name): size for count, name, *_, size in rows}
        for _, name, *_ in rows[: len(pages)]:
            if "search" not in name:  # a search answers at most 20 agencies, not the page's size
                ratio = round(sizes[largest, name] / sizes[smallest, name], 3)
                figure(f"HTML of the {name}: against {smallest} agencies", ratio, 1.0, "×", agencies=largest)
        for count, name, ms, queries, peak, size in rows:
            print(f"{count:>9} {name:<28} {ms:>8.1f} {queries:>8} {peak:>8.1f} {size / 1024:>8.1f}")


if __name__ == "__main__":
    main()
