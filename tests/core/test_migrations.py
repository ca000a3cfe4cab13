"""The audit trail's move from clinic to core keeps the permissions staff were given on it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.fixture
def back_to_the_latest():
    """The tests after this one need every migration: core's later ones are applied again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest")
def test_the_audit_trails_content_type_and_permissions_follow_it_to_core():
    migrate(("core", "0001_initial"))  # as a database of before the move: clinic's content type
    ContentType.objects.clear_cache()
    moved = ContentType.objects.get(app_label="clinic", model="auditevent")
    permission = Permission.objects.get(content_type=moved, codename="view_auditevent")

    migrate(("core", "0002_audit_event_content_type"))

    ContentType.objects.clear_cache()
    assert ContentType.objects.get(pk=moved.pk).app_label == "core"
    assert Permission.objects.get(pk=permission.pk).content_type_id == moved.pk
