from __future__ import annotations

from django.apps import AppConfig


class EacConfig(AppConfig):
    name = "eac"
    verbose_name = "Tenancy"
