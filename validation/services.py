"""Starting, recording, stopping and finishing validation runs. The Celery task and the views
call these; nothing here talks SMTP (that is `validation.probe`, run only by workers)."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from kombu import pools
from kombu.exceptions import LimitExceeded, OperationalError

from connectors.mailflow.facts import accepted_domain_facts
from connectors.mailflow.routing import connector_carries
from connectors.models import OutboundConnector
from eac.audit import audit_record
from eac.formfields import django_errors
from eac.models import Tenant, User
from eac.values import parse_each, parse_validation_recipient
from validation.models import FINISHED, RunStatus, ValidationRun

logger = logging.getLogger(__name__)

UNAVAILABLE = "The validation service is unavailable. Try again in a few minutes."
# validation.tasks.run_validation, queued by its name: what starts a run (a page, the command)
# never loads the probe and its libraries, which only a worker needs.
RUN_TASK = "validation.run"
# Bounds on handing a run to the broker, so a black-holed Redis answers the user in seconds.
ENQUEUE_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 2}
TARGET_FIELDS = (
    "name",
    "connector_type",
    "smart_hosts",
    "use_mx_record",
    "recipient_domains",
    "all_accepted_domains",
    "is_transport_rule_scoped",
    "route_all_messages_via_on_premises",
    "tls_settings",
    "tls_domain",
)


class ValidationUnavailable(Exception):
    """The broker could not take the run; the run is recorded as failed with that note."""


def target_of(connector: OutboundConnector) -> dict[str, Any]:
    return {field: getattr(connector, field) for field in TARGET_FIELDS}


def parse_recipients(*, tenant: Tenant, target: dict[str, Any], recipients: list[str]) -> list[str]:
    """Each address parsed, and in a domain this connector carries mail for (as Exchange requires)."""
    accepted = accepted_domain_facts(tenant)

    def routes(domain: str) -> bool:
        return connector_carries(
            domain,
            recipient_domains=target["recipient_domains"],
            all_accepted_domains=target["all_accepted_domains"],
            is_transport_rule_scoped=target["is_transport_rule_scoped"],
            accepted=accepted,
            # A draft's target and runs started before the field existed don't name it.
            route_all_messages_via_on_premises=target.get(
                "route_all_messages_via_on_premises", False
            ),
        )

    with django_errors():
        parsed = parse_each(
            lambda text: parse_validation_recipient(text, routes=routes), recipients
        )
    if not parsed:
        raise ValidationError("Add at least one email address to send the test message to.")
    return parsed


def expected_task_count(target: dict[str, Any], recipients: list[str]) -> int:
    """For the progress bar: four checks per host, one message per recipient."""
    hosts = (
        len({r.rsplit("@", 1)[1] for r in recipients})
        if target["use_mx_record"]
        else len(target["smart_hosts"])
    )
    return 4 * max(hosts, 1) + len(recipients)


def validation_start(
    *,
    tenant: Tenant,
    actor: User | None,
    recipients: list[str],
    connector: OutboundConnector | None = None,
    target: dict[str, Any] | None = None,
) -> ValidationRun:
    """Records a queued run and hands it to a worker. Raises ValidationError for bad recipients
    and ValidationUnavailable when the broker can't be reached within a couple of seconds."""
    if connector is not None:
        target = target_of(connector)
    if target is None:
        raise ValueError("A validation needs a connector or draft settings.")
    parsed = parse_recipients(tenant=tenant, target=target, recipients=recipients)
    with transaction.atomic():
        run = ValidationRun.objects.create(
            tenant=tenant,
            connector=connector,
            target=target,
            recipients=parsed,
            started_by=actor,
            expected_tasks=expected_task_count(target, parsed),
        )
        if connector is not None:
            audit_record(
                tenant=tenant,
                actor=actor,
                action="outbound_connector.validate",
                target=connector,
                after={"run": str(run.id), "recipients": parsed},
            )
    _enqueue(run)  # after the commit, so the worker finds the row
    return run


def _enqueue(run: ValidationRun) -> None:
    # Tried once, on connections with short timeouts: a dead or black-holed broker answers the
    # user within seconds. They are kept between runs (kombu's pool for this broker and these
    # timeouts), so queueing a run costs a message, not a new connection and queue declaration.
    connection = current_app.connection_for_write(transport_options=ENQUEUE_TIMEOUTS)
    try:
        with pools.producers[connection].acquire(
            block=True, timeout=ENQUEUE_TIMEOUTS["socket_timeout"]
        ) as producer:
            current_app.send_task(RUN_TASK, (str(run.id),), producer=producer, retry=False)
    except (OperationalError, OSError, LimitExceeded) as exc:
        logger.warning("Validation run %s not queued: %s", run.id, exc)
        ValidationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, note=UNAVAILABLE, finished_at=timezone.now()
        )
        raise ValidationUnavailable(UNAVAILABLE) from exc


def validation_stop(run: ValidationRun) -> ValidationRun:
    """Asks the worker to stop between stages; a run no worker has taken yet stops at once."""
    ValidationRun.objects.filter(
        pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).update(stop_requested=True)
    ValidationRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def run_progress(run: ValidationRun) -> int:
    """Percent done, for the progress bar."""
    if run.status in FINISHED:
        return 100
    done = run.tasks.count()
    return min(99, round(100 * done / max(run.expected_tasks, 1)))
