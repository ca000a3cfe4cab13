"""The Content Security Policy on every HTML page: scripts and everything else from the site
itself only, no inline script anywhere, no plugins, no framing, no foreign `<base>` or form
target. Inline styles are allowed on the Swagger UI and the browsable API only (their
templates need them); the Django admin and the queue dashboard run under the strict policy,
which they can because they carry no inline script and load nothing from elsewhere.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.factories import AdminFactory, BookingFactory, PatientFactory

pytestmark = pytest.mark.django_db

HEADER = "Content-Security-Policy"
# The directives every page carries, with exactly these sources.
STRICT = {
    "default-src": {"'self'"},
    "object-src": {"'none'"},
    "frame-ancestors": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
}
INLINE = "'unsafe-inline'"


def policy(response) -> dict[str, set[str]]:
    assert HEADER in response, f"no {HEADER} on {response.request['PATH_INFO']}"
    directives = [part.split() for part in response[HEADER].split(";") if part.strip()]
    return {name: set(sources) for name, *sources in directives}


def sources(directives: dict[str, set[str]], name: str) -> set[str]:
    """What a directive allows: its own sources, else default-src's (as a browser reads it)."""
    return directives.get(name, directives["default-src"])


class Page(HTMLParser):
    """What a page would run inline, and the resources it would load from elsewhere."""

    RESOURCES = {
        "script": "src",
        "link": "href",
        "img": "src",
        "iframe": "src",
        "embed": "src",
        "object": "data",
    }
    DATA_SCRIPTS = {"application/json", "application/ld+json"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.foreign: list[str] = []
        self._in_inline_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.inline_scripts.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.inline_scripts.append(f"<{tag} {name}={value!r}>")
        url = attributes.get(self.RESOURCES.get(tag, ""))
        if url and (urlsplit(url).scheme or urlsplit(url).netloc):
            self.foreign.append(url)
        if tag == "form" and attributes.get("action") and urlsplit(attributes["action"] or "").netloc:
            self.foreign.append(attributes["action"] or "")
        if tag == "script" and not attributes.get("src"):
            self._in_inline_script = (attributes.get("type") or "").lower() not in self.DATA_SCRIPTS

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.inline_scripts.append(data.strip()[:80])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(AdminFactory(is_superuser=True))
    return client


def admin_pages() -> list[str]:
    patient = PatientFactory()
    booking = BookingFactory(patient=patient)
    return [
        "/admin/",
        "/admin/clinic/patient/",
        f"/admin/clinic/patient/{patient.pk}/change/",
        "/admin/clinic/user/add/",
        f"/admin/clinic/user/{patient.user.pk}/password/",
        f"/admin/scheduling/booking/{booking.pk}/change/",
        "/admin/notifications/notification/",
        "/admin/queue/",
    ]


def test_the_admin_login_carries_the_strict_policy():
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert_strict(response)


def test_the_admin_pages_carry_the_strict_policy_and_need_nothing_it_forbids(staff, broker_says):
    for url in admin_pages():
        response = staff.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
        page = Page(response.content.decode())
        assert page.inline_scripts == [], url
        assert page.foreign == [], url


def test_a_page_not_found_carries_the_policy():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert_strict(response)


@pytest.mark.parametrize("path", ["/api/v1/slots/", "/api/v1/visit-types/"])
def test_the_browsable_api_may_use_inline_styles_but_no_inline_script(path):
    response = Client().get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    directives = policy(response)
    assert_scripts_from_the_site_only(directives)
    assert INLINE in sources(directives, "style-src")
    page = Page(response.content.decode())
    assert page.inline_scripts == [] and page.foreign == []


def test_the_browsable_api_signed_in_keeps_the_policy():
    client = Client()
    client.force_login(PatientFactory().user)
    response = client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert_scripts_from_the_site_only(policy(response))
    assert Page(response.content.decode()).inline_scripts == []


def test_json_answers_allow_no_inline_styles():
    response = Client().get("/api/v1/slots/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert_strict(response)


def test_an_answer_no_view_changed_carries_the_policy_django_csp_builds():
    from csp.utils import build_policy

    response = Client().get("/api/v1/slots/", HTTP_ACCEPT="application/json")
    assert response[HEADER] == build_policy()
    docs = Client().get("/api/docs/")
    assert docs[HEADER] != build_policy() and INLINE in docs[HEADER]


def assert_scripts_from_the_site_only(directives: dict[str, set[str]]) -> None:
    for name, allowed in STRICT.items():
        assert directives.get(name) == allowed, name
    assert sources(directives, "script-src") == {"'self'"}
    assert not {"script-src-elem", "script-src-attr"} & set(directives)
    everything = set().union(*directives.values())
    assert {s for s in everything if not s.startswith("'") and s != "data:"} == set(), "a foreign host"


def assert_strict(response) -> None:
    directives = policy(response)
    assert_scripts_from_the_site_only(directives)
    assert sources(directives, "style-src") == {"'self'"}
    assert not {"style-src-elem", "style-src-attr"} & set(directives)
    assert "data:" not in set().union(*directives.values())
