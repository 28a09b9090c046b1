"""Office 365 sending a message on, as the front door does for a mailbox on your server or on the
internet: the connection, TLS and certificate checks of connector validation (validation.probe),
with the real message instead of the test one. Plain Python, no Django.

Reusing the probe's stages means a relay fails exactly as a validation of the same connector
would (450 4.4.316 Connection refused, 450 4.7.320 Certificate validation failed…), with the
same plain cause and fix, and obeys the same egress policy: the front door's relay is built with
the lab's policy, 127.0.0.0/8 and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_network
from typing import Any

import dns.resolver

from validation.policy import EgressPolicy
from validation.probe import (
    ProbeConfig,
    TaskName,
    TaskResult,
    TaskStatus,
    TlsMode,
    _Done,
    _Host,
    _Probe,
    _StageFailed,
)
from validation.smtp_session import Watchdog, reply_line

LAB_NETWORK = "127.0.0.0/8"
HELO_NAME = "lab.outbound.protection.outlook.com"  # Office 365's outbound servers say such a name
STAGE_TIMEOUT_SECONDS = 5.0
TOTAL_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Route:
    """Where a relay goes: a connector's smart hosts, or the MX hosts of `mx_domains`."""

    smart_hosts: tuple[str, ...] = ()
    mx_domains: tuple[str, ...] = ()
    tls_mode: TlsMode = TlsMode.OPPORTUNISTIC
    tls_domain: str = ""


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    host: str  # the host that took the message, or the last one tried
    address: str
    tls_version: str  # "" when it went unencrypted (or never got that far)
    reply: str  # the receiving server's last reply, when it refused
    error: str  # the EAC-style error of the first failed stage
    cause: str
    fix: str


@dataclass(frozen=True)
class Lab:
    """Where the lab's servers are, for the relay: its DNS port, SMTP port and CA file."""

    dns_port: int
    smtp_port: int
    ca_file: str

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.dns_port
        resolver.timeout = resolver.lifetime = 2.0
        return resolver


def lab_policy() -> EgressPolicy:
    """The front door only ever talks to the lab's own addresses."""
    return EgressPolicy((ip_network(LAB_NETWORK),), lab_only=True)


def relay(lab: Lab, route: Route, *, sender: str, recipient: str, payload: bytes) -> Outcome:
    """Send `payload` (headers and body, as after DATA) to `recipient` along `route`."""
    config = ProbeConfig(
        run_id="",
        sender=sender,
        recipients=(recipient,),
        smart_hosts=route.smart_hosts,
        mx_domains=route.mx_domains,
        port=lab.smtp_port,
        tls_mode=route.tls_mode,
        tls_domain=route.tls_domain,
        ca_file=lab.ca_file,
        helo_name=HELO_NAME,
        stage_timeout=STAGE_TIMEOUT_SECONDS,
        total_timeout=TOTAL_TIMEOUT_SECONDS,
    )
    with Watchdog(config.total_timeout) as watchdog:
        sending = _Relay(config, lab.resolver(), lab_policy(), watchdog, payload)
        try:
            sending.run()
        finally:
            sending.leave_all()
    return _outcome(sending.tasks, sending.good)


class _Relay(_Probe):
    """The probe, sending the message it is given rather than its test message."""

    def __init__(
        self, config: ProbeConfig, resolver: Any, policy: Any, watchdog: Any, payload: bytes
    ):
        super().__init__(config, resolver, policy, watchdog, None, None)
        self.payload = payload

    def send_test_message(self, host: _Host, recipient: str, *, first: bool) -> _Done:
        if host.name == "" or host.session is None or host.session.sock is None:
            what = "MX host" if self.config.mx_domains else "smart host"
            raise _StageFailed(
                f"450 4.4.317 Cannot connect to remote server [Message=No {what} passed the checks]",
                "no-host",
                what=what,
            )
        session = host.session
        facts: dict[str, Any] = {
            "host": host.name,
            "recipient": recipient,
            "sender": self.config.sender,
        }
        with self.talking(host, "while we sent the message"):
            code, message = session.mail(self.config.sender)
            if code != 250:
                raise _StageFailed(reply_line(code, message), "sender-refused", **facts)
            code, message = session.rcpt(recipient)
            if code not in (250, 251):
                raise _StageFailed(reply_line(code, message), "recipient-rejected", **facts)
            code, message = session.docmd("DATA")
            if code != 354:
                raise _StageFailed(reply_line(code, message), "data-refused", **facts)
            session.send_message_data(self.payload)
            code, message = session.getreply()
            if code != 250:
                raise _StageFailed(reply_line(code, message), "message-refused", **facts)
        return _Done(detail=reply_line(code, message))


def _outcome(tasks: list[TaskResult], good: _Host | None) -> Outcome:
    """What the trace says of a relay: the host that took the message (or the last one tried), its
    TLS, and the first failure in the probe's words."""
    sent = next((t for t in tasks if t.name == TaskName.SEND), None)
    delivered = sent is not None and sent.status is TaskStatus.SUCCEEDED
    failed = next((t for t in tasks if t.status is TaskStatus.FAILED), None)
    last = tasks[-1] if tasks else None
    tried = failed or last
    host = good.name if good is not None else (tried.host if tried is not None else "")
    tls = next(
        (t for t in tasks if t.name == TaskName.TLS and t.host == host and _encrypted(t)), None
    )
    stopped_by = None if delivered else failed
    return Outcome(
        delivered=delivered,
        host=host,
        address=good.address if good is not None else (last.address if last else ""),
        tls_version=_tls_version(tls) if tls is not None else "",
        reply=sent.detail if delivered and sent is not None else "",
        error=stopped_by.error if stopped_by else "",
        cause=stopped_by.cause if stopped_by else "",
        fix=stopped_by.fix if stopped_by else "",
    )


def _encrypted(task: TaskResult) -> bool:
    """A TLS stage that negotiated encryption: it succeeded, or it refused the certificate only
    after the handshake (the connection was encrypted all the same)."""
    if task.status is TaskStatus.SUCCEEDED:
        return True
    return task.certificate is not None and bool(task.certificate.tls_version)


def _tls_version(task: TaskResult) -> str:
    if task.certificate is not None and task.certificate.tls_version:
        return task.certificate.tls_version
    return task.detail.split(";", 1)[0]
