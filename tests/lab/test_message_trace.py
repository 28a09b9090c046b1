"""Mail flow > Message trace: each organization finds its own traced messages by sender,
recipient, time and status, newest first, and opens one to read its events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from eac.models import Tenant
from lab.message_trace.views import PAGE
from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus

pytestmark = pytest.mark.django_db

TRACE = reverse("lab:trace")


def traced(tenant: Tenant, recipient: str, **fields: Any) -> TracedMessage:
    defaults: dict[str, Any] = {
        "sender": "sun@gmail.com",
        "subject": f"Hello {recipient}",
        "received_at": timezone.now() - timedelta(minutes=5),
        "status": TraceStatus.DELIVERED,
        "message_id": f"<{uuid.uuid4()}@mail.gmail.com>",
        "size": 2048,
        "from_ip": "127.0.0.20",
    }
    return TracedMessage.objects.create(tenant=tenant, recipient=recipient, **(defaults | fields))


def event(message: TracedMessage, seq: int, kind: str, detail: str, **fields: Any) -> TraceEvent:
    at = message.received_at + timedelta(seconds=seq)
    return TraceEvent.objects.create(
        message=message, seq=seq, at=at, kind=kind, detail=detail, **fields
    )


def failed_to_john(tenant: Tenant) -> TracedMessage:
    """Sun's message to John, whose mailbox is on Contoso's server, with its connector off."""
    message = traced(
        tenant,
        "john@contoso.com",
        subject="Lunch on Friday?",
        status=TraceStatus.FAILED,
        failure_code="550 5.4.1",
    )
    event(
        message,
        1,
        TraceEventKind.RECEIVE,
        "Received from mail.gmail.com",
        host="mail.gmail.com",
        tls="TLS 1.3",
    )
    event(
        message,
        2,
        TraceEventKind.FAIL,
        "No connector routes mail to contoso.com, whose mailboxes are on your own server.",
        code="550 5.4.1",
    )
    return message


def page_of(response: Any) -> str:
    return str(response.content.decode())


def test_the_trace_lists_the_organizations_messages_newest_first(
    admin_client_: Client, contoso: Tenant, fabrikam: Tenant
) -> None:
    traced(
        contoso, "bob@contoso.com", subject="Older", received_at=timezone.now() - timedelta(hours=3)
    )
    traced(
        contoso,
        "john@contoso.com",
        subject="Newer",
        received_at=timezone.now() - timedelta(hours=1),
    )
    traced(fabrikam, "ops@fabrikamlab.com", subject="Fabrikam secret plans")

    response = admin_client_.get(TRACE)

    page = page_of(response)
    assert response.status_code == 200
    assert page.index("Newer") < page.index("Older")
    assert "2 messages" in page
    assert "Fabrikam secret plans" not in page
    assert "ops@fabrikamlab.com" not in page
    for column in ("Date (UTC)", "Sender", "Recipient", "Subject", "Status"):
        assert f'<th scope="col">{column}</th>' in page


def test_dates_are_shown_in_utc(admin_client_: Client, contoso: Tenant) -> None:
    at = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    traced(contoso, "john@contoso.com", received_at=at)

    page = page_of(admin_client_.get(TRACE))

    assert at.astimezone(UTC).strftime("%-m/%-d/%Y, %-I:%M:%S %p") in page


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ({"recipients": "JOHN@"}, ["john@contoso.com"], ["bob@contoso.com"]),
        ({"recipients": "*@sales.contoso.com"}, ["amy@sales.contoso.com"], ["john@contoso.com"]),
        ({"recipients": "john; amy"}, ["john@contoso.com", "amy@sales.contoso.com"], ["bob@"]),
        ({"senders": "Partner.Example"}, ["bob@contoso.com"], ["john@contoso.com"]),
        ({"status": "Failed"}, ["amy@sales.contoso.com"], ["john@contoso.com", "bob@"]),
        ({"status": "Pending"}, ["john@contoso.com"], ["amy@", "bob@"]),
    ],
)
def test_the_search_finds_by_part_of_an_address_and_by_status(
    admin_client_: Client,
    contoso: Tenant,
    query: dict[str, str],
    found: list[str],
    not_found: list[str],
) -> None:
    traced(contoso, "john@contoso.com", status=TraceStatus.PENDING)
    traced(contoso, "bob@contoso.com", sender="ceo@partner.example")
    traced(contoso, "amy@sales.contoso.com", status=TraceStatus.FAILED, failure_code="550 5.4.1")

    response = admin_client_.get(TRACE, query)

    assert response.status_code == 200
    page = page_of(response)
    assert all(address in page for address in found)
    assert not any(address in page for address in not_found)


@pytest.mark.parametrize(
    ("time_range", "ages_found"),
    [("1", [1]), ("", [1, 30]), ("2", [1, 30]), ("7", [1, 30, 100]), ("10", [1, 30, 100, 200])],
)
def test_the_time_range_counts_back_from_now(
    admin_client_: Client, contoso: Tenant, time_range: str, ages_found: list[int]
) -> None:
    ages = [1, 30, 100, 200, 300]  # hours
    for hours in ages:
        traced(
            contoso, f"age{hours}h@contoso.com", received_at=timezone.now() - timedelta(hours=hours)
        )

    page = page_of(admin_client_.get(TRACE, {"time_range": time_range}))

    assert [h for h in ages if f"age{h}h@contoso.com" in page] == ages_found


def test_the_default_search_is_the_eacs_last_two_days(
    admin_client_: Client, contoso: Tenant
) -> None:
    page = page_of(admin_client_.get(TRACE))

    assert 'value="2" required' not in page  # every box may stay empty
    assert 'name="time_range" value="2"' in page
    assert 'value="2" id="id_time_range_1" checked' in page


def test_a_custom_time_range_takes_whole_days_in_utc(
    admin_client_: Client, contoso: Tenant
) -> None:
    day = datetime(2025, 3, 10, tzinfo=UTC)
    traced(contoso, "before@contoso.com", received_at=day - timedelta(seconds=1))
    traced(contoso, "first@contoso.com", received_at=day)
    traced(contoso, "last@contoso.com", received_at=day + timedelta(days=2) - timedelta(seconds=1))
    traced(contoso, "after@contoso.com", received_at=day + timedelta(days=2))

    page = page_of(
        admin_client_.get(
            TRACE, {"time_range": "custom", "start_date": "2025-03-10", "end_date": "2025-03-11"}
        )
    )

    assert "first@contoso.com" in page
    assert "last@contoso.com" in page
    assert "before@contoso.com" not in page
    assert "after@contoso.com" not in page


def test_a_custom_range_without_an_end_runs_until_now(
    admin_client_: Client, contoso: Tenant
) -> None:
    traced(contoso, "old@contoso.com", received_at=timezone.now() - timedelta(days=40))

    page = page_of(admin_client_.get(TRACE, {"time_range": "custom", "start_date": "2000-01-01"}))

    assert "old@contoso.com" in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"time_range": "custom", "start_date": "2025-03-10", "end_date": "2025-03-01"},
            "end_date",
            "The end date can&#x27;t be before the start date.",
        ),
        (
            {"time_range": "custom"},
            "start_date",
            "Enter the first day to search, or choose a time range.",
        ),
        (
            {"time_range": "custom", "start_date": "10th March"},
            "start_date",
            "Enter a date as year-month-day",
        ),
        ({"time_range": "90"}, "time_range", "Choose one of the time ranges."),
        ({"status": "Quarantined"}, "status", "Choose a delivery status from the list."),
        (
            {"senders": ";".join(f"s{i}" for i in range(21))},
            "senders",
            "Enter at most 20 addresses",
        ),
    ],
)
def test_a_refused_search_says_why_beside_its_field(
    admin_client_: Client, contoso: Tenant, query: dict[str, str], field: str, message: str
) -> None:
    traced(contoso, "john@contoso.com")

    response = admin_client_.get(TRACE, query)

    page = page_of(response)
    assert response.status_code == 422
    assert f'<div class="field-error" id="id_{field}_error"><p>{message}' in page
    assert "data-error-summary" in page
    assert "john@contoso.com" not in page  # no results for a search that wasn't run


def test_dates_are_ignored_unless_the_range_is_custom(
    admin_client_: Client, contoso: Tenant
) -> None:
    traced(contoso, "john@contoso.com")

    response = admin_client_.get(TRACE, {"time_range": "2", "start_date": "junk"})

    assert response.status_code == 200
    assert "john@contoso.com" in page_of(response)


def test_show_more_adds_a_page_and_keeps_the_search(admin_client_: Client, contoso: Tenant) -> None:
    for i in range(PAGE + 5):
        traced(contoso, f"user{i}@contoso.com", received_at=timezone.now() - timedelta(seconds=i))
    traced(contoso, "other@contoso.com", sender="someone@else.example")

    first = page_of(admin_client_.get(TRACE, {"senders": "gmail"}))
    more = admin_client_.get(
        TRACE,
        {"senders": "gmail", "limit": str(PAGE * 2)},
        headers={"HX-Request": "true", "HX-Target": "trace-results"},
    )

    assert f"Showing {PAGE} of {PAGE + 5}." in first
    assert "senders=gmail" in first
    assert "limit=100" in first
    assert f"user{PAGE - 1}@contoso.com" in first
    assert f"user{PAGE}@contoso.com" not in first
    assert f"user{PAGE + 4}@contoso.com" in page_of(more)
    assert "Show more messages" not in page_of(more)
    assert "other@contoso.com" not in page_of(more)


def test_htmx_gets_the_results_alone_and_they_poll_only_while_one_is_pending(
    admin_client_: Client, contoso: Tenant
) -> None:
    message = traced(contoso, "john@contoso.com", status=TraceStatus.PENDING)
    headers = {"HX-Request": "true", "HX-Target": "trace-results"}

    pending = admin_client_.get(TRACE, {"recipients": "john"}, headers=headers)
    TracedMessage.objects.filter(pk=message.pk).update(status=TraceStatus.DELIVERED)
    settled = admin_client_.get(TRACE, {"recipients": "john"}, headers=headers)

    assert page_of(pending).lstrip().startswith('<div id="trace-results"')
    assert "<h1>" not in page_of(pending)
    assert 'hx-trigger="every 3s"' in page_of(pending)
    assert "recipients=john" in page_of(pending)  # the poll keeps the search
    assert "hx-trigger" not in page_of(settled).split(">", 1)[0]
    assert "HX-Request" in pending["Vary"]


def test_a_message_shows_its_facts_and_events_in_order(
    admin_client_: Client, contoso: Tenant
) -> None:
    message = traced(contoso, "john@contoso.com", subject="Quarterly report", size=4096)
    event(message, 3, TraceEventKind.DELIVER, "Delivered to the lab's server for contoso.com")
    event(
        message,
        1,
        TraceEventKind.RECEIVE,
        "Received from mail.gmail.com",
        host="mail.gmail.com",
        tls="TLS 1.3",
    )
    event(
        message,
        2,
        TraceEventKind.CONNECTOR,
        "Connector 2 routes contoso.com",
        connector="Connector 2",
    )
    event(message, 4, TraceEventKind.SEND, "Sent on", host="mail.contoso.com", code="250 2.6.0")

    response = admin_client_.get(reverse("lab:traced_message", args=[message.pk]))

    page = page_of(response)
    assert response.status_code == 200
    assert "Quarterly report" in page
    assert message.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "4.0\xa0KB" in page
    assert "127.0.0.20" in page
    positions = [
        page.index(f"<strong>{kind}</strong>")
        for kind in ("Receive", "Connector", "Deliver", "Send")
    ]
    assert positions == sorted(positions)
    assert "<dt>Connector</dt><dd>Connector 2</dd>" in page
    assert "<dt>Host</dt><dd>mail.contoso.com</dd>" in page
    assert "<dt>TLS</dt><dd>TLS 1.3</dd>" in page
    assert "<dt>TLS</dt><dd>Not encrypted</dd>" in page  # the Send above had none
    assert "<dt>Code</dt><dd>250 2.6.0</dd>" in page
    assert '<tr class="selected">' in page  # a full page: the list is there too


def test_a_failed_message_says_its_code_and_why_before_anything_else(
    admin_client_: Client, contoso: Tenant
) -> None:
    message = failed_to_john(contoso)

    page = page_of(admin_client_.get(reverse("lab:traced_message", args=[message.pk])))

    flyout = page[page.index('<aside id="flyout"') :]
    assert "Failed: 550 5.4.1" in flyout
    why = "No connector routes mail to contoso.com, whose mailboxes are on your own server."
    assert flyout.index("Failed: 550 5.4.1") < flyout.index(why) < flyout.index("Message events")


def test_htmx_gets_the_details_alone_and_they_poll_while_pending(
    admin_client_: Client, contoso: Tenant
) -> None:
    message = traced(contoso, "john@contoso.com", status=TraceStatus.PENDING)
    url = reverse("lab:traced_message", args=[message.pk])
    headers = {"HX-Request": "true", "HX-Target": "flyout"}

    pending = page_of(admin_client_.get(url, {"recipients": "john"}, headers=headers))
    TracedMessage.objects.filter(pk=message.pk).update(status=TraceStatus.DELIVERED)
    settled = page_of(admin_client_.get(url, headers=headers))

    assert pending.lstrip().startswith('<aside id="flyout"')
    assert 'hx-trigger="every 3s"' in pending
    assert f'hx-get="{url}?recipients=john' in pending
    assert "Pending:" in pending
    assert "<h1>" not in pending
    assert "hx-trigger" not in settled.split(">", 1)[0]


def test_another_organizations_message_is_not_found(
    admin_client_: Client, fabrikam: Tenant
) -> None:
    theirs = traced(fabrikam, "ops@fabrikamlab.com")

    response = admin_client_.get(reverse("lab:traced_message", args=[theirs.pk]))

    assert response.status_code == 404


def test_a_stranger_sees_only_their_own_organizations_trace(
    stranger_client: Client, contoso: Tenant, fabrikam: Tenant
) -> None:
    traced(contoso, "john@contoso.com", subject="Contoso only")
    traced(fabrikam, "ops@fabrikamlab.com", subject="Fabrikam only")

    page = page_of(stranger_client.get(TRACE, {"time_range": "10"}))

    assert "Fabrikam only" in page
    assert "Contoso only" not in page


def test_a_view_only_admin_may_trace_messages(viewer_client: Client, contoso: Tenant) -> None:
    traced(contoso, "john@contoso.com")

    assert "john@contoso.com" in page_of(viewer_client.get(TRACE))


def test_message_trace_is_a_link_under_mail_flow(admin_client_: Client) -> None:
    page = page_of(admin_client_.get(reverse("connectors:list")))

    assert f'href="{TRACE}">Message trace</a>' in page
    assert 'aria-disabled="true">Message trace' not in page


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client: Client, contoso: Tenant) -> None:
    response = client.get(TRACE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "9999-12-31"), ("9999-12-31", "")])
def test_the_first_and_last_dates_there_are_are_answered(
    admin_client_: Client, contoso: Tenant, start: str, end: str
) -> None:
    response = admin_client_.get(
        TRACE, {"time_range": "custom", "start_date": start, "end_date": end}
    )

    assert response.status_code == 200
