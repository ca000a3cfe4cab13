from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: the audit trail"

    def ready(self) -> None:
        from core.checks import console_backends, https_redirect, sqlite_version

        checks.register(sqlite_version)
        checks.register(console_backends, checks.Tags.security, deploy=True)
        checks.register(https_redirect, checks.Tags.security, deploy=True)
