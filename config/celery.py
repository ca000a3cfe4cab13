"""The Celery app (`celery -A config worker`, `celery -A config beat`).

Settings come from Django's settings under the CELERY_ namespace; tasks are autodiscovered
from each installed app's `tasks.py`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
