"""The connector validation probe (SPEC §6): plain Python, no Django.

Input is a frozen ProbeConfig, a dnspython resolver and an egress policy; output is a ProbeOutcome
with one TaskResult per stage and a transcript. The caller (the Celery task) persists results as
they arrive through `on_task`, and can stop the run between stages through `should_stop`.

CONTRACT — the types below are used by the rest of the project; the implementation of
`run_probe` follows them.

How it works: per host, Resolve → Connect → SMTP EHLO → TLS, each a small method that returns a
`_Done` or raises `_StageFailed` with the EAC-style error and its cause and fix in plain words; then
one "Send test email" per recipient through the first host that passed, in that host's session.
Traps it avoids (engineering notes B.1, B.5, D): smtplib's starttls() without a context verifies
nothing, and takes the TLS name from `_host`; getaddrinfo is never used (so no unbounded, unchecked
lookup); a tarpit that trickles bytes never trips a per-recv timeout, so a watchdog enforces the
run's total deadline.
"""

from __future__ import annotations

import contextlib
import email.policy
import ipaddress
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import StrEnum
from typing import Any

import dns.exception
import dns.resolver
from cryptography import x509
from cryptography.x509.oid import NameOID

from validation.policy import EgressPolicy


class TaskName(StrEnum):
    RESOLVE = "Resolve"
    CONNECT = "Connect"
    EHLO = "SMTP EHLO"
    TLS = "TLS"
    SEND = "Send test email"


class TaskStatus(StrEnum):
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"  # not applicable (e.g. TLS not offered and not required), or stopped


class TlsMode(StrEnum):
    """The connector's TlsSettings; OPPORTUNISTIC is $null (STARTTLS when offered)."""

    OPPORTUNISTIC = "Opportunistic"
    ENCRYPTION_ONLY = "EncryptionOnly"
    CERTIFICATE_VALIDATION = "CertificateValidation"
    DOMAIN_VALIDATION = "DomainValidation"


# The EAC-style errors (SPEC §6), as shown to the admin.
DNS_QUERY_FAILED = "450 4.4.312 DNS query failed"
CONNECTION_TIMED_OUT = "450 4.4.315 Connection timed out"
CONNECTION_REFUSED = "450 4.4.316 Connection refused"
CANNOT_CONNECT = "450 4.4.317 Cannot connect to remote server"
CLOSED_ABRUPTLY = "450 4.4.318 Connection was closed abruptly"
CERTIFICATE_VALIDATION_FAILED = "450 4.7.320 Certificate validation failed"


@dataclass(frozen=True)
class ProbeConfig:
    run_id: str  # also in each test message's X-EAC-Validation-Run header
    sender: str  # MAIL FROM, O365ConnectorValidation@<initial domain>
    recipients: tuple[str, ...]  # one test message each, through the first good host
    smart_hosts: tuple[str, ...] = ()  # canonical smart hosts (FQDN, IPv4, IPv6, IPv4 CIDR)
    mx_domains: tuple[str, ...] = ()  # with UseMXRecord: the domains whose MX hosts are probed
    port: int = 25
    tls_mode: TlsMode = TlsMode.OPPORTUNISTIC
    tls_domain: str = ""  # DomainValidation: the certificate must match this (may be *.domain)
    ca_file: str | None = None  # extra trust anchors, added to the system store
    helo_name: str = "localhost"
    stage_timeout: float = 10.0  # seconds, for each network step
    total_timeout: float = 90.0  # seconds, for the whole run


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    sans: tuple[str, ...]
    issuer: str
    not_before: datetime
    not_after: datetime
    tls_version: str  # e.g. "TLSv1.3"
    cipher: str
    trusted: bool | None  # None: not checked (EncryptionOnly / opportunistic)
    trust_error: str  # why the chain isn't trusted, in words ("certificate has expired")
    name_matched: bool | None  # None: no name required (not DomainValidation)


@dataclass(frozen=True)
class TaskResult:
    name: TaskName
    host: str  # the smart host or MX host as configured / found
    address: str  # the IP connected to ("" before one is chosen)
    status: TaskStatus
    started: datetime  # UTC
    duration_ms: int
    detail: str = ""  # e.g. the recipient for "Send test email", the addresses for "Resolve"
    replies: tuple[str, ...] = ()  # server replies of this stage, e.g. "250-STARTTLS"
    certificate: CertificateSummary | None = None
    error: str = ""  # one of the EAC-style errors above, with "[Message=…]" where useful
    cause: str = ""  # plain-language cause
    fix: str = ""  # plain-language fix


@dataclass(frozen=True)
class ProbeOutcome:
    tasks: tuple[TaskResult, ...]
    transcript: tuple[str, ...]  # swaks-style lines, secrets redacted, message bodies omitted
    stopped: bool = False  # should_stop() said so before the run finished

    @property
    def succeeded(self) -> bool:
        return (
            not self.stopped
            and all(t.status != TaskStatus.FAILED for t in self.tasks)
            and any(
                t.name == TaskName.SEND and t.status == TaskStatus.SUCCEEDED for t in self.tasks
            )
        )


