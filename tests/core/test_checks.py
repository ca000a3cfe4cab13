"""Start-up checks refuse an environment the project cannot run on."""

import os
import subprocess
import sys

from django.conf import settings
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


def deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` as an operator runs it, in a process of its own under `env`."""
    production = {
        "PATH": os.environ["PATH"],
        "ENVIRONMENT": "production",
        "SECRET_KEY": "a-secret-key-long-and-random-enough-for-django-checks-" + "x" * 20,
        "ALLOWED_HOSTS": "clinic.example",
        "PUBLIC_BASE_URL": "https://clinic.example",
        "SMS_BACKEND": "twilio",
        "EMAIL_URL": "smtp+tls://user:password@smtp.example.com:587",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**production, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_reports_nothing_in_production_behind_a_proxy():
    result = deploy_check(TRUSTED_PROXIES="1")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_reports_nothing_in_production_serving_tls_itself():
    result = deploy_check(SECURE_SSL_REDIRECT="true")
    assert result.returncode == 0, result.stderr


def test_check_deploy_says_when_nothing_redirects_to_https():
    result = deploy_check()
    assert result.returncode != 0
    assert "core.W002" in result.stderr and "security.W008" not in result.stderr
