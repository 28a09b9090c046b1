from __future__ import annotations

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        # Saving a connector, an accepted domain or a mailbox renews its tenant's configuration
        # stamp (the receivers live beside the cache they empty).
        from connectors.mailflow import facts  # noqa: F401
