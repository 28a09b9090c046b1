"""Validation runs in the database: starting, claiming, stopping, sweeping, and the pages —
everything around the probe that doesn't need an SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.models import OutboundConnector
from eac.models import AuditEvent, Tenant, User
from tests.conftest import closed_port, make_outbound
from validation import recording, services
from validation.models import RunStatus, ValidationRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def connector(contoso: Tenant) -> OutboundConnector:
    return make_outbound(contoso, "To mail.contoso.com", recipient_domains=["contoso.com"])


@pytest.fixture
def unreachable_broker(broker_at: Callable[[str], None]) -> None:
    broker_at(f"redis://127.0.0.1:{closed_port()}/0")


def _queued(connector: OutboundConnector, **fields: object) -> ValidationRun:
    return ValidationRun.objects.create(
        tenant=connector.tenant,
        connector=connector,
        target=services.target_of(connector),
        recipients=["john@contoso.com"],
        **fields,
    )


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        (["john@fabrikam.com"], "doesn't route"),
        (["John <john@contoso.com>"], "display name"),
        ([], "at least one email address"),
    ],
)
def test_recipients_must_be_single_addresses_in_the_connectors_domains(
    connector: OutboundConnector, recipients: list[str], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.parse_recipients(
            tenant=connector.tenant, target=services.target_of(connector), recipients=recipients
        )
    assert message in " ".join(caught.value.messages)


def test_all_accepted_domains_connectors_take_addresses_in_any_accepted_domain(
    contoso: Tenant,
) -> None:
    connector = contoso.outboundconnectors.get(all_accepted_domains=True)
    target = services.target_of(connector)
    assert services.parse_recipients(
        tenant=contoso, target=target, recipients=["Bob@Sales.Contoso.com"]
    ) == ["Bob@sales.contoso.com"]
    with pytest.raises(ValidationError):
        services.parse_recipients(
            tenant=contoso, target=target, recipients=["bob@elsewhere.example"]
        )


def test_only_one_worker_can_claim_a_run(connector: OutboundConnector) -> None:
    run = _queued(connector)
    first = recording.validation_claim(str(run.pk))
    second = recording.validation_claim(str(run.pk))
    assert first is not None
    assert first.status == RunStatus.RUNNING
    assert first.deadline_at is not None
    assert first.deadline_at > timezone.now()
    assert second is None


def test_stopping_a_queued_run_cancels_it_before_any_worker_takes_it(
    connector: OutboundConnector,
) -> None:
    run = services.validation_stop(_queued(connector))
    assert run.status == RunStatus.CANCELLED
    assert recording.validation_claim(str(run.pk)) is None


def test_a_running_run_past_its_deadline_is_marked_interrupted(
    connector: OutboundConnector,
) -> None:
    overdue = _queued(
        connector, status=RunStatus.RUNNING, deadline_at=timezone.now() - timedelta(seconds=1)
    )
    current = _queued(
        connector, status=RunStatus.RUNNING, deadline_at=timezone.now() + timedelta(minutes=1)
    )
    assert recording.sweep_interrupted() == 1
    overdue.refresh_from_db()
    current.refresh_from_db()
    assert (overdue.status, current.status) == (RunStatus.INTERRUPTED, RunStatus.RUNNING)


def test_a_running_run_whose_heartbeat_stopped_is_interrupted_before_its_deadline(
    connector: OutboundConnector,
) -> None:
    now = timezone.now()
    later = now + timedelta(minutes=1)
    silent = _queued(
        connector,
        status=RunStatus.RUNNING,
        deadline_at=later,
        heartbeat_at=now - recording.HEARTBEAT_STALE - timedelta(seconds=1),
    )
    beating = _queued(connector, status=RunStatus.RUNNING, deadline_at=later, heartbeat_at=now)
    assert recording.sweep_interrupted(now=now) == 1
    silent.refresh_from_db()
    beating.refresh_from_db()
    assert (silent.status, beating.status) == (RunStatus.INTERRUPTED, RunStatus.RUNNING)
    assert recording.heartbeat([silent.pk, beating.pk]) == 1  # a finished run isn't revived


def test_an_unreachable_broker_shows_the_unavailable_message_and_breaks_nothing(
    admin_client_: Client, connector: OutboundConnector, unreachable_broker: None
) -> None:
    response = admin_client_.post(
        reverse("validation:validate", args=[connector.pk]),
        {"action": "validate", "new_recipient": "john@contoso.com"},
    )
    html = response.content.decode()
    assert response.status_code == 503
    assert "The validation service is unavailable" in html
    assert "john@contoso.com" in html  # what was typed is kept
    run = ValidationRun.objects.get(connector=connector)
    assert run.status == RunStatus.FAILED
    connector.refresh_from_db()
    assert connector.last_validation_timestamp is None
    assert admin_client_.get(reverse("connectors:list")).status_code == 200


def test_the_plus_button_adds_an_address_and_reports_a_bad_one_next_to_the_box(
    admin_client_: Client, connector: OutboundConnector
) -> None:
    url = reverse("validation:validate", args=[connector.pk])
    added = admin_client_.post(
        url, {"action": "add", "new_recipient": "John@Contoso.com"}
    ).content.decode()
    assert 'name="recipients" value="John@contoso.com"' in added
    refused = admin_client_.post(
        url,
        {"action": "add", "recipients": ["John@contoso.com"], "new_recipient": "x@fabrikam.com"},
    )
    html = refused.content.decode()
    assert refused.status_code == 422
    assert 'value="x@fabrikam.com"' in html
    assert "fabrikam.com" in html
    assert 'name="recipients" value="John@contoso.com"' in html
    removed = admin_client_.post(
        url, {"action": "remove-0", "recipients": ["John@contoso.com"]}
    ).content.decode()
    assert 'name="recipients"' not in removed


def test_validate_queues_a_run_and_shows_progress(
    admin_client_: Client, admin: User, connector: OutboundConnector
) -> None:
    url = reverse("validation:validate", args=[connector.pk])
    response = admin_client_.post(
        url, {"action": "validate", "new_recipient": "john@contoso.com"}, follow=True
    )
    run = ValidationRun.objects.get(connector=connector)
    html = response.content.decode()
    assert run.status == RunStatus.QUEUED
    assert run.recipients == ["john@contoso.com"]
    assert run.started_by == admin
    assert "Validation in progress..." in html
    assert "Stop" in html
    assert AuditEvent.objects.filter(
        action="outbound_connector.validate", target_id=str(connector.pk)
    ).exists()


def test_progress_polling_stops_with_286_once_the_run_has_ended(
    admin_client_: Client, connector: OutboundConnector
) -> None:
    run = _queued(connector)
    url = reverse("validation:progress", args=[run.pk])
    assert admin_client_.get(url, headers={"HX-Request": "true"}).status_code == 200
    services.validation_stop(run)
    finished = admin_client_.get(url, headers={"HX-Request": "true"})
    assert finished.status_code == 286
    assert "Validation stopped" in finished.content.decode()


def test_view_only_users_can_read_a_run_but_not_start_or_stop_one(
    viewer_client: Client, connector: OutboundConnector
) -> None:
    run = _queued(connector)
    details = viewer_client.get(
        reverse("connectors:details", args=["outbound", connector.pk])
    ).content.decode()
    assert "Validate this connector" not in details
    assert viewer_client.get(reverse("validation:run", args=[run.pk])).status_code == 200
    assert (
        viewer_client.post(
            reverse("validation:validate", args=[connector.pk]), {"action": "validate"}
        ).status_code
        == 403
    )
    assert viewer_client.post(reverse("validation:stop", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.stop_requested is False


def test_a_black_holed_broker_answers_unavailable_within_seconds(
    admin_client_: Client, connector: OutboundConnector, broker_at: Callable[[str], None]
) -> None:
    silent = socket.socket()  # accepts connections, never answers the Redis handshake
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        broker_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        response = admin_client_.post(
            reverse("validation:validate", args=[connector.pk]),
            {"action": "validate", "new_recipient": "john@contoso.com"},
        )
    finally:
        silent.close()
    assert response.status_code == 503
    assert "The validation service is unavailable" in response.content.decode()


def test_reading_a_run_marks_only_that_run_interrupted(
    admin_client_: Client, connector: OutboundConnector
) -> None:
    past = timezone.now() - timedelta(seconds=1)
    shown = _queued(connector, status=RunStatus.RUNNING, deadline_at=past)
    other = _queued(connector, status=RunStatus.RUNNING, deadline_at=past)
    response = admin_client_.get(
        reverse("validation:progress", args=[shown.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 286
    assert "Validation interrupted" in response.content.decode()
    other.refresh_from_db()
    assert other.status == RunStatus.RUNNING  # left for the workers' sweep


def test_a_run_no_worker_takes_ends_with_a_message_instead_of_waiting_forever(
    admin_client_: Client, connector: OutboundConnector
) -> None:
    waiting = _queued(connector)
    ValidationRun.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(seconds=121)
    )
    fresh = _queued(connector)  # queued just now: a worker may still take it
    progress = admin_client_.get(
        reverse("validation:progress", args=[waiting.pk]), headers={"HX-Request": "true"}
    )
    assert progress.status_code == 286  # the page stops polling
    page = admin_client_.get(reverse("validation:run", args=[waiting.pk])).content.decode()
    assert "No worker took this validation, so it didn&#x27;t run." in page
    waiting.refresh_from_db()
    assert (waiting.status, waiting.finished_at is not None) == (RunStatus.FAILED, True)
    admin_client_.get(
        reverse("validation:progress", args=[fresh.pk]), headers={"HX-Request": "true"}
    )
    fresh.refresh_from_db()
    assert fresh.status == RunStatus.QUEUED