def run_probe(
    config: ProbeConfig,
    *,
    resolver: dns.resolver.Resolver,
    policy: EgressPolicy,
    on_task: Callable[[TaskResult], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ProbeOutcome:
    probe = _Probe(config, resolver, policy, on_task, should_stop)
    with _Watchdog(config.total_timeout) as watchdog:
        probe.watchdog = watchdog
        try:
            probe.run()
        except _Stopped:
            probe.stopped = True
            probe.note("=== Stopped on request")
        finally:
            probe.leave_all()
    return ProbeOutcome(tuple(probe.tasks), tuple(probe.transcript), stopped=probe.stopped)


# --- Implementation ------------------------------------------------------------------------------

TEST_SUBJECT = "Test email for connector validation"
RUN_HEADER = "X-EAC-Validation-Run"
HOST_STAGES = (TaskName.RESOLVE, TaskName.CONNECT, TaskName.EHLO, TaskName.TLS)
# A domain may list many MX hosts; checking more than a few would only spend the time budget.
MAX_MX_HOSTS = 5
# OpenSSL's reasons for "no TLS version in common", from either side of the handshake.
OLD_TLS_REASONS = frozenset(
    {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE"}
)
# The server hung up, in the words of smtplib, the socket or OpenSSL.
CLOSED_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionError, ssl.SSLEOFError)
# OpenSSL verify codes (X509_V_ERR_*) that have words of their own.
CERTIFICATE_WORDS = {9: "not-yet-valid", 10: "expired", 18: "self-signed", 19: "self-signed"}


class _Stopped(Exception):
    """should_stop() said so: the run ends cleanly between stages."""


class _StageFailed(Exception):
    """A task's failure: an EAC-style error, with its cause and fix from WORDS filled in."""

    def __init__(
        self,
        error: str,
        words: str,
        *,
        certificate: CertificateSummary | None = None,
        **facts: Any,
    ) -> None:
        super().__init__(error)
        cause, fix = WORDS[words]
        self.error, self.cause, self.fix = error, cause.format(**facts), fix.format(**facts)
        self.certificate = certificate


@dataclass(frozen=True)
class _Done:
    status: TaskStatus = TaskStatus.SUCCEEDED
    detail: str = ""
    certificate: CertificateSummary | None = None


@dataclass
class _Host:
    """One host the probe checks: a smart host, a mail domain, or an MX host found for one."""

    name: str
    via: str = ""  # how it was found, e.g. "MX 10 of contoso.com"
    addresses: tuple[str, ...] = ()
    mx_hosts: tuple[tuple[int, str], ...] = ()
    address: str = ""  # the address connected to (or last tried)
    session: _Session | None = None


class _Clock:
    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self._start = time.monotonic()

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self._start) * 1000)


class _Session(smtplib.SMTP):
    """smtplib pinned to an address the policy already checked, writing the transcript as it goes.

    smtplib takes the TLS name (SNI) from `_host`, which only its constructor sets; we construct it
    without a host (so it never calls getaddrinfo), set `_host` to the name, and open the socket to
    the pinned address ourselves.
    """

    def __init__(
        self, name: str, helo_name: str, transcript: list[str], replies: list[str]
    ) -> None:
        super().__init__(local_hostname=helo_name)  # a local name, or smtplib would ask DNS
        self._host = name
        self.transcript = transcript
        self.replies = replies
        self.encrypted = False
        self.broken = False  # the transport failed: close without QUIT

    def open(self, address: str, port: int, timeout: float) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
        try:
            sock.settimeout(timeout)
            sock.connect((address, port))
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def putcmd(self, cmd: str, args: str = "") -> None:
        cmd = cmd.upper()
        self.log("->", "AUTH [redacted]" if cmd == "AUTH" else f"{cmd} {args}".rstrip())
        super().putcmd(cmd, args)

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        lines = message.decode("utf-8", "replace").split("\n")
        for index, line in enumerate(lines):
            reply = f"{code}{'-' if index < len(lines) - 1 else ' '}{line}".rstrip()
            self.replies.append(reply)
            self.log("<-", reply)
        return code, message

    def send_message_data(self, payload: bytes) -> None:
        """The message itself, after DATA's 354; the transcript shows its size, never its text."""
        self.log("->", f"[message, {len(payload)} bytes]")
        self.send(payload)

    def log(self, arrow: str, text: str) -> None:
        if self.encrypted:  # swaks' arrows inside TLS
            arrow = {"->": "~>", "<-": "<~"}[arrow]
        self.transcript.append(f"{arrow} {text}")

    def start_tls(self, context: ssl.SSLContext) -> None:
        code, message = self.docmd("STARTTLS")
        if code != 220:
            raise smtplib.SMTPResponseException(code, message)
        if self.file is not None:
            # Drop whatever the server sent ahead of the handshake (STARTTLS command injection).
            self.file.close()
            self.file = None
        assert self.sock is not None  # docmd() just used it
        # Wrap first and shake hands second, so the watchdog can already shut the TLS socket down.
        tls = context.wrap_socket(
            self.sock, server_hostname=self._host, do_handshake_on_connect=False
        )
        self.sock = tls
        self.encrypted = True
        tls.do_handshake()
        # RFC 3207: forget everything learnt before TLS; the caller says EHLO again.
        self.helo_resp = self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False

    @property
    def tls_socket(self) -> ssl.SSLSocket:
        assert isinstance(self.sock, ssl.SSLSocket)
        return self.sock


