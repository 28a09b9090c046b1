"""The explorer's prediction set beside what the front door did with the same message: one
sentence saying they agree, or the first way they differ (outcome first, then the connector that
took it in, then the one that took it out)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.mailflow import explorer
from lab.models import TraceStatus
from lab.trace_reading import Observed


@dataclass(frozen=True)
class Comparison:
    matches: bool
    sentence: str


def predicted_inbound(path: explorer.Path) -> str:
    """The connector the explorer says takes the message into Office 365 ("" none)."""
    return next(
        (
            h.connector
            for h in path.hops
            if h.target == explorer.OFFICE_365 and h.source != explorer.OFFICE_365
        ),
        "",
    )


def predicted_outbound(path: explorer.Path) -> str | None:
    """The connector the explorer says takes it out of Office 365; "" by MX; None: it stays."""
    hop = next(
        (
            h
            for h in path.hops
            if h.source == explorer.OFFICE_365 and h.target != explorer.OFFICE_365
        ),
        None,
    )
    return None if hop is None else hop.connector


def _through(names: list[str]) -> str:
    return " through " + ", then ".join(names) if names else " with no connector"


def _taken_in(name: str) -> str:
    return f"through {name}" if name else "as internet mail, through no connector"


def _taken_out(name: str) -> str:
    return f"through {name}" if name else "by MX, through no connector"


def _failed_words(observed: Observed) -> str:
    code = observed.failure_code or "an error"
    if observed.refused_on_arrival:
        return f"Office 365 refused it on arrival with {code}"
    failure = observed.failure
    if failure is not None and failure.host:
        through = f" through {failure.connector}" if failure.connector else ""
        return f"it failed with {code} sending to {failure.host}{through}"
    return f"it failed with {code}"


def compare(path: explorer.Path, observed: Observed) -> Comparison | None:
    """None while the message is still on its way."""
    if observed.status == TraceStatus.PENDING:
        return None
    delivered = observed.status == TraceStatus.DELIVERED
    predicted = [name for name in (predicted_inbound(path), predicted_outbound(path) or "") if name]
    if path.flows and not delivered:
        return Comparison(
            False,
            f"The explorer predicted delivery{_through(predicted)}, but {_failed_words(observed)}.",
        )
    if not path.flows and delivered:
        return Comparison(
            False,
            "The explorer predicted this message would not flow, but it was delivered"
            f"{_through(observed.connectors)}.",
        )
    if not observed.refused_on_arrival:
        expected_in, actual_in = predicted_inbound(path), observed.inbound_connector
        if expected_in != actual_in:
            return Comparison(
                False,
                f"The explorer predicted Office 365 would take it {_taken_in(expected_in)}, but "
                f"it took it {_taken_in(actual_in)}.",
            )
        expected_out, actual_out = predicted_outbound(path), observed.outbound_connector
        if expected_out is not None and actual_out is not None and expected_out != actual_out:
            return Comparison(
                False,
                f"The explorer predicted it would leave Office 365 {_taken_out(expected_out)}, "
                f"but it left {_taken_out(actual_out)}.",
            )
    if delivered:
        return Comparison(
            True,
            f"What happened matches the prediction: delivered{_through(observed.connectors)}.",
        )
    return Comparison(
        True, f"As predicted, the message didn't get through: {_failed_words(observed)}."
    )
