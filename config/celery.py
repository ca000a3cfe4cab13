"""The Celery app (`celery -A config worker`, `celery -A config beat`).

Settings come from Django's settings under the CELERY_ namespace; tasks are autodiscovered
from each installed app's `tasks.py`. Importing core.request_id connects the signal handlers
that carry a request's id into the tasks it publishes.
"""

import os

from celery import Celery

from core import request_id  # noqa: F401  (connects the handlers that carry the request id)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
