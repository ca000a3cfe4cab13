"""Fixtures of the notifications tests."""

from __future__ import annotations

import pytest

from notifications import selectors


@pytest.fixture
def broker_says(monkeypatch):
    """The broker's part of the stats pinned, for tests of the rest (the broker's own answers
    are tested against real Redis in test_stats.py)."""
    monkeypatch.setattr(selectors, "broker_queue_depth", lambda: 7)
    monkeypatch.setattr(selectors, "broker_workers", lambda: ["worker@clinic-1"])
