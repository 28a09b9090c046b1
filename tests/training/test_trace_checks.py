"""The checks that read real mail flow (mail_delivered, mail_failed) against message trace rows
written here directly, as the front door (lab.office) writes them; the trainer's table and the
trainee's panel showing what they found. The front door itself writing them:
test_real_flow_through_the_front_door.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import partial

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.models import OutboundConnector
from connectors.services import connector_set_enabled
from eac.models import Tenant
from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus
from tests.training.conftest import MakeClass
from tests.training.test_progress_table import POLL, queries_of
from tests.training.test_trainee_views import sign_in
from training.models import Seat, TrainingClass
from training.scenarios import get_scenario
from training.selectors import seat_progress
from training.task_checks import check_parameter_problem

pytestmark = pytest.mark.django_db

SCENARIO = "partner-tls-real-flow"
JOHN, LI = "john@contoso.com", "li@litwareinc.com"
SENT = "really-sent"
DELIVERED = "really-delivered"


def seats_of(training_class: TrainingClass) -> list[Seat]:
    return list(training_class.seats.select_related("tenant", "training_class").order_by("number"))


@pytest.fixture
def seat(make_class: MakeClass) -> Seat:
    """A trainee of the scenario who has turned the connector to Litware on."""
    training_class, _ = make_class(SCENARIO, trainees=2)
    first = seats_of(training_class)[0]
    connector_set_enabled(connector=to_litware(first.tenant), actor=None, enabled=True)
    return first


def to_litware(tenant: Tenant) -> OutboundConnector:
    return OutboundConnector.objects.get(tenant=tenant, name="To Litware")


def traced(
    tenant: Tenant,
    status: str,
    *events: tuple[str, str],
    sender: str = JOHN,
    recipient: str = LI,
    code: str = "",
    at: datetime | None = None,
) -> TracedMessage:
    """A traced message as the front door leaves it: its status and its events, each (kind,
    connector named)."""
    message = TracedMessage.objects.create(
        tenant=tenant,
        sender=sender,
        recipient=recipient,
        status=status,
        failure_code=code,
        received_at=at or timezone.now(),
    )
    for seq, (kind, connector) in enumerate(events, start=1):
        detail = f"{code}. Sending failed." if kind == TraceEventKind.FAIL else f"{kind} step."
        TraceEvent.objects.create(
            message=message, seq=seq, kind=kind, connector=connector, detail=detail, code=code
        )
    return message


RECEIVED = (TraceEventKind.RECEIVE, "")
FROM_JOHNS_SERVER = (TraceEventKind.CONNECTOR, "From Contoso's email server")
CHOSEN = (TraceEventKind.CONNECTOR, "To Litware")
SENT_THROUGH = (TraceEventKind.SEND, "To Litware")
FAILED = (TraceEventKind.FAIL, "To Litware")
THROUGH_BOTH = (RECEIVED, FROM_JOHNS_SERVER, CHOSEN, SENT_THROUGH)


def outcome(seat: Seat, task_id: str) -> tuple[bool, str]:
    scenario = get_scenario(SCENARIO)
    assert scenario is not None
    state = next(s for s in seat_progress(seat, scenario).tasks if s.task.id == task_id)
    return state.done, state.outcome.detail


# --- mail_delivered ------------------------------------------------------------------------------


def test_without_a_message_the_task_asks_for_one(seat: Seat) -> None:
    assert outcome(seat, DELIVERED) == (
        False,
        f"No message from {JOHN} to {LI} in the message trace yet: send a test message.",
    )


def test_a_message_delivered_through_both_connectors_ticks_it(seat: Seat) -> None:
    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)

    done, detail = outcome(seat, DELIVERED)

    assert done
    assert detail.startswith("Delivered through From Contoso's email server, To Litware")


def test_the_addresses_match_in_any_case(seat: Seat) -> None:
    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH, sender="John@Contoso.com")

    assert outcome(seat, DELIVERED)[0]


def test_a_failed_message_says_its_code(seat: Seat) -> None:
    traced(
        seat.tenant,
        TraceStatus.FAILED,
        RECEIVED,
        FROM_JOHNS_SERVER,
        CHOSEN,
        FAILED,
        code="450 4.4.317",
    )

    done, detail = outcome(seat, DELIVERED)

    assert not done
    assert "failed with 450 4.4.317: open it in Message trace to see why." in detail


def test_a_pending_message_is_on_its_way(seat: Seat) -> None:
    traced(seat.tenant, TraceStatus.PENDING, RECEIVED, FROM_JOHNS_SERVER, CHOSEN)

    assert outcome(seat, DELIVERED)[1].endswith("is still on its way.")


def test_an_older_delivery_still_counts_after_a_later_failure(seat: Seat) -> None:
    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)
    traced(seat.tenant, TraceStatus.FAILED, RECEIVED, FAILED, code="450 4.4.316")

    assert outcome(seat, DELIVERED)[0]


def test_a_delivery_without_tls_required_doesnt_tick_it(seat: Seat) -> None:
    """Turning TLS off delivers to the relay that offers none: the task asks for TLS."""
    OutboundConnector.objects.filter(pk=to_litware(seat.tenant).pk).update(tls_settings=None)
    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)

    done, detail = outcome(seat, DELIVERED)

    assert not done
    assert detail.endswith(
        "was delivered through To Litware, not an outbound connector that does this."
    )


def test_a_delivery_that_no_outbound_connector_sent_doesnt_tick_it(seat: Seat) -> None:
    traced(
        seat.tenant, TraceStatus.DELIVERED, RECEIVED, FROM_JOHNS_SERVER, (TraceEventKind.SEND, "")
    )

    assert outcome(seat, DELIVERED)[1].endswith(
        "was delivered through no outbound connector, not an outbound connector that does this."
    )


def test_a_delivery_no_inbound_connector_took_doesnt_tick_it(seat: Seat) -> None:
    """The task asks for mail from John's server, recognized as such."""
    traced(seat.tenant, TraceStatus.DELIVERED, RECEIVED, CHOSEN, SENT_THROUGH)

    done, detail = outcome(seat, DELIVERED)

    assert not done
    assert "not an inbound connector that does this" in detail


