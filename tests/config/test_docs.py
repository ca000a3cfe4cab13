"""`/api/docs/`: the Swagger UI from the project's own static files (the pinned
drf-spectacular-sidecar, served by WhiteNoise), so it works offline and runs no code from a CDN,
under a policy that allows what it needs (inline styles, `data:` icons) and no inline script."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.config.test_csp import INLINE, Page, assert_scripts_from_the_site_only, policy, sources

pytestmark = pytest.mark.django_db
URL = "/api/docs/"


class Resources(Page):
    """Every script, stylesheet and icon the page loads, in order."""

    def __init__(self, html: str) -> None:
        self.loaded: list[str] = []
        super().__init__(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        url = dict(attrs).get(self.RESOURCES.get(tag, ""))
        if url:
            self.loaded.append(url)


def docs() -> Resources:
    response = Client().get(URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    return Resources(response.content.decode())


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_docs_page_loads_nothing_from_another_host():
    page = docs()
    assert page.foreign == []
    assert all(not urlsplit(url).netloc and not urlsplit(url).scheme for url in page.loaded), page.loaded
    assert any(url.endswith("swagger-ui-bundle.js") for url in page.loaded)


def test_the_docs_page_runs_no_inline_script():
    assert docs().inline_scripts == []


def test_every_file_the_docs_page_loads_is_served():
    client = Client()
    for url in docs().loaded:
        response = client.get(url)
        assert response.status_code == 200, url
        assert body(response), url


def test_the_docs_script_starts_swagger_ui_on_the_schema():
    (script,) = [url for url in docs().loaded if "script" in urlsplit(url).query]
    response = Client().get(script)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in body(response) and b"/api/schema/" in body(response)
    # It carries the caller's CSRF token.
    assert "no-store" in response["Cache-Control"]


def test_the_docs_page_allows_what_swagger_ui_needs_and_no_inline_script():
    directives = policy(Client().get(URL))
    assert_scripts_from_the_site_only(directives)
    assert INLINE in sources(directives, "style-src")
    assert {"'self'", "data:"} <= sources(directives, "img-src")
    assert sources(directives, "connect-src") == {"'self'"}  # the schema, and "Try it out"
