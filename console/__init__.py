"""The site: settings, URLs, the Celery app and the commands that run the whole console.

It sits above every app (docs/architecture.md); nothing below imports it except through Django's
settings.
"""

from __future__ import annotations

# Importing the Celery app here makes `@shared_task` bind to it in every process that loads Django.
from console.celery import app as celery_app

__all__ = ["celery_app"]
