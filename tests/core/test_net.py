"""The client address every limit and the audit trail count by: forwarded headers only behind
as many proxies as TRUSTED_PROXIES declares."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.net import client_address


def request(forwarded: str | None = None, remote: str = "10.0.0.5"):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_address(request("198.51.100.7")) == "10.0.0.5"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # A client's own X-Forwarded-For stays on the left of what the proxy appended.
        (1, "203.0.113.66, 198.51.100.7", "198.51.100.7"),
        (2, "203.0.113.66, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        # Fewer entries than proxies: the leftmost there is.
        (2, "198.51.100.7", "198.51.100.7"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_trusted_proxies_the_address_they_saw_counts(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    assert client_address(request(forwarded)) == expected


@pytest.mark.parametrize("forwarded", ["", " , ", "not-an-address", "198.51.100.7:443"])
def test_a_forwarded_entry_that_is_no_address_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXIES = 1
    assert client_address(request(forwarded)) == "10.0.0.5"
