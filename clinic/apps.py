from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic: people and catalogue"

    def ready(self) -> None:
        from clinic import receivers  # noqa: F401  (connects the session sign-in receivers)
