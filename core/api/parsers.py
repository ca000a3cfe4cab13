"""The one request body the API takes: JSON (API.md, "JSON in and out").

Form encodings are refused with 415 rather than parsed: they cannot carry the nested and list
fields (`licenses`, `specialties`) and would make the schema document bodies the API does not
mean to take.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # `[[[[...]]]]` nested past the interpreter's recursion limit: DRF only catches
            # ValueError, so this would otherwise be a 500.
            raise ParseError("JSON parse error - nested too deeply.") from exc
