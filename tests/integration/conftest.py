"""Fixtures of the tests that run real Celery processes."""

from __future__ import annotations

import os

import pytest

from tests.integration.processes import Pipeline, shared_database_url


@pytest.fixture
def pipeline(transactional_db, broker, tmp_path):
    """Processes started by the test; all killed at its end, before its rows are flushed."""
    processes = Pipeline(tmp_path, database_url=shared_database_url(), broker_url=os.environ["REDIS_URL"])
    try:
        yield processes
    finally:
        processes.stop()
