from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: the audit trail"

    def ready(self) -> None:
        from core.checks import sqlite_version

        checks.register(sqlite_version)
