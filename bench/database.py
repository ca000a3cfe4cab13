"""The benchmark's own PostgreSQL database: dropped, created and migrated for a run, or reused
with --reuse. Its name must contain `bench`, so a real database is never dropped."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def _recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin_url, name = _maintenance_url(url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark's database name must contain 'bench'")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _database_exists(url: str) -> bool:
    import psycopg

    admin_url, name = _maintenance_url(url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def reusable_rows(args: argparse.Namespace, count: Callable[[], int]) -> int:
    """With --reuse and the database there, how many rows `count` finds in it; 0 (build it
    afresh) when it is missing, empty or not migrated. A reused database is brought up to the
    code's migrations."""
    from django.core.management import call_command
    from django.db import connection

    if not (args.reuse and _database_exists(args.database_url)):
        return 0
    try:
        rows = count()
    except Exception:  # not migrated, or another schema: rebuilt
        connection.close()
        return 0
    if rows:
        call_command("migrate", verbosity=0, interactive=False)
    return rows


def fresh_database(url: str) -> None:
    """Drop, create and migrate the benchmark's database."""
    from django.core.management import call_command

    t0 = time.perf_counter()
    _recreate_database(url)
    call_command("migrate", verbosity=0, interactive=False)
    print(
        f"database {urlsplit(url).path.lstrip('/')} created and migrated in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )


def django_setup(url: str, *, env: dict[str, str] | None = None, settings: str = "config.settings") -> None:
    """Django in this benchmark process, on the benchmark's database, with `env` set first (the
    settings read the environment once, at setup)."""
    os.environ.update(env or {})
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    import django

    django.setup()
