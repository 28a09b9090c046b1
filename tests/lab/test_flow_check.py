"""The explorer's prediction against what the trace says (lab/flow_check.py), and an inbound
connector's verdict when Office 365 refused the message (lab/inbound_check.py), on plain facts."""

from __future__ import annotations

from connectors.mailflow import explorer
from connectors.mailflow.explorer import Hop, Party, Path
from connectors.models import InboundConnector
from lab.flow_check import compare
from lab.inbound_check import verdict
from lab.models import TraceEvent, TraceStatus
from lab.trace_reading import Observed

SUN = Party("sun@wingtiptoys.com", "wingtiptoys.com", explorer.INTERNET, "internet")
ANN = Party("ann@tailspintoys.com", "tailspintoys.com", explorer.PARTNER, "partner")
JOHN = Party("john@contoso.com", "contoso.com", explorer.YOUR_ORG, "your server")


def path(sender: Party, *hops: Hop) -> Path:
    return Path(sender, JOHN, hops, "")


def connector_event(detail: str, name: str) -> TraceEvent:
    return TraceEvent(kind="Connector", detail=detail, connector=name)


INTO = Hop(explorer.INTERNET, explorer.OFFICE_365, "", "MX")
OUT_2 = Hop(explorer.OFFICE_365, explorer.YOUR_ORG, "Connector 2", "exact")
OUT_NONE_BROKEN = Hop(explorer.OFFICE_365, explorer.YOUR_ORG, "", "none", problem="no connector")


def test_another_outbound_connector_than_predicted_is_called_out() -> None:
    observed = Observed(
        TraceStatus.DELIVERED,
        None,
        connector_event("Outbound connector Connector 3, chosen by…", "Connector 3"),
        None,
    )
    result = compare(path(SUN, INTO, OUT_2), observed)
    assert result is not None
    assert not result.matches
    assert result.sentence == (
        "The explorer predicted it would leave Office 365 through Connector 2, but it left "
        "through Connector 3."
    )


def test_a_partner_taken_as_internet_mail_is_called_out() -> None:
    into = Hop(explorer.PARTNER, explorer.OFFICE_365, "From Tailspin", "partner")
    observed = Observed(
        TraceStatus.DELIVERED,
        None,
        connector_event("Outbound connector Connector 2, chosen by…", "Connector 2"),
        None,
    )
    result = compare(path(ANN, into, OUT_2), observed)
    assert result is not None
    assert result.sentence == (
        "The explorer predicted Office 365 would take it through From Tailspin, but it took it "
        "as internet mail, through no connector."
    )


def test_delivered_where_the_explorer_said_it_would_not_flow() -> None:
    observed = Observed(TraceStatus.DELIVERED, None, None, None)
    result = compare(path(SUN, INTO, OUT_NONE_BROKEN), observed)
    assert result is not None
    assert not result.matches
    assert result.sentence.startswith("The explorer predicted this message would not flow, but")


def test_nothing_is_said_while_pending() -> None:
    assert compare(path(SUN, INTO, OUT_2), Observed(TraceStatus.PENDING, None, None, None)) is None


def test_a_refused_validation_gives_office_365s_cause_and_fix() -> None:
    fail = TraceEvent(
        kind="Fail",
        code="550 5.7.51",
        detail="550 5.7.51 TenantInboundAttribution; There is a partner connector. The "
        "connector requires TLS. Cause here. Fix: Send over TLS.",
    )
    connector = InboundConnector(name="From Tailspin", connector_type="Partner")
    result = verdict(connector, Observed(TraceStatus.FAILED, None, None, fail))
    assert not result.passed
    assert result.headline.startswith("Office 365 refused the test message (550 5.7.51)")
    assert result.cause.endswith("Cause here.")
    assert result.fix == "Send over TLS."
