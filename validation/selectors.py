from __future__ import annotations

from connectors.models import OutboundConnector
from validation.models import ValidationRun


def latest_run(connector: OutboundConnector) -> ValidationRun | None:
    return ValidationRun.objects.filter(connector=connector).order_by("-created_at").first()