class _Watchdog:
    """Ends the run at its total deadline.

    Socket timeouts can't: a server that trickles one byte a second never lets a single recv()
    time out. So a timer shuts the current socket down, which wakes up whatever waits on it.
    """

    def __init__(self, seconds: float) -> None:
        self.budget = seconds
        self.fired = False
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._session: _Session | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        self._timer.join()

    @property
    def expired(self) -> bool:
        return self.fired or self.remaining() <= 0

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def guard(self, session: _Session | None) -> None:
        with self._lock:
            self._session = session

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._session.sock if self._session is not None else None
            if sock is not None:
                # The plain socket's shutdown, even for an SSLSocket: SSLSocket.shutdown() would
                # also drop its SSL object under the reading thread's feet.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Probe:
    watchdog: _Watchdog

    def __init__(
        self,
        config: ProbeConfig,
        resolver: dns.resolver.Resolver,
        policy: EgressPolicy,
        on_task: Callable[[TaskResult], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.config = config
        self.resolver = resolver
        self.policy = policy
        self.on_task = on_task
        self.should_stop = should_stop
        self.tasks: list[TaskResult] = []
        self.transcript: list[str] = []
        self.replies: list[str] = []  # the current task's server replies
        self.stopped = False
        self.good: _Host | None = None  # the first host to pass every stage sends the messages
        self.open_hosts: list[_Host] = []

    # --- The run ---------------------------------------------------------------------------------

    def run(self) -> None:
        for entry in self.config.mx_domains or self.config.smart_hosts:
            self.check_entry(entry)
        host = self.good or _Host(name="")
        for index, recipient in enumerate(self.config.recipients):

            def send(host: _Host, recipient: str = recipient, first: bool = index == 0) -> _Done:
                return self.send_test_message(host, recipient, first=first)

            self.stage(TaskName.SEND, host, send, detail=recipient)
        self.leave(host)

    def check_entry(self, entry: str) -> None:
        host = _Host(name=entry.strip().rstrip("."))
        if not self.stage(TaskName.RESOLVE, host, self.resolve_entry):
            self.skip_after(TaskName.RESOLVE, host)
        elif host.mx_hosts:
            # A mail domain: each of its MX hosts, by preference, is a host of its own.
            for preference, name in host.mx_hosts[:MAX_MX_HOSTS]:
                mx = _Host(name=name, via=f"MX {preference} of {host.name}")
                if self.stage(TaskName.RESOLVE, mx, self.resolve_mx_host):
                    self.check_connection(mx)
                else:
                    self.skip_after(TaskName.RESOLVE, mx)
        else:
            self.check_connection(host)

    def check_connection(self, host: _Host) -> None:
        for name, step in (
            (TaskName.CONNECT, self.connect),
            (TaskName.EHLO, self.greet),
            (TaskName.TLS, self.secure),
        ):
            if not self.stage(name, host, step):
                self.skip_after(name, host)
                self.leave(host)
                return
        if self.good is None:
            self.good = host  # keep its session open: the test messages go through it
        else:
            self.leave(host)

    def stage(
        self, name: TaskName, host: _Host, step: Callable[[_Host], _Done], detail: str = ""
    ) -> bool:
        """Run one task and record it; True when the host may go on to its next stage."""
        if self.should_stop is not None and self.should_stop():
            raise _Stopped
        clock = _Clock()
        if self.watchdog.expired:
            self.record(name, host, clock, TaskStatus.SKIPPED, detail, cause=self.budget_words())
            return False
        self.replies.clear()
        try:
            done = step(host)
        except _StageFailed as failed:
            self.record(name, host, clock, TaskStatus.FAILED, detail, failed.certificate, failed)
            return False
        self.record(name, host, clock, done.status, done.detail or detail, done.certificate)
        return True

    def skip_after(self, failed: TaskName, host: _Host) -> None:
        """The host's later stages, as Skipped rows, so every host shows the same four stages."""
        reason = f"Not run because the {failed} task didn't succeed."
        for name in HOST_STAGES[HOST_STAGES.index(failed) + 1 :]:
            cause = self.budget_words() if self.watchdog.expired else reason
            self.record(name, host, _Clock(), TaskStatus.SKIPPED, cause=cause)

    def record(
        self,
        name: TaskName,
        host: _Host,
        clock: _Clock,
        status: TaskStatus,
        detail: str = "",
        certificate: CertificateSummary | None = None,
        failure: _StageFailed | None = None,
        cause: str = "",
    ) -> None:
        """Keep a task's result and hand it to the caller; a Skipped row says why in `cause`."""
        result = TaskResult(
            name=name,
            host=host.name,
            address=host.address,
            status=status,
            started=clock.started,
            duration_ms=clock.elapsed_ms(),
            detail=detail,
            replies=tuple(self.replies) if status is not TaskStatus.SKIPPED else (),
            certificate=certificate,
            error=failure.error if failure else "",
            cause=failure.cause if failure else cause,
            fix=failure.fix if failure else "",
        )
        self.tasks.append(result)
        if failure is not None:
            self.note(f"*** {failure.error}: {failure.cause}")
        if self.on_task is not None:
            self.on_task(result)

    def note(self, line: str) -> None:
        self.transcript.append(line)

    # --- Resolve ---------------------------------------------------------------------------------

    def resolve_entry(self, host: _Host) -> _Done:
        literal = _literal_address(host.name)
        if literal is not None:
            host.addresses = (literal,)
            if "/" in host.name:
                return _Done(
                    detail=f"An address range: probing {literal} as written, no DNS lookup."
                )
            return _Done(detail=f"An IP address, no DNS lookup: {literal}")
        try:
            answer = self.query(host.name, "MX")
        except dns.resolver.NoAnswer:
            # RFC 5321 §5.1 "implicit MX": without MX records, the name's own addresses get mail.
            self.note(f"=== {host.name} has no MX record; using its own A/AAAA records")
            self.resolve_addresses(host, missing="no MX, A or AAAA record")
            return _Done(detail=", ".join(host.addresses))
        except dns.exception.DNSException as exc:
            raise self.dns_failure(exc, host.name, "MX") from exc
        records = sorted(
            (r.preference, r.exchange.to_text(omit_final_dot=True).lower()) for r in answer
        )
        if any(name in ("", ".") for _, name in records):
            raise _StageFailed(DNS_QUERY_FAILED, "null-mx", name=host.name)  # RFC 7505
        host.mx_hosts = tuple(records)
        return _Done(detail="MX records: " + ", ".join(f"{p} {n}" for p, n in records))

    def resolve_mx_host(self, host: _Host) -> _Done:
        self.resolve_addresses(host, missing="no A or AAAA record")
        return _Done(detail=f"{host.via}: {', '.join(host.addresses)}")

    def resolve_addresses(self, host: _Host, *, missing: str) -> None:
        found: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                found.extend(record.to_text() for record in self.query(host.name, rdtype))
            except dns.resolver.NoAnswer:
                continue
            except dns.exception.DNSException as exc:
                if not found:
                    raise self.dns_failure(exc, host.name, rdtype) from exc
                self.note(f"*** The {rdtype} lookup failed ({exc}); going on with the A records")
        if not found:
            raise _StageFailed(DNS_QUERY_FAILED, "no-address", name=host.name, missing=missing)
        host.addresses = tuple(dict.fromkeys(found))

    def query(self, name: str, rdtype: str) -> dns.resolver.Answer:
        self.note(f"=== Resolving {name} {rdtype}")
        answer = self.resolver.resolve(name, rdtype, search=False, lifetime=self.step_timeout())
        self.note(f"=== {name} {rdtype}: " + ", ".join(record.to_text() for record in answer))
        return answer

    def dns_failure(self, exc: BaseException, name: str, rdtype: str) -> _StageFailed:
        if self.watchdog.expired:
            return self.out_of_time("while looking up DNS records")
        words = "dns-other"
        if isinstance(exc, dns.resolver.NXDOMAIN):
            words = "nxdomain"
        elif isinstance(exc, dns.resolver.NoNameservers):
            words = "dns-server-failure"
        elif isinstance(exc, dns.exception.Timeout):
            words = "dns-timeout"
        return _StageFailed(
            DNS_QUERY_FAILED,
            words,
            name=name,
            rdtype=rdtype,
            seconds=self.config.stage_timeout,
            reason=exc,
        )

    # --- Connect, EHLO, TLS ----------------------------------------------------------------------

    def connect(self, host: _Host) -> _Done:
        # Every address is checked before any connection and one refusal fails the whole host:
        # otherwise a name resolving to a public and an internal address would map the latter.
        for address in host.addresses:
            if (refusal := self.policy.refusal(address)) is not None:
                self.note(f"*** {host.name}: {refusal}")
                raise _StageFailed(CANNOT_CONNECT, "policy", refusal=refusal)
        failure = _StageFailed(
            CANNOT_CONNECT, "unreachable", address=host.name, reason="no address"
        )
        for address in host.addresses:
            host.address = address
            session = _Session(
                _tls_name(host.name), self.config.helo_name, self.transcript, self.replies
            )
            where = _host_port(address, self.config.port)
            self.note(f"=== Trying {where}...")
            try:
                session.open(address, self.config.port, self.step_timeout())
            except OSError as exc:
                self.note(f"*** {where}: {exc}")
                failure = self.connect_failure(exc, address)
                continue  # the host's next address, if it has one
            host.session = session
            self.open_hosts.append(host)
            self.note(f"=== Connected to {where}")
            return _Done(detail=f"Connected to {where}")
        raise failure

    def connect_failure(self, exc: OSError, address: str) -> _StageFailed:
        facts: dict[str, Any] = {
            "address": address,
            "port": self.config.port,
            "seconds": self.config.stage_timeout,
        }
        if self.watchdog.expired:
            return self.out_of_time("while connecting")
        if isinstance(exc, ConnectionRefusedError):
            return _StageFailed(CONNECTION_REFUSED, "refused", **facts)
        if isinstance(exc, TimeoutError):
            return _StageFailed(CONNECTION_TIMED_OUT, "connect-timeout", **facts)
        reason = exc.strerror or str(exc)
        return _StageFailed(
            f"{CANNOT_CONNECT} [Message={reason}]", "unreachable", reason=reason, **facts
        )

    def greet(self, host: _Host) -> _Done:
        session = self.session_of(host)
        with self.talking(host, "while we waited for its greeting"):
            code, message = session.getreply()
        if code != 220:
            raise _StageFailed(
                _with_reply(CANNOT_CONNECT, code, message), "bad-greeting", host=host.name
            )
        self.ehlo(host, "")
        return _Done(detail="Extensions: " + _extensions(session))

    def ehlo(self, host: _Host, when: str, certificate: CertificateSummary | None = None) -> None:
        with self.talking(host, f"after EHLO{when}"):
            code, message = self.session_of(host).ehlo()
        if code != 250:
            error = _with_reply(CANNOT_CONNECT, code, message)
            raise _StageFailed(
                error, "ehlo-rejected", certificate=certificate, host=host.name, when=when
            )

    def secure(self, host: _Host) -> _Done:
        session = self.session_of(host)
        mode = self.config.tls_mode
        if not session.has_extn("starttls"):
            if mode is TlsMode.OPPORTUNISTIC:
                self.note("=== STARTTLS not offered; this connector may send without TLS")
                return _Done(
                    TaskStatus.SKIPPED,
                    "STARTTLS isn't offered, and the connector doesn't require TLS: the test message goes unencrypted.",
                )
            error = (
                f"{CANNOT_CONNECT} [Message=STARTTLS is required but the server didn't offer it]"
            )
            raise _StageFailed(error, "starttls-missing", host=host.name)
        context = self.tls_context()
        with self.talking(host, "during the TLS handshake"):
            try:
                session.start_tls(context)
            except ssl.SSLCertVerificationError as exc:
                if self.watchdog.expired:
                    raise
                session.broken = True
                raise self.untrusted(host, exc) from exc
        tls = session.tls_socket
        self.note(f"=== TLS started with {_cipher_words(tls)}")
        required_name = self.required_name(host)
        certificate = _summarize(
            tls, trusted=_verifies_chain(mode) or None, required_name=required_name
        )
        self.note_certificate(certificate)
        if certificate is not None and certificate.name_matched is False:
            names = ", ".join(certificate.sans) or certificate.subject or "no names"
            raise _StageFailed(
                CERTIFICATE_VALIDATION_FAILED,
                "name-mismatch",
                certificate=certificate,
                names=names,
                required=required_name,
            )
        self.ehlo(host, " over TLS", certificate)
        return _Done(
            detail=f"{tls.version()}; extensions: {_extensions(session)}", certificate=certificate
        )

    def tls_context(self) -> ssl.SSLContext:
        if not _verifies_chain(self.config.tls_mode):
            return _any_certificate_context()
        context = ssl.create_default_context()  # the system store, CERT_REQUIRED, TLS 1.2+
        if self.config.ca_file:
            try:
                context.load_verify_locations(cafile=self.config.ca_file)
            except (OSError, ValueError) as exc:
                raise _StageFailed(CERTIFICATE_VALIDATION_FAILED, "ca-file", reason=exc) from exc
        # EXO's CertificateValidation checks the chain, not the name; DomainValidation's name is
        # compared with TlsDomain afterwards, as OpenSSL can't take a wildcard on our side.
        context.check_hostname = False
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def untrusted(self, host: _Host, exc: ssl.SSLCertVerificationError) -> _StageFailed:
        reason = exc.verify_message or str(exc)
        self.note(f"*** TLS peer certificate failed CA verification ({reason})")
        certificate = self.fetch_certificate(host, reason)
        words = CERTIFICATE_WORDS.get(exc.verify_code, "untrusted")
        return _StageFailed(
            CERTIFICATE_VALIDATION_FAILED,
            words,
            certificate=certificate,
            reason=reason,
            not_before=f" until {certificate.not_before:%Y-%m-%d}" if certificate else " yet",
            not_after=f" on {certificate.not_after:%Y-%m-%d}" if certificate else "",
        )

    def fetch_certificate(self, host: _Host, trust_error: str) -> CertificateSummary | None:
        """A second session without checks, only to show the admin the certificate that failed."""
        self.note("=== Reconnecting without certificate checks, only to show the certificate")
        session = _Session(_tls_name(host.name), self.config.helo_name, self.transcript, [])
        self.watchdog.guard(session)
        try:
            session.open(host.address, self.config.port, self.step_timeout())
            session.getreply()
            session.ehlo()
            session.start_tls(_any_certificate_context())
            certificate = _summarize(
                session.tls_socket,
                trusted=False,
                trust_error=trust_error,
                required_name=self.required_name(host),
            )
            with contextlib.suppress(OSError, smtplib.SMTPException):
                session.quit()
        except (OSError, smtplib.SMTPException):
            return None
        finally:
            session.close()
            self.watchdog.guard(None)
        self.note_certificate(certificate)
        return certificate

    def required_name(self, host: _Host) -> str | None:
        """The name DomainValidation requires of the certificate; None in the other modes."""
        if self.config.tls_mode is not TlsMode.DOMAIN_VALIDATION:
            return None
        return self.config.tls_domain or host.name

    def note_certificate(self, certificate: CertificateSummary | None) -> None:
        if certificate is None:
            return
        self.note(
            f"=== TLS peer certificate: subject={certificate.subject or '(empty)'}; "
            f"SANs={', '.join(certificate.sans) or '(none)'}; issuer={certificate.issuer}; "
            f"not after={certificate.not_after:%Y-%m-%d %H:%M} UTC"
        )
        if certificate.trusted:
            self.note("=== TLS peer certificate passed CA verification")
        if certificate.name_matched is not None:
            verdict = "matches" if certificate.name_matched else "doesn't match"
            self.note(
                f"=== TLS peer certificate {verdict} {self.config.tls_domain or 'the host name'}"
            )

    # --- Send test email -------------------------------------------------------------------------

    def send_test_message(self, host: _Host, recipient: str, *, first: bool) -> _Done:
        if host.name == "":
            what = "MX host" if self.config.mx_domains else "smart host"
            raise _StageFailed(
                f"{CANNOT_CONNECT} [Message=No {what} passed the checks]", "no-host", what=what
            )
        session = host.session
        if session is None or session.sock is None or session.broken:
            return _Done(
                TaskStatus.SKIPPED,
                f"{recipient}: not sent; the session broke during an earlier test message.",
            )
        facts: dict[str, Any] = {
            "host": host.name,
            "recipient": recipient,
            "sender": self.config.sender,
        }
        with self.talking(host, "while we sent the test message"):
            if not first:
                session.rset()  # a fresh transaction, whatever happened to the previous one
            code, message = session.mail(self.config.sender)
            if code != 250:
                raise _StageFailed(_reply(code, message), "sender-refused", **facts)
            code, message = session.rcpt(recipient)
            if code not in (250, 251):
                raise _StageFailed(_reply(code, message), "recipient-rejected", **facts)
            code, message = session.docmd("DATA")
            if code != 354:
                raise _StageFailed(_reply(code, message), "data-refused", **facts)
            payload, message_id = _test_message(self.config, recipient)
            self.note(f"=== Sending Message-ID {message_id}")
            session.send_message_data(payload)
            code, message = session.getreply()
            if code != 250:
                raise _StageFailed(_reply(code, message), "message-refused", **facts)
        return _Done(detail=recipient)

    # --- Talking to the server -------------------------------------------------------------------

    @contextlib.contextmanager
    def talking(self, host: _Host, during: str) -> Iterator[None]:
        """One network step, bounded by the stage timeout and the watchdog; errors become results."""
        session = self.session_of(host)
        self.watchdog.guard(session)
        if session.sock is not None:
            session.sock.settimeout(self.step_timeout())
        try:
            yield
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            # UnicodeError: smtplib speaks ASCII only, and an address may not be (no SMTPUTF8 yet).
            session.broken = True
            raise self.network_failure(exc, host, during) from exc
        except _StageFailed:
            if not self.watchdog.fired:
                raise
        if self.watchdog.fired:
            # The watchdog cut the reply short: what was read of it isn't the server's answer.
            self.note("*** (the last reply was cut short: the time budget ran out)")
            session.broken = True
            raise self.out_of_time(during)

    def network_failure(self, exc: BaseException, host: _Host, during: str) -> _StageFailed:
        facts: dict[str, Any] = {
            "host": host.name,
            "during": during,
            "seconds": self.config.stage_timeout,
        }
        if self.watchdog.expired:
            return self.out_of_time(during)
        if isinstance(exc, smtplib.SMTPResponseException):
            error = _with_reply(CANNOT_CONNECT, exc.smtp_code, exc.smtp_error)
            return _StageFailed(error, "request-refused", **facts)
        if _is_timeout(exc):
            return _StageFailed(CONNECTION_TIMED_OUT, "stopped-answering", **facts)
        if isinstance(exc, ssl.SSLError) and exc.reason in OLD_TLS_REASONS:
            error = f"{CANNOT_CONNECT} [Message=TLS negotiation failed: no TLS version in common]"
            return _StageFailed(error, "old-tls", **facts)
        if isinstance(exc, CLOSED_ERRORS):
            # Servers that only speak TLS 1.0/1.1 often hang up on a TLS 1.2 hello without a word.
            guess = " It may support only TLS versions older than 1.2." if "TLS" in during else ""
            return _StageFailed(CLOSED_ABRUPTLY, "closed", guess=guess, **facts)
        reason = exc.reason if isinstance(exc, ssl.SSLError) and exc.reason else str(exc)
        return _StageFailed(
            f"{CANNOT_CONNECT} [Message={reason}]", "network-other", reason=reason, **facts
        )

    def out_of_time(self, during: str) -> _StageFailed:
        return _StageFailed(
            CONNECTION_TIMED_OUT, "out-of-time", seconds=self.watchdog.budget, during=during
        )

    def budget_words(self) -> str:
        return f"Not run: the validation's {self.watchdog.budget:g}-second time budget ran out."

    def step_timeout(self) -> float:
        # Each step gets its stage timeout, but never more than what is left of the run.
        return max(0.01, min(self.config.stage_timeout, self.watchdog.remaining()))

    def session_of(self, host: _Host) -> _Session:
        assert host.session is not None, "the Connect task opens the session"
        return host.session

    def leave(self, host: _Host) -> None:
        """QUIT when the session is still sane, then close; never raise."""
        session, host.session = host.session, None
        if session is None:
            return
        self.open_hosts.remove(host)
        self.watchdog.guard(session)
        if session.sock is not None and not session.broken and not self.watchdog.expired:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                session.sock.settimeout(self.step_timeout())
                session.quit()
        session.close()
        self.watchdog.guard(None)
        self.note("=== Connection closed")

    def leave_all(self) -> None:
        for host in list(self.open_hosts):
            self.leave(host)


# --- Small pure helpers --------------------------------------------------------------------------


def _literal_address(entry: str) -> str | None:
    """The address of an IP literal or IPv4 CIDR smart host (its address as written), else None."""
    try:
        return str(ipaddress.ip_address(entry.strip().strip("[]").split("/", 1)[0]))
    except ValueError:
        return None


def _tls_name(name: str) -> str:
    # An IP literal goes to smtplib as the bare address, which Python then doesn't send as SNI.
    return _literal_address(name) or name


def _host_port(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def _with_reply(error: str, code: int, message: bytes | str) -> str:
    return f"{error} [Message={_reply(code, message)}]"


def _extensions(session: smtplib.SMTP) -> str:
    features = session.esmtp_features.items()
    return (
        ", ".join(" ".join(f"{name.upper()} {value}".split()) for name, value in features) or "none"
    )


def _is_timeout(exc: BaseException) -> bool:
    # smtplib turns a read timeout into SMTPServerDisconnected; the timeout is its context.
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _verifies_chain(mode: TlsMode) -> bool:
    return mode in (TlsMode.CERTIFICATE_VALIDATION, TlsMode.DOMAIN_VALIDATION)


def _any_certificate_context() -> ssl.SSLContext:
    # EncryptionOnly and opportunistic TLS accept any certificate, but still only TLS 1.2 or later.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _cipher_words(tls: ssl.SSLSocket) -> str:
    cipher = tls.cipher()
    return f"{tls.version()}:{cipher[0]}:{cipher[2]}" if cipher else str(tls.version())


def _summarize(
    tls: ssl.SSLSocket, *, trusted: bool | None, trust_error: str = "", required_name: str | None
) -> CertificateSummary | None:
    der = tls.getpeercert(binary_form=True)
    try:
        cert = x509.load_der_x509_certificate(der) if der else None
    except ValueError:
        cert = None
    if cert is None:
        return None
    names = _certificate_names(cert)
    cipher = tls.cipher()
    return CertificateSummary(
        subject=cert.subject.rfc4514_string(),
        sans=_subject_alternative_names(cert),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        tls_version=tls.version() or "",
        cipher=cipher[0] if cipher else "",
        trusted=trusted,
        trust_error=trust_error,
        name_matched=None
        if required_name is None
        else any(_name_matches(n, required_name) for n in names),
    )


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def _subject_alternative_names(cert: x509.Certificate) -> tuple[str, ...]:
    san = _san(cert)
    if san is None:
        return ()
    addresses = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return (*san.get_values_for_type(x509.DNSName), *addresses)


def _certificate_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The DNS names a certificate is for: its SAN DNS names, or its CN when it has none."""
    san = _san(cert)
    if san is not None and (names := san.get_values_for_type(x509.DNSName)):
        return tuple(names)
    return tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))


def _name_matches(presented: str, required: str) -> bool:
    """A certificate name against the connector's TlsDomain: "*" stands for one whole leftmost
    label, on either side (EXO takes TlsDomain *.contoso.com)."""
    presented, required = presented.lower().rstrip("."), required.lower().rstrip(".")
    if presented == required:
        return True
    presented_first, _, presented_rest = presented.partition(".")
    required_first, _, required_rest = required.partition(".")
    if presented_rest != required_rest or "." not in presented_rest or "*" in presented_rest:
        return False  # a wildcard never spans a dot, nor covers a bare TLD ("*.com")
    if not presented_first or not required_first:
        return False
    return presented_first == "*" or required_first == "*"


def _test_message(config: ProbeConfig, recipient: str) -> tuple[bytes, str]:
    """The message, dot-stuffed and terminated for DATA, and its Message-ID."""
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = recipient
    message["Subject"] = TEST_SUBJECT
    message["Date"] = format_datetime(datetime.now(UTC), usegmt=True)
    # With a domain given, make_msgid doesn't ask DNS for our own name.
    message_id = make_msgid(domain=config.sender.rpartition("@")[2] or "validation.invalid")
    message["Message-ID"] = message_id
    message[RUN_HEADER] = config.run_id
    message.set_content(
        "This message was sent to check that a connector can deliver email to this server.\n"
        "No action is needed; you can delete it.\n"
    )
    payload = re.sub(rb"(?m)^\.", b"..", message.as_bytes(policy=email.policy.SMTP))
    return payload + (b"" if payload.endswith(b"\r\n") else b"\r\n") + b".\r\n", message_id


# --- Words an Exchange admin reads: (cause, fix) for each failure; {facts} are filled in --------

WORDS: dict[str, tuple[str, str]] = {
    "nxdomain": (
        "The name {name} doesn't exist in DNS (NXDOMAIN).",
        "Check the name for typos. If it's right, create its DNS records, or ask the domain's DNS provider why it doesn't resolve.",
    ),
    "no-address": (
        "{name} exists in DNS but has {missing}, so there is no address to connect to.",
        "Add an A (IPv4) or AAAA (IPv6) record for {name} pointing to your mail server, or enter the server's name or IP address instead.",
    ),
    "dns-server-failure": (
        "The DNS servers for {name} failed to answer the {rdtype} query (server failure or refused query).",
        "Check that the domain's name servers are up and its delegation is correct (DNSSEC errors show up this way too), then validate again.",
    ),
    "dns-timeout": (
        "No DNS answer for {name} ({rdtype}) within {seconds:g} seconds: its name servers didn't respond.",
        "Check that the domain's name servers respond to queries, then validate again.",
    ),
    "dns-other": (
        "The DNS lookup of {name} ({rdtype}) failed: {reason}.",
        "Check the name and its DNS records.",
    ),
    "null-mx": (
        '{name} publishes a null MX record ("0 ."): it declares that it accepts no email at all.',
        "Check the domain with its owner, or route this connector through a smart host instead.",
    ),
    "policy": (
        "{refusal}",
        "Check the smart host's name or address, then validate again.",
    ),
    "refused": (
        "{address} refused the connection on port {port}: no mail server listens there, or a firewall rejects the connection.",
        "Check that the mail server is running and listening on port {port}, and that your firewall lets Exchange Online's IP addresses connect to it.",
    ),
    "connect-timeout": (
        "{address} didn't answer on port {port} within {seconds:g} seconds: the server may be down, the address wrong, or a firewall may be silently dropping the connection.",
        "Check the smart host's address, that the server is up, and that your firewall allows port {port} from Exchange Online.",
    ),
    "unreachable": (
        "The network couldn't reach {address}: {reason}.",
        "Check the smart host's address and the network path to it.",
    ),
    "bad-greeting": (
        "{host} answered, but refused to start an SMTP session: its greeting wasn't 220.",
        "Check the server's SMTP service, and that it accepts connections from Exchange Online (connection filtering, IP allow lists).",
    ),
    "ehlo-rejected": (
        "{host} rejected EHLO{when}, so no ESMTP session is possible.",
        "Check that the server accepts EHLO from Exchange Online.",
    ),
    "starttls-missing": (
        "The connector requires TLS, but {host} doesn't offer STARTTLS in its reply to EHLO.",
        "Turn on TLS (STARTTLS) with a valid certificate on the server's SMTP service, or change the connector's security settings if TLS really isn't wanted.",
    ),
    "old-tls": (
        "{host} only offers TLS versions older than 1.2; TLS 1.2 or later is required.",
        "Turn on TLS 1.2 (or 1.3) on the server; TLS 1.0 and 1.1 are no longer accepted.",
    ),
    "ca-file": (
        "The console's extra CA file couldn't be read ({reason}), so certificates can't be checked.",
        "Ask the console's operator to fix the CA file setting.",
    ),
    "expired": (
        "The server's certificate expired{not_after}.",
        "Renew the certificate and bind the new one to the server's SMTP service.",
    ),
    "not-yet-valid": (
        "The server's certificate isn't valid{not_before}.",
        "Check the server's clock and the certificate's validity dates.",
    ),
    "self-signed": (
        "The server's certificate is self-signed: no trusted certification authority vouches for it, so it isn't trusted.",
        "Install a certificate issued by a public certification authority (or by one this console is set up to trust).",
    ),
    "untrusted": (
        "The server's certificate isn't trusted ({reason}): a certification authority this console doesn't trust issued it, or the server doesn't send its intermediate certificates.",
        "Use a certificate from a public certification authority, and make the server send the full chain.",
    ),
    "name-mismatch": (
        "The certificate is for {names}, but the connector requires a certificate for {required}.",
        "Install a certificate whose subject or SAN covers {required}, or correct the domain name in the connector's security settings.",
    ),
    "request-refused": (
        "{host} refused the request {during}.",
        "Check the server's SMTP and TLS configuration.",
    ),
    "stopped-answering": (
        "{host} stopped answering {during}: nothing arrived within {seconds:g} seconds.",
        "Check that the port belongs to a working mail server and that the server isn't overloaded.",
    ),
    "closed": (
        "{host} closed the connection {during}, without an SMTP reply saying why.{guess}",
        "Check the server's logs. SMTP inspection on a firewall, an unhealthy server or a network device in between can drop connections like this.",
    ),
    "network-other": (
        "The connection to {host} failed {during}: {reason}.",
        "Check the server's SMTP and TLS configuration, and the network path to it.",
    ),
    "out-of-time": (
        "The validation ran out of its {seconds:g}-second time budget {during}: the server answers far too slowly, or drip-feeds its replies.",
        "Check the server's load and anything in between that delays SMTP (proxies, tarpitting, anti-spam delays), then validate again.",
    ),
    "no-host": (
        "No {what} could be reached and pass every check above, so the test message couldn't be sent.",
        "Fix the failures reported for the hosts above, then validate again.",
    ),
    "sender-refused": (
        "{host} refused the sender {sender}.",
        "Let the server accept mail from Exchange Online's sender address (check its relay and sender restrictions).",
    ),
    "recipient-rejected": (
        "{host} rejected the recipient {recipient}.",
        "Use the address of an active mailbox on that server, and check that the server accepts mail for its domain.",
    ),
    "data-refused": (
        "{host} accepted the recipient {recipient} but refused to take the message (DATA).",
        "Check the server's limits and policies for incoming messages.",
    ),
    "message-refused": (
        "{host} received the message for {recipient} but refused it.",
        "Check the server's content filtering and message size limits, and its logs for this message.",
    ),
}
