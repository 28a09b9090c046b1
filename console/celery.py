"""The Celery app. Workers run `celery -A console worker` with the same DATABASE_URL and CELERY_BROKER_URL."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("eac")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
