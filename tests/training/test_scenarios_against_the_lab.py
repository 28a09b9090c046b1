"""Scenarios played for real: validations run by a worker process against the training lab, the
way a trainee's do under `make run`, and the tasks that depend on them."""

from __future__ import annotations

import time

import pytest

from connectors.models import OutboundConnector
from lab.models import LabMessage
from tests.training.conftest import MakeClass
from tests.workers import lab_app_worker
from training.models import Seat
from training.scenarios import get_scenario
from training.selectors import seat_progress
from validation import services
from validation.models import RunStatus, ValidationRun
from validation.probe import CERTIFICATE_VALIDATION_FAILED

__all__ = ["lab_app_worker"]  # a fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def validate(connector: OutboundConnector, recipient: str) -> ValidationRun:
    run = services.validation_start(
        tenant=connector.tenant, actor=None, connector=connector, recipients=[recipient]
    )
    deadline = time.monotonic() + 60
    while not run.is_finished:
        assert time.monotonic() < deadline, "the validation never finished"
        time.sleep(0.2)
        run.refresh_from_db()
    return run


def done(seat: Seat) -> set[str]:
    scenario = get_scenario(seat.training_class.scenario)
    assert scenario is not None
    return {s.task.id for s in seat_progress(seat, scenario).tasks if s.done}


def test_fix_a_broken_connector_fails_on_the_wrong_certificate_name_then_validates(
    make_class: MakeClass, lab_app_worker: object
) -> None:
    training_class, _ = make_class("fix-broken-connector", trainees=2)
    seat, neighbour = training_class.seats.select_related("tenant", "training_class")
    connector = OutboundConnector.objects.get(tenant=seat.tenant)

    failed = validate(connector, "john@contoso.com")

    assert failed.status == RunStatus.FAILED
    tls = failed.tasks.get(name="TLS")
    assert tls.error == CERTIFICATE_VALIDATION_FAILED
    assert tls.certificate is not None
    assert tls.certificate["sans"] == ["mail.wrong-name.example"]
    assert done(seat) == {"see-failure"}

    OutboundConnector.objects.filter(pk=connector.pk).update(smart_hosts=["mail.contoso.com"])
    connector.refresh_from_db()
    succeeded = validate(connector, "john@contoso.com")

    assert succeeded.status == RunStatus.SUCCEEDED, [
        (t.name, t.error) for t in succeeded.tasks.all()
    ]
    assert done(seat) == {"see-failure", "fixed"}
    # The test message reached the lab, in this trainee's mailbox and nobody else's.
    message = LabMessage.objects.get()
    assert (message.tenant, message.validation_run) == (seat.tenant, str(succeeded.pk))
    assert done(neighbour) == set()


def test_a_partner_connector_validates_against_the_partner_the_lab_plays(
    make_class: MakeClass, lab_app_worker: object
) -> None:
    from tests.conftest import make_outbound

    training_class, _ = make_class("partner-enforced-tls", trainees=1)
    seat = training_class.seats.select_related("tenant", "training_class").get()
    connector = make_outbound(
        seat.tenant,
        "To Tailspin Toys",
        connector_type="Partner",
        recipient_domains=["tailspintoys.com"],
        use_mx_record=True,
        smart_hosts=[],
        tls_settings="DomainValidation",
        tls_domain="mail.tailspintoys.com",
    )

    run = validate(connector, "ana@tailspintoys.com")

    assert run.status == RunStatus.SUCCEEDED, [(t.name, t.error, t.cause) for t in run.tasks.all()]
    assert {"to-partner", "to-partner-validates"} <= done(seat)
    assert LabMessage.objects.get().tenant == seat.tenant
