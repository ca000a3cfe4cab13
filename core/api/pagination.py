"""Page-number pagination as API.md fixes it: 50 a page by default, at most 500.

A first page that holds every row is its own count: the paginator asks for one row more than
the page can hold, and when it does not come back the total is the number of rows that did,
so a short list (next available, a patient's bookings) costs one query instead of a
`COUNT(*)` and then the page. A longer list is counted as Django counts it.

(A `COUNT(*) OVER ()` window on the page's query would count in one query too, but it makes
the database read and buffer every matching row before the first page can leave: a broad
slot search went from 16 ms to 370 ms with it.)
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework.pagination import PageNumberPagination


class Paginator(DjangoPaginator):
    """Django's paginator; a first page that holds every row needs no count."""

    def page(self, number: Any) -> Page:
        if "count" in self.__dict__ or str(number).strip() != "1":
            return super().page(number)
        # The first page is the last when the total is at most per_page + orphans (Django
        # puts up to `orphans` extra rows on the last page).
        fits = self.per_page + self.orphans
        rows = list(self.object_list[: fits + 1])
        if len(rows) <= fits:
            self.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        number = self.validate_number(1)  # counts if more rows came back (EmptyPage as Django's)
        top = self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(rows[:top], number, self)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = Paginator

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # `next` and `previous` are always there (null at either end), so they are required:
        # DRF leaves them out of `required`, and a generated client would type them as absent.
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "next", "previous", "results"]
        return paginated
