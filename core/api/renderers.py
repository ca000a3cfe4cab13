"""The browsable API's renderer: DRF's, without the filter form.

No view has filter backends (filters are validated by one input serializer each, see STYLE.md),
so the form is always empty, but DRF builds it by calling the view's `get_queryset()` first: for
the public slot search, whose queryset is the caller's own slots, an anonymous visitor got a 500.
"""

from __future__ import annotations

from typing import Any

from rest_framework import renderers
from rest_framework.request import Request


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def get_filter_form(self, data: Any, view: Any, request: Request) -> None:
        return None
