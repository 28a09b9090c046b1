"""Each kind of check against a sandbox, changed the way a trainee would change it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connectors.mailflow.facts import TenantMailFlow
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import connector_set_enabled
from eac import services as tenant_services
from eac.models import AcceptedDomain, DomainType
from tests.conftest import make_inbound, make_outbound
from tests.training.conftest import MakeClass
from training.models import Seat, TrainingClass
from training.scenarios import Scenario, get_scenario
from training.selectors import seat_progress
from training.services import answer_record
from training.task_checks import (
    NO_CONNECTOR,
    CheckContext,
    Outcome,
    Task,
    evaluate,
    expected_answer,
)
from validation.models import RunStatus, ValidationRun, ValidationTask
from validation.services import target_of


def scenario(scenario_id: str) -> Scenario:
    found = get_scenario(scenario_id)
    assert found is not None
    return found


def first_seat(make_class: MakeClass, scenario_id: str) -> Seat:
    training_class, _ = make_class(scenario_id, trainees=1)
    return training_class.seats.select_related("tenant", "training_class").get()


def done(seat: Seat) -> set[str]:
    progress = seat_progress(seat, scenario(seat.training_class.scenario))
    return {state.task.id for state in progress.tasks if state.done}


def detail(seat: Seat, task_id: str) -> str:
    progress = seat_progress(seat, scenario(seat.training_class.scenario))
    return next(s.outcome.detail for s in progress.tasks if s.task.id == task_id)


def finished_run(
    connector: OutboundConnector, status: str, *, error: str = "", when=None
) -> ValidationRun:
    """A run as a worker leaves it (the worker path itself is tested with real workers)."""
    run = ValidationRun.objects.create(
        tenant=connector.tenant,
        connector=connector,
        target=target_of(connector),
        recipients=["john@contoso.com"],
        status=status,
        finished_at=timezone.now(),
    )
    if when is not None:
        ValidationRun.objects.filter(pk=run.pk).update(created_at=when)
    ValidationTask.objects.create(
        run=run,
        seq=1,
        name="TLS",
        host=connector.smart_hosts[0] if connector.smart_hosts else "",
        status="Failed" if error else "Succeeded",
        started_at=timezone.now(),
        duration_ms=5,
        error=error,
    )
    return run


def to_your_server(seat: Seat, **fields) -> OutboundConnector:
    defaults = {"recipient_domains": ["contoso.com"], "smart_hosts": ["mail.contoso.com"]}
    return make_outbound(seat.tenant, "To Contoso", **(defaults | fields))


def test_eop_connectors_explorer_and_mx_tick_as_the_trainee_builds_them(make_class) -> None:
    seat = first_seat(make_class, "eop-in-front")

    connector = to_your_server(seat)
    assert done(seat) == {"to-your-server", "sun-to-john"}
    make_inbound(
        seat.tenant,
        "From Contoso",
        connector_type="OnPremises",
        sender_domains=["*"],
        tls_sender_certificate_name="mail.contoso.com",
    )
    assert done(seat) == {"to-your-server", "sun-to-john", "from-your-server", "john-to-sun"}

    finished_run(connector, RunStatus.SUCCEEDED)
    answer_record(seat=seat, task_id="mx", value="contoso-com.mail.protection.outlook.com.")
    assert done(seat) == {t.id for t in scenario("eop-in-front").tasks}


def test_a_connector_that_only_accepts_any_certificate_is_not_the_one_asked_for(make_class) -> None:
    seat = first_seat(make_class, "eop-in-front")
    to_your_server(seat, tls_settings="EncryptionOnly")
    assert "to-your-server" not in done(seat)
    assert detail(seat, "to-your-server") == "No enabled outbound connector does this yet."


def test_a_turned_off_connector_does_not_count(make_class) -> None:
    seat = first_seat(make_class, "eop-in-front")
    connector = to_your_server(seat)
    connector_set_enabled(connector=connector, actor=None, enabled=False)
    assert done(seat) == set()


def test_validation_counts_only_if_it_succeeded_since_the_sandbox_started_for_the_current_settings(
    make_class,
) -> None:
    seat = first_seat(make_class, "eop-in-front")
    connector = to_your_server(seat)

    finished_run(connector, RunStatus.SUCCEEDED, when=seat.started_at - timedelta(minutes=1))
    finished_run(connector, RunStatus.FAILED, error="450 4.4.316 Connection refused")
    assert "validates" not in done(seat)
    assert "no successful validation" in detail(seat, "validates")

    finished_run(connector, RunStatus.SUCCEEDED)
    assert "validates" in done(seat)

    # Pointed elsewhere after the run: what validated is no longer what the connector does.
    OutboundConnector.objects.filter(pk=connector.pk).update(smart_hosts=["mail9.contoso.com"])
    assert "validates" not in done(seat)


def test_which_connector_wins_answers_are_judged_by_the_selection_engine_in_both_orders(
    make_class,
) -> None:
    seat = first_seat(make_class, "which-connector-wins")

    answer_record(seat=seat, task_id="fabrikam", value="Connector 1")
    answer_record(seat=seat, task_id="contoso", value="connector 2")
    answer_record(seat=seat, task_id="sales", value="Connector 1")  # wrong: the wildcard wins
    answer_record(seat=seat, task_id="sales-documented", value="Connector 1")
    assert done(seat) == {"fabrikam", "contoso", "sales-documented"}
    assert detail(seat, "sales") == "Your answer: Connector 1. Not quite; try again."

    answer_record(seat=seat, task_id="sales", value="Connector 3")
    assert "sales" in done(seat)


def test_turning_connector_2_off_moves_contoso_to_connector_3_and_keeps_earlier_answers(
    make_class,
) -> None:
    seat = first_seat(make_class, "which-connector-wins")
    answer_record(seat=seat, task_id="contoso", value="Connector 2")
    assert detail(seat, "turn-off") == "Mail to john@contoso.com goes to Connector 2."

    connector_2 = OutboundConnector.objects.get(tenant=seat.tenant, name="Connector 2")
    connector_set_enabled(connector=connector_2, actor=None, enabled=False)

    assert done(seat) == {"contoso", "turn-off"}  # the answer was right when it was given
    assert detail(seat, "turn-off") == "Mail to john@contoso.com goes to Connector 3."


def test_no_connector_is_an_answer_the_engine_can_give(make_class) -> None:
    seat = first_seat(make_class, "which-connector-wins")
    OutboundConnector.objects.filter(tenant=seat.tenant).update(enabled=False)
    answer_record(seat=seat, task_id="fabrikam", value=NO_CONNECTOR)
    assert "fabrikam" in done(seat)


def test_partner_connectors_with_enforced_tls(make_class) -> None:
    seat = first_seat(make_class, "partner-enforced-tls")
    outbound = make_outbound(
        seat.tenant,
        "To Tailspin Toys",
        connector_type="Partner",
        recipient_domains=["tailspintoys.com"],
        use_mx_record=True,
        smart_hosts=[],
        tls_settings="DomainValidation",
        tls_domain="*.tailspintoys.com",
    )
    assert done(seat) == {"to-partner"}

    # Without the certificate restriction, the partner's mail isn't tied to its server.
    loose = make_inbound(
        seat.tenant, "From Tailspin Toys", sender_domains=["tailspintoys.com"], require_tls=True
    )
    assert done(seat) == {"to-partner", "ana-to-bob"}
    InboundConnector.objects.filter(pk=loose.pk).update(
        restrict_domains_to_certificate=True, tls_sender_certificate_name="mail.tailspintoys.com"
    )
    finished_run(outbound, RunStatus.SUCCEEDED)
    assert done(seat) == {t.id for t in scenario("partner-enforced-tls").tasks}


def test_subdomains_need_the_internal_relay_domain_and_a_connector(make_class) -> None:
    seat = first_seat(make_class, "subdomains-internal-relay")
    connector = make_outbound(
        seat.tenant, "To Contoso", all_accepted_domains=True, smart_hosts=["mail.contoso.com"]
    )
    # All accepted domains doesn't reach eng.contoso.com while contoso.com doesn't accept it.
    assert done(seat) == set()

    domain = AcceptedDomain.objects.get(tenant=seat.tenant, name="contoso.com")
    tenant_services.accepted_domain_update(
        domain=domain, actor=None, domain_type=DomainType.INTERNAL_RELAY, match_subdomains=True
    )
    assert done(seat) == {"relay-domain", "subdomain-connector", "bob-to-lee"}
    assert detail(seat, "bob-to-lee") == "This message flows through To Contoso."
    finished_run(connector, RunStatus.SUCCEEDED)
    assert "validates" in done(seat)


def test_fix_a_broken_connector_wants_the_failure_seen_then_a_strict_success(make_class) -> None:
    seat = first_seat(make_class, "fix-broken-connector")
    connector = OutboundConnector.objects.get(tenant=seat.tenant)
    finished_run(connector, RunStatus.FAILED, error="450 4.7.320 Certificate validation failed")
    assert done(seat) == {"see-failure"}

    # "Fixing" it by checking any certificate doesn't count, even if that validates.
    OutboundConnector.objects.filter(pk=connector.pk).update(
        tls_settings="EncryptionOnly", tls_domain=""
    )
    connector.refresh_from_db()
    finished_run(connector, RunStatus.SUCCEEDED)
    assert "fixed" not in done(seat)

    OutboundConnector.objects.filter(pk=connector.pk).update(
        tls_settings="DomainValidation",
        tls_domain="mail.contoso.com",
        smart_hosts=["mail.contoso.com"],
    )
    connector.refresh_from_db()
    finished_run(connector, RunStatus.SUCCEEDED)
    assert done(seat) == {"see-failure", "fixed"}


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_answer_is_refused(make_class, value: str) -> None:
    from django.core.exceptions import ValidationError

    seat = first_seat(make_class, "eop-in-front")
    with pytest.raises(ValidationError, match="Enter an answer"):
        answer_record(seat=seat, task_id="mx", value=value)


def _class_page_queries(client: Client, training_class: TrainingClass) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("training:class", args=[training_class.pk])).content.decode()
    return len(queries), page


def test_the_trainers_table_costs_the_same_queries_for_any_class_size(
    make_class: MakeClass, trainer_client: Client
) -> None:
    """Every sandbox busy (a connector, a failed and a succeeded run, an answer): the table for
    five trainees asks the database exactly as often as the table for one."""
    counts = []
    for size in (1, 5):
        training_class, _ = make_class(
            "fix-broken-connector", trainees=size, name=f"Class of {size}"
        )
        for seat in training_class.seats.select_related("tenant"):
            connector = make_outbound(seat.tenant, f"Seat {seat.number}")
            finished_run(
                connector, RunStatus.FAILED, error="450 4.7.320 Certificate validation failed"
            )
            finished_run(connector, RunStatus.SUCCEEDED)
        count, page = _class_page_queries(trainer_client, training_class)
        counts.append(count)
        assert page.count("<tr") >= size + 1  # a row per trainee, ticks included
    assert counts[0] == counts[1], counts


def test_the_checks_see_centralized_mail_transport(make_class) -> None:
    """A check asks the engines, so a connector that routes all messages via on-premises
    changes what "mail flows through a connector" and "which connector" find."""
    seat = first_seat(make_class, "hybrid")
    to_your_server(seat)
    make_inbound(
        seat.tenant,
        "From Contoso",
        connector_type="OnPremises",
        sender_domains=["*"],
        tls_sender_certificate_name="mail.contoso.com",
    )
    bob_to_sun = Task(
        "bob-to-sun",
        "Bob's mail to Sun goes through your server",
        "",
        "mail_flows",
        {
            "sender": "bob@contoso.com",
            "recipient": "sun@wingtiptoys.com",
            "through_connector": True,
        },
    )
    chosen = Task(
        "chosen",
        "",
        "",
        "connector_chosen",
        {"recipient": "sun@wingtiptoys.com", "connector": "To Contoso"},
    )
    question = {"question": "connector_for", "recipient": "sun@wingtiptoys.com"}

    def context() -> CheckContext:
        flow = TenantMailFlow(seat.tenant)
        return CheckContext(seat.tenant, seat.started_at, {}, flow, [])

    assert not evaluate(bob_to_sun, context()).done
    assert expected_answer(question, context().flow) == NO_CONNECTOR

    OutboundConnector.objects.filter(tenant=seat.tenant, name="To Contoso").update(
        route_all_messages_via_on_premises=True
    )

    assert evaluate(bob_to_sun, context()) == Outcome(
        True, "This message flows through To Contoso."
    )
    assert evaluate(chosen, context()) == Outcome(
        True, "Mail to sun@wingtiptoys.com goes to To Contoso."
    )
    assert expected_answer(question, context().flow) == "To Contoso"
    # John's mail came from your server: Office 365 doesn't send it back there.
    assert "john-to-sun" in done(seat)
    assert detail(seat, "john-to-sun") == "This message flows through From Contoso."
