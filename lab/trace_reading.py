"""What a traced message's events say about its path: which inbound connector took it, which
outbound connector (or MX) Office 365 chose, where it failed. Read by the explorer's test message
and by inbound connector validation, to set what happened beside what was predicted or expected.

lab.office writes one Connector event for the inbound side ("Inbound connector X took the
message…") and one for the outbound decision ("Outbound connector Y, chosen by…" or "No outbound
connector applies…"); the inbound one is told apart by those words, which tests hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus

INBOUND_WORDS = "Inbound connector "  # how lab.office starts the inbound Connector event


@dataclass(frozen=True)
class Observed:
    """The path a traced message took, as far as it went."""

    status: str
    inbound: TraceEvent | None  # the inbound connector's event; None: none took it
    outbound: (
        TraceEvent | None
    )  # the outbound decision; None: never made (delivered inside, refused)
    failure: TraceEvent | None  # the last Fail event of a failed message

    @property
    def inbound_connector(self) -> str:
        return self.inbound.connector if self.inbound else ""

    @property
    def outbound_connector(self) -> str | None:
        """The connector chosen to leave Office 365; "" by MX; None when no decision was made."""
        return None if self.outbound is None else self.outbound.connector

    @property
    def refused_on_arrival(self) -> bool:
        """Refused at RCPT TO: Office 365 never took the message, so nothing was decided."""
        return self.status == TraceStatus.FAILED and self.inbound is None and self.outbound is None

    @property
    def failure_code(self) -> str:
        return self.failure.code if self.failure else ""

    @property
    def failure_cause_and_fix(self) -> tuple[str, str]:
        """lab.office writes a Fail event as "<reply>. <cause> Fix: <fix>"; the reply stays with
        the cause (a reply may hold sentences of its own, so it isn't cut off)."""
        if self.failure is None:
            return "", ""
        cause, _, fix = self.failure.detail.partition(" Fix: ")
        return cause.strip(), fix.strip()

    @property
    def connectors(self) -> list[str]:
        """The connectors it went through, in order."""
        return [name for name in (self.inbound_connector, self.outbound_connector) if name]


def observe(message: TracedMessage, events: Sequence[TraceEvent]) -> Observed:
    connector_events = [e for e in events if e.kind == TraceEventKind.CONNECTOR]
    inbound = next((e for e in connector_events if e.detail.startswith(INBOUND_WORDS)), None)
    outbound = next((e for e in connector_events if e is not inbound), None)
    failure = None
    if message.status == TraceStatus.FAILED:
        failure = next((e for e in reversed(events) if e.kind == TraceEventKind.FAIL), None)
    return Observed(message.status, inbound, outbound, failure)
