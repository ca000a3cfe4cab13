from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "Pages"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib import admin

        # The admin's index links to the queue dashboard (the template adds one box above the
        # app list).
        admin.site.index_template = "admin/queue/index.html"
        # The clinic's name, not "Django administration", on every admin page and its title.
        admin.site.site_header = settings.CLINIC_NAME
        admin.site.site_title = settings.CLINIC_NAME
        admin.site.index_title = f"{settings.CLINIC_NAME} administration"
        # "View site" leads to the pages' home.
        admin.site.site_url = "/"
