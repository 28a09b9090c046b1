"""Sandboxes: reset puts back exactly the scenario's start; trainees of a class never see each
other's tenant, connectors or lab mail; closing a class stops sign-ins and keeps the data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.forms.models import model_to_dict
from django.urls import reverse

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.services import connector_set_enabled
from eac import services as tenant_services
from eac.models import AcceptedDomain, AuditEvent, DomainType, Mailbox, Tenant
from lab.behaviours import Behaviour
from lab.models import LabDomain, LabMessage
from lab.selectors import lab_domain_names
from lab.services import lab_message_store
from lab.smtp import Delivery
from tests.conftest import make_outbound
from tests.training.conftest import sign_in
from training.models import Answer, Seat
from training.sandbox import SANDBOX_ROWS
from training.scenarios import all_scenarios
from training.services import answer_record, class_close, seat_reset
from validation.models import ValidationRun

VOLATILE = {"id", "tenant", "created_at", "changed_at"}


def state_of(tenant: Tenant) -> dict[str, Any]:
    """Everything about a sandbox a trainee could see or change, without ids and timestamps."""

    def rows(queryset: Any) -> list[dict[str, Any]]:
        found = [
            {k: v for k, v in model_to_dict(row).items() if k not in VOLATILE} for row in queryset
        ]
        return sorted(found, key=repr)

    tenant.refresh_from_db()
    return {
        "selection_order": tenant.connector_selection_order,
        "domains": rows(AcceptedDomain.objects.filter(tenant=tenant)),
        "mailboxes": rows(Mailbox.objects.filter(tenant=tenant)),
        "outbound": rows(OutboundConnector.objects.filter(tenant=tenant)),
        "inbound": rows(InboundConnector.objects.filter(tenant=tenant)),
        "lab_domains": rows(LabDomain.objects.filter(tenant=tenant)),
        "drafts": ConnectorDraft.objects.filter(tenant=tenant).count(),
        "runs": ValidationRun.objects.filter(tenant=tenant).count(),
        "lab_messages": LabMessage.objects.filter(tenant=tenant).count(),
        "answers": Answer.objects.filter(seat__tenant=tenant).count(),
    }


def audit_actions(tenant: Tenant) -> list[str]:
    return sorted(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))


def delivery(sender: str, *recipients: str) -> Delivery:
    return Delivery(
        behaviour=Behaviour.GOOD,
        server_address="127.0.0.1",
        client_address="127.0.0.1",
        helo="probe.lab.test",
        tls_version="TLSv1.3",
        mail_from=sender,
        rcpt_tos=recipients,
        content=b"Subject: test\r\n\r\nbody\r\n",
        received_at=datetime.now(UTC),
    )


def change_everything(seat: Seat) -> None:
    """What a busy trainee might do to a sandbox."""
    tenant = seat.tenant
    make_outbound(tenant, "Added by the trainee", recipient_domains=["contoso.com"])
    for connector in OutboundConnector.objects.filter(tenant=tenant):
        connector_set_enabled(connector=connector, actor=seat.trainee, enabled=False)
    InboundConnector.objects.filter(tenant=tenant).update(comment="changed", version=7)
    added = tenant_services.accepted_domain_add(tenant=tenant, actor=None, name="extra.example")
    tenant_services.accepted_domain_make_default(domain=added, actor=None)
    contoso = AcceptedDomain.objects.get(tenant=tenant, name="contoso.com")
    tenant_services.accepted_domain_update(
        domain=contoso, actor=None, domain_type=DomainType.INTERNAL_RELAY, match_subdomains=True
    )
    Mailbox.objects.filter(tenant=tenant).delete()
    tenant.connector_selection_order = "documented"
    tenant.save()
    ConnectorDraft.objects.create(tenant=tenant, data={"name": {"name": "half done"}})
    ValidationRun.objects.create(tenant=tenant, target={}, recipients=[])
    lab_message_store(delivery(f"x@{tenant.initial_domain}", "john@contoso.com"))
    LabDomain.objects.filter(tenant=tenant).delete()


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.id)
def test_reset_restores_the_start_state_exactly(make_class, scenario) -> None:
    training_class, _ = make_class(scenario.id, trainees=1)
    seat = training_class.seats.select_related("tenant", "trainee").get()
    at_start = state_of(seat.tenant)
    trail_at_start = audit_actions(seat.tenant)
    started = seat.started_at
    change_everything(seat)
    question = next((t for t in scenario.tasks if t.kind == "answer"), None)
    if question:
        answer_record(seat=seat, task_id=question.id, value="Connector 1")
    assert state_of(seat.tenant) != at_start

    seat = seat_reset(seat=seat, actor=training_class.trainer)

    assert state_of(seat.tenant) == at_start
    assert seat.started_at > started
    # The trail starts again too: the reset, then the same building steps as at the start.
    assert audit_actions(seat.tenant) == sorted([*trail_at_start, "sandbox.reset"])


def test_reset_of_one_sandbox_leaves_the_others_alone(make_class) -> None:
    training_class, _ = make_class("hybrid", trainees=2)
    first, second = training_class.seats.select_related("tenant", "trainee")
    make_outbound(second.tenant, "Second's work", recipient_domains=["contoso.com"])
    seat_reset(seat=first, actor=training_class.trainer)
    assert OutboundConnector.objects.filter(tenant=second.tenant, name="Second's work").exists()


def test_two_trainees_of_a_class_see_only_their_own_sandbox(make_class) -> None:
    training_class, credentials = make_class("fix-broken-connector", trainees=2)
    first, second = training_class.seats.select_related("tenant")
    mine = OutboundConnector.objects.get(tenant=first.tenant)
    theirs = OutboundConnector.objects.get(tenant=second.tenant)
    theirs_inbound = InboundConnector.objects.get(tenant=second.tenant)
    client, ok = sign_in(credentials[0].email, credentials[0].password)
    assert ok

    page = client.get(reverse("connectors:list"))
    assert page.context["tenant"] == first.tenant
    assert [m.tenant for m in page.context["memberships"]] == [first.tenant]
    assert client.get(reverse("connectors:details", args=["outbound", mine.pk])).status_code == 200
    # Same connector names in both sandboxes; the other one's ids are unknown here.
    for url in (
        reverse("connectors:details", args=["outbound", theirs.pk]),
        reverse("connectors:details", args=["inbound", theirs_inbound.pk]),
    ):
        assert client.get(url).status_code == 404
    switched = client.post(reverse("switch_tenant"), {"tenant": second.tenant_id}, follow=True)
    assert switched.context["tenant"] == first.tenant


def test_a_trainees_test_message_lands_only_in_their_own_lab_mailbox(make_class) -> None:
    training_class, credentials = make_class("eop-in-front", trainees=2)
    _first, second = training_class.seats.select_related("tenant")
    # Both sandboxes accept contoso.com: the probe's sender (the tenant's initial domain) decides.
    lab_message_store(
        delivery(f"O365ConnectorValidation@{second.tenant.initial_domain}", "john@contoso.com")
    )

    assert LabMessage.objects.get().tenant == second.tenant
    client, ok = sign_in(credentials[0].email, credentials[0].password)
    assert ok
    assert client.get(reverse("lab:mailbox")).context["total"] == 0
    message = LabMessage.objects.get()
    assert client.get(reverse("lab:message", args=[message.pk])).status_code == 404


def test_partner_mail_lands_in_the_sandbox_that_plays_the_partner(make_class) -> None:
    training_class, _ = make_class("partner-enforced-tls", trainees=2)
    first, _second = training_class.seats.select_related("tenant")
    assert list(LabDomain.objects.filter(tenant=first.tenant).values_list("name", flat=True)) == [
        "tailspintoys.com"
    ]
    assert "tailspintoys.com" in lab_domain_names()  # the lab's DNS and certificates serve it
    lab_message_store(
        delivery(f"O365ConnectorValidation@{first.tenant.initial_domain}", "ana@tailspintoys.com")
    )
    assert LabMessage.objects.get().tenant == first.tenant


def test_closing_a_class_stops_sign_ins_and_keeps_the_sandboxes(make_class) -> None:
    training_class, credentials = make_class("hybrid", trainees=2)
    seat = training_class.seats.select_related("tenant").first()
    assert seat is not None
    make_outbound(seat.tenant, "Work to review", recipient_domains=["contoso.com"])
    session, ok = sign_in(credentials[0].email, credentials[0].password)
    assert ok
    assert session.get(reverse("connectors:list")).status_code == 200

    class_close(training_class=training_class)

    assert sign_in(credentials[0].email, credentials[0].password)[1] is False
    assert session.get(reverse("connectors:list")).status_code == 302  # signed out
    assert OutboundConnector.objects.filter(tenant=seat.tenant, name="Work to review").exists()
    with pytest.raises(Exception, match="closed"):
        seat_reset(seat=seat, actor=training_class.trainer)


# --- A class's sandboxes: the first built through the services, the others copied from it -------


def _as_seen_in(tenant: Tenant, value: Any) -> str:
    """A sandbox's state or trail with what makes the tenant itself (its initial domain, its id)
    written the same for every tenant."""
    return repr(value).replace(tenant.initial_domain, "<initial domain>")


def trail_of(tenant: Tenant) -> list[tuple[Any, ...]]:
    """The audit trail without ids and times, each event's target checked to be the tenant's."""
    models = {m._meta.model_name: m for m in SANDBOX_ROWS}
    trail = []
    for event in AuditEvent.objects.filter(tenant=tenant):
        target = models[event.target_type]._default_manager.get(pk=event.target_id)
        assert target.tenant_id == tenant.pk  # type: ignore[attr-defined]
        snapshot = {**(event.after or {})}
        assert snapshot.pop("tenant", tenant.pk) == tenant.pk
        trail.append((event.action, event.target_label, event.actor_id, event.before, snapshot))
    return sorted(trail, key=repr)


def rows_per_model(tenant: Tenant) -> dict[str, int]:
    """How many rows of each model point at the tenant: every model, so one a sandbox starts
    writing is noticed even if nobody thought of copying it."""
    counts = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Tenant:
                counts[f"{model._meta.label}.{field.name}"] = model._default_manager.filter(
                    **{field.name: tenant}
                ).count()
    return counts


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.id)
def test_every_sandbox_of_a_class_starts_as_the_services_built_the_first(
    make_class, scenario
) -> None:
    training_class, _ = make_class(scenario.id, trainees=3)
    first, *others = (seat.tenant for seat in training_class.seats.select_related("tenant"))
    for tenant in others:
        assert _as_seen_in(tenant, state_of(tenant)) == _as_seen_in(first, state_of(first))
        assert _as_seen_in(tenant, trail_of(tenant)) == _as_seen_in(first, trail_of(first))
        assert rows_per_model(tenant) == rows_per_model(first)
        assert AcceptedDomain.objects.filter(tenant=tenant, name=tenant.initial_domain).exists()
    assert len({t.initial_domain for t in [first, *others]}) == 3


def test_a_copied_sandbox_resets_to_the_state_it_started_in(make_class) -> None:
    training_class, _ = make_class("which-connector-wins", trainees=2)
    seat = training_class.seats.select_related("tenant", "trainee").get(number=2)
    at_start, trail_at_start = state_of(seat.tenant), audit_actions(seat.tenant)
    change_everything(seat)

    seat = seat_reset(seat=seat, actor=training_class.trainer)

    assert state_of(seat.tenant) == at_start
    assert audit_actions(seat.tenant) == sorted([*trail_at_start, "sandbox.reset"])
