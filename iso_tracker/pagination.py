from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items) -> tuple[Page, str]:
    """The requested page of `items`, and the query string of the other filters for the page links."""
    page = Paginator(items, settings.REGISTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


class PageByIds:
    """A sorted queryset that a paginator reads a page at a time in two steps: the page's ids first, sorted
    on narrow rows, then only those rows with their joins and annotations. Sorting a province of wide
    joined rows to keep fifty costs several times more than sorting their ids. With `ids` (every id in
    order, e.g. cached for this version of the data) nothing is sorted or counted in the database."""

    def __init__(self, queryset, ids: list[int] | None = None):
        self.queryset = queryset
        self.ids = ids
        self.ordered = True

    def count(self) -> int:
        return len(self.ids) if self.ids is not None else self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if self.ids is not None:
            ids = self.ids[index]
        else:
            ids = list(self.queryset.values_list("pk", flat=True)[index])
        rows = {row.pk: row for row in self.queryset.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]