def test_a_delivery_before_the_connector_last_changed_counts_no_more(seat: Seat) -> None:
    """Sent through an earlier version of the connector: the trainee must send again."""
    Seat.objects.filter(pk=seat.pk).update(started_at=timezone.now() - timedelta(hours=1))
    seat.refresh_from_db()
    traced(
        seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH, at=timezone.now() - timedelta(minutes=1)
    )
    to_litware(seat.tenant).save()  # changed since

    done, detail = outcome(seat, DELIVERED)

    assert not done
    assert detail.endswith("was delivered before To Litware last changed: send another.")

    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)
    assert outcome(seat, DELIVERED)[0]


def test_a_connector_turned_off_since_doesnt_count(seat: Seat) -> None:
    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)
    connector_set_enabled(connector=to_litware(seat.tenant), actor=None, enabled=False)

    assert not outcome(seat, DELIVERED)[0]


def test_only_messages_since_the_sandbox_was_reset_count(seat: Seat) -> None:
    traced(
        seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH, at=seat.started_at - timedelta(seconds=1)
    )

    assert not outcome(seat, DELIVERED)[0]


def test_another_trainees_message_doesnt_count(seat: Seat) -> None:
    neighbour = seats_of(seat.training_class)[1]
    connector_set_enabled(connector=to_litware(neighbour.tenant), actor=None, enabled=True)
    traced(neighbour.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)

    assert not outcome(seat, DELIVERED)[0]
    assert outcome(neighbour, DELIVERED)[0]


def test_another_pairs_message_doesnt_count(seat: Seat) -> None:
    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH, recipient="bob@contoso.com")

    assert not outcome(seat, DELIVERED)[0]


# --- mail_failed ---------------------------------------------------------------------------------


