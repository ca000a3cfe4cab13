from django.apps import AppConfig
from django.core import checks


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic: people and catalogue"

    def ready(self) -> None:
        from clinic.checks import sqlite_version

        checks.register(sqlite_version)
