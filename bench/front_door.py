"""The Office 365 front door under load, run by `make bench` (never by the test suite):

The lab and its front door start on free ports over a scratch SQLite database holding the demo
tenants (`load_demo`). AT_REST messages go one at a time, each finished before the next; then
THREADS sending servers hand MESSAGES messages to the front door at once with smtplib, one
connection each (EHLO, STARTTLS with the lab CA, MAIL, RCPT, DATA, QUIT), as
Sun on the internet: half to Bob, whose mailbox is in Office 365 (delivered there), half to
John, whose mailbox is on Contoso's server (relayed through Contoso's outbound connector to the
lab's server, with TLS and the certificate checked). It prints:

- messages per second accepted: MESSAGES over the time from the first connection to the last
  250 (each message's traced rows are written before its 250);
- the time from each message's Receive event to its last event (Deliver, Send, or Fail), from
  the trace's timestamps: p50 and p95, for each kind of recipient and together, at rest and
  under load (where the deliveries queue for the front door's four delivery threads).

Figures only: a benchmark reports, it never asserts a timing. `--messages` and `--threads`
change the load (at most 2,000 messages)."""

from __future__ import annotations

import argparse
import io
import logging
import smtplib
import ssl
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
parser = argparse.ArgumentParser()
parser.add_argument("--messages", type=int, default=200)
parser.add_argument("--threads", type=int, default=8)
arguments = parser.parse_args()
MESSAGES = max(1, min(arguments.messages, 2000))  # bounded: the trace is a SQLite file
THREADS = max(1, min(arguments.threads, 64))
AT_REST = 20  # messages sent one at a time first
SETTLE_SECONDS = 120  # the longest the deliveries may take after the last 250

from bench.django_setup import start_django  # noqa: E402

scratch = start_django("eac-bench-front-door-")

from django.core.management import call_command  # noqa: E402

from lab.models import TracedMessage, TraceEvent, TraceEventKind, TraceStatus  # noqa: E402
from lab.runtime import start_lab  # noqa: E402
from lab.server import Lab  # noqa: E402

SENDER = "sun@wingtiptoys.com"
RECIPIENTS = ("bob@contoso.com", "john@contoso.com")  # in Office 365; on Contoso's server
FINAL = {TraceEventKind.DELIVER, TraceEventKind.SEND, TraceEventKind.FAIL}


def tls_context(lab: Lab) -> ssl.SSLContext:
    assert lab.files is not None
    context = ssl.create_default_context(cafile=str(lab.files.ca))
    # Connected to 127.0.0.1; the front door's certificate names Office 365's hosts.
    context.check_hostname = False
    return context


def message_to(recipient: str, number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = SENDER, recipient
    message["Subject"] = f"Bench message {number}"
    message.set_content("A message through the lab's Office 365 front door.\n" * 20)
    return message


def send_one(port: int, context: ssl.SSLContext, number: int) -> float:
    """One message on its own connection, as a sending server hands it over; when its DATA was
    answered (time.monotonic())."""
    recipient = RECIPIENTS[number % len(RECIPIENTS)]
    with smtplib.SMTP("127.0.0.1", port, local_hostname="mx.wingtiptoys.com", timeout=30) as c:
        c.starttls(context=context)
        c.send_message(message_to(recipient, number), from_addr=SENDER, to_addrs=[recipient])
    return time.monotonic()


def send_all(lab: Lab) -> tuple[float, int]:
    """MESSAGES messages from THREADS threads; the seconds from the first connection to the last
    250, and how many were refused."""
    assert lab.front_door_port is not None
    context = tls_context(lab)
    refused = 0
    lock = threading.Lock()

    def send(number: int) -> float:
        nonlocal refused
        try:
            return send_one(lab.front_door_port or 0, context, number)
        except (smtplib.SMTPException, OSError) as exc:
            with lock:
                refused += 1
            print(f"  message {number} refused: {exc}", file=sys.stderr)
            return 0.0

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answered = list(pool.map(send, range(MESSAGES)))
    return max(answered, default=started) - started, refused


def wait_until_settled() -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while TracedMessage.objects.filter(status=TraceStatus.PENDING).exists():
        if time.monotonic() > deadline:
            print(f"  still pending after {SETTLE_SECONDS} s; reporting what finished")
            return
        time.sleep(0.1)


def receive_to_final() -> dict[str, list[float]]:
    """Per recipient, each finished message's seconds from Receive to its last event."""
    times: dict[uuid.UUID, dict[str, float]] = {}
    for message_id, kind, at in TraceEvent.objects.values_list("message_id", "kind", "at"):
        moments = times.setdefault(message_id, {})
        if kind == TraceEventKind.RECEIVE:
            moments["receive"] = at.timestamp()
        elif kind in FINAL:
            moments["final"] = max(moments.get("final", 0.0), at.timestamp())
    recipients = dict(TracedMessage.objects.values_list("id", "recipient"))
    spans: dict[str, list[float]] = {}
    for message_id, moments in times.items():
        if "receive" in moments and "final" in moments:
            span = moments["final"] - moments["receive"]
            spans.setdefault(recipients[message_id], []).append(span)
    return spans


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(label: str, spans: list[float]) -> None:
    if not spans:
        print(f"  {label}: no finished messages")
        return
    p50 = statistics.median(spans) * 1000
    p95 = percentile(spans, 0.95) * 1000
    print(f"  {label}: {len(spans)} messages, p50 {p50:.0f} ms / p95 {p95:.0f} ms")


def at_rest(lab: Lab) -> None:
    """One message at a time, each finished before the next: the time a message takes when
    nothing queues ahead of it."""
    context = tls_context(lab)
    for number in range(AT_REST):
        send_one(lab.front_door_port or 0, context, number)
        wait_until_settled()
    print(f"At rest ({AT_REST} messages, one at a time), Receive to the final event:")
    report_spans()


def under_load(lab: Lab) -> None:
    seconds, refused = send_all(lab)
    wait_until_settled()
    statuses = Counter(TracedMessage.objects.values_list("status", flat=True))
    print(f"Under load: {MESSAGES} messages from {THREADS} threads, one connection each, STARTTLS")
    print(
        f"  accepted: {MESSAGES - refused} in {seconds:.2f} s = "
        f"{(MESSAGES - refused) / seconds:.1f} messages/s; refused {refused}"
    )
    print("  trace: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    print("  Receive to the final event (Deliver, Send or Fail), from the trace's timestamps:")
    report_spans()


def report_spans() -> None:
    spans = receive_to_final()
    report("bob@contoso.com (delivered in Office 365)", spans.get("bob@contoso.com", []))
    report("john@contoso.com (sent on through Connector 2)", spans.get("john@contoso.com", []))
    report("all", [s for values in spans.values() for s in values])


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every command
    logging.getLogger("lab.smtp").setLevel(logging.WARNING)  # and the lab every message
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    lab = start_lab(var_dir=scratch, dns_port=0, smtp_port=0, front_door_port=0)
    try:
        send_one(lab.front_door_port or 0, tls_context(lab), 0)  # warm up: imports, first TLS
        wait_until_settled()
        for phase in (at_rest, under_load):
            TracedMessage.objects.all().delete()
            phase(lab)
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
