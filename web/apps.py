from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "Pages"

    def ready(self) -> None:
        from django.contrib import admin

        # The admin's index links to the queue dashboard (the template adds one box above the
        # app list).
        admin.site.index_template = "admin/queue/index.html"
