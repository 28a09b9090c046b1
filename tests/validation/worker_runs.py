"""What the tests that run validations on a real worker share: a connector to the lab's smart
host, starting a run of it, and waiting (bounded) until something is true."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from connectors.models import OutboundConnector
from eac.models import Tenant
from tests.conftest import make_outbound
from tests.validation.peers import SMART_HOST
from validation import services
from validation.models import ValidationRun


@pytest.fixture
def connector(contoso: Tenant) -> OutboundConnector:
    return make_outbound(
        contoso,
        "To the lab",
        smart_hosts=[SMART_HOST],
        recipient_domains=["lab.test"],
        tls_settings="CertificateValidation",
    )


def wait_for(predicate: Callable[[], bool], seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def finished(run: ValidationRun) -> bool:
    run.refresh_from_db()
    return run.is_finished


def start(connector: OutboundConnector) -> ValidationRun:
    return services.validation_start(
        tenant=connector.tenant, actor=None, connector=connector, recipients=["john@lab.test"]
    )