def test_the_failure_task_ticks_on_a_message_that_failed_with_its_code(seat: Seat) -> None:
    assert not outcome(seat, SENT)[0]
    traced(seat.tenant, TraceStatus.FAILED, RECEIVED, FAILED, code="450 4.4.316")
    assert not outcome(seat, SENT)[0]  # another failure

    traced(
        seat.tenant,
        TraceStatus.FAILED,
        RECEIVED,
        FROM_JOHNS_SERVER,
        CHOSEN,
        FAILED,
        code="450 4.4.317",
    )

    done, detail = outcome(seat, SENT)
    assert done
    assert detail.startswith("It failed with 450 4.4.317 (")


def test_the_failure_task_isnt_ticked_by_a_delivery(seat: Seat) -> None:
    traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)

    assert not outcome(seat, SENT)[0]


# --- the scenario format -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"sender": JOHN}, "check 'mail_delivered' needs recipient"),
        (
            {"sender": JOHN, "recipient": LI, "outbound": {"colour": "red"}},
            "check 'mail_delivered': outbound doesn't take colour",
        ),
        (
            {"sender": JOHN, "recipient": LI, "inbound": "From John"},
            "check 'mail_delivered': inbound must be a table of certificate_name, connector_type",
        ),
        ({"sender": JOHN, "recipient": LI, "connector": "x"}, "doesn't take connector"),
        ({"sender": JOHN, "recipient": LI}, ""),
    ],
)
def test_the_check_says_whats_wrong_with_its_parameters(
    params: dict[str, object], problem: str
) -> None:
    found = check_parameter_problem("mail_delivered", params)
    assert problem in found if problem else found == ""


def test_mail_failed_needs_the_error() -> None:
    assert check_parameter_problem("mail_failed", {"sender": JOHN, "recipient": LI}) == (
        "check 'mail_failed' needs error"
    )


# --- where the trainer and the trainee see it ----------------------------------------------------


def test_the_trainers_table_shows_the_trace_tasks_and_asks_no_more_for_more_trainees(
    make_class: MakeClass, trainer_client: Client
) -> None:
    counts = []
    for size in (2, 5):
        training_class, _ = make_class(SCENARIO, trainees=size, name=f"Class of {size}")
        for seat in seats_of(training_class):
            connector_set_enabled(connector=to_litware(seat.tenant), actor=None, enabled=True)
            traced(seat.tenant, TraceStatus.DELIVERED, *THROUGH_BOTH)
            traced(seat.tenant, TraceStatus.FAILED, RECEIVED, FAILED, code="450 4.4.317")
        url = reverse("training:class", args=[training_class.pk])
        count, response = queries_of(partial(trainer_client.get, url, headers=POLL))
        rows = re.findall(r"<tr[ >].*?</tr>", response.content.decode(), flags=re.S)
        assert len(rows) == size + 1
        assert all(row.count("✓") == 3 for row in rows[1:]), rows[1]  # every task done
        assert "Delivered through From Contoso&#x27;s email server, To Litware" in rows[1]
        counts.append(count)
    assert counts[0] == counts[1] > 0, counts


def test_the_trainees_panel_shows_what_the_trace_holds(make_class: MakeClass) -> None:
    training_class, credentials = make_class(SCENARIO, trainees=1)
    [seat] = seats_of(training_class)
    trainee = sign_in(credentials[0])
    poll = f"{reverse('training:panel')}?seat={seat.pk}&done="

    before = trainee.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert "No message from john@contoso.com to li@litwareinc.com in the message trace" in before

    traced(
        seat.tenant,
        TraceStatus.FAILED,
        RECEIVED,
        FROM_JOHNS_SERVER,
        CHOSEN,
        FAILED,
        code="450 4.4.317",
    )

    after = trainee.get(poll, headers={"HX-Request": "true"}).content.decode()
    status = re.search(
        rf'<div id="training-task-{SENT}-status".*?</div>\s*</div>', after, flags=re.S
    )
    assert status
    assert "(Done)" in status.group(0)
    assert "It failed with 450 4.4.317" in status.group(0)
    assert "1 of 3 tasks done" in after
    assert "failed with 450 4.4.317: open it in Message trace to see why." in after
