"""The Django admin of people: no API token appears in it, and the tables of DRF's plain-text
tokens are gone."""

import pytest
from django.contrib import admin
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from knox.models import AuthToken

from clinic.models import User
from tests.conftest import token_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    client.force_login(User.objects.create_superuser(email="ops@clinic.example", password="x" * 12))


def test_no_page_of_the_admin_lists_tokens(client, operator):
    assert not admin.site.is_registered(AuthToken)
    assert "auth token" not in client.get("/admin/").content.decode().lower()
    assert client.get("/admin/knox/authtoken/").status_code == 404


def test_a_users_page_shows_neither_their_token_nor_its_digest(client, operator):
    patient = PatientFactory()
    token = token_for(patient.user)
    digest = AuthToken.objects.get().digest

    for page in (f"/admin/clinic/user/{patient.user.pk}/change/", "/admin/clinic/user/"):
        content = client.get(page).content.decode()
        assert token[:15] not in content and digest[:15] not in content


def test_the_plain_text_tokens_of_an_older_database_are_dropped():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', 1)")
    loader = MigrationLoader(connection)
    (migration,) = (
        m for (app, name), m in loader.disk_migrations.items() if name.endswith("drop_plaintext_api_tokens")
    )
    # An editor not entered: SQLite's refuses to enter inside the test's transaction, and the
    # migration only runs SQL.
    editor = connection.schema_editor()
    state = loader.project_state()
    for operation in migration.operations:
        operation.database_forwards("clinic", editor, state, state)

    assert "authtoken_token" not in connection.introspection.table_names()
