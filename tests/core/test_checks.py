"""Start-up checks refuse an environment the project cannot run on."""

from django.core import checks as django_checks

from core import checks


def test_an_sqlite_without_returning_is_refused():
    refusals = checks.sqlite_refusals([checks.SQLITE], (3, 31, 1))
    assert [(r.id, "3.31.1" in r.msg) for r in refusals] == [("core.E001", True)]


def test_a_recent_sqlite_or_postgresql_passes():
    assert checks.sqlite_refusals([checks.SQLITE], (3, 35, 0)) == []
    assert checks.sqlite_refusals(["django.db.backends.postgresql"], (3, 31, 1)) == []


def test_the_check_runs_at_start_up():
    assert checks.sqlite_version in django_checks.registry.registry.get_checks()
    assert checks.sqlite_version() == []  # this machine's SQLite is recent enough
