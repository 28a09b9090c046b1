"""The connector validation probe (docs/validation.md): plain Python, no Django.

Input is a frozen ProbeConfig, a dnspython resolver and an egress policy; output is a ProbeOutcome
with one TaskResult per stage and a transcript. The caller (the Celery task) persists results as
they arrive through `on_task`, and can stop the run between stages through `should_stop`.

CONTRACT — the types below are used by the rest of the project; the implementation of
`run_probe` follows them.

How it works: per host, Resolve → Connect → SMTP EHLO → TLS, each a small method that returns a
`_Done` or raises `_StageFailed` with the EAC-style error and its cause and fix in plain words
(`probe_words.py`); then one "Send test email" per recipient through the first host that passed, in
that host's session. The SMTP session, the watchdog that enforces the run's total deadline and the
traps they avoid are in `smtp_session.py`; what is made of a server's certificate is in
`certificates.py`.
"""

from __future__ import annotations

import contextlib
import email.policy
import functools
import ipaddress
import smtplib
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import StrEnum
from typing import Any

import dns.exception
import dns.resolver

from validation import certificates
from validation.certificates import CertificateSummary as CertificateSummary  # part of the contract
from validation.policy import EgressPolicy
from validation.probe_words import WORDS
from validation.smtp_session import CLOSED_ERRORS, Clock, Session, Watchdog, is_timeout, reply_line


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

    @property
    def verifies_chain(self) -> bool:
        return self in (TlsMode.CERTIFICATE_VALIDATION, TlsMode.DOMAIN_VALIDATION)


# The EAC-style errors, as shown to the admin (docs/validation.md, "Result codes").
DNS_QUERY_FAILED = "450 4.4.312 DNS query failed"
CONNECTION_TIMED_OUT = "450 4.4.315 Connection timed out"
CONNECTION_REFUSED = "450 4.4.316 Connection refused"
CANNOT_CONNECT = "450 4.4.317 Cannot connect to remote server"
CLOSED_ABRUPTLY = "450 4.4.318 Connection was closed abruptly"
CERTIFICATE_VALIDATION_FAILED = "450 4.7.320 Certificate validation failed"

TEST_SUBJECT = "Test email for connector validation"
RUN_HEADER = "X-EAC-Validation-Run"


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
    stopped = False
    with Watchdog(config.total_timeout) as watchdog:
        probe = _Probe(config, resolver, policy, watchdog, on_task, should_stop)
        try:
            probe.run()
        except _Stopped:
            stopped = True
            probe.note("=== Stopped on request")
        finally:
            probe.leave_all()
    return ProbeOutcome(tuple(probe.tasks), tuple(probe.transcript), stopped=stopped)


# --- Implementation ------------------------------------------------------------------------------

HOST_STAGES = (TaskName.RESOLVE, TaskName.CONNECT, TaskName.EHLO, TaskName.TLS)
# A domain may list many MX hosts; checking more than a few would only spend the time budget.
MAX_MX_HOSTS = 5


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
        self.done = _Done(
            TaskStatus.FAILED,
            certificate=certificate,
            error=error,
            cause=cause.format(**facts),
            fix=fix.format(**facts),
        )


@dataclass(frozen=True)
class _Done:
    """How a task ended, as recorded; a Skipped task says why in `cause`."""

    status: TaskStatus = TaskStatus.SUCCEEDED
    detail: str = ""
    certificate: CertificateSummary | None = None
    error: str = ""
    cause: str = ""
    fix: str = ""


@dataclass
class _Host:
    """One host the probe checks: a smart host, a mail domain, or an MX host found for one."""

    name: str
    via: str = ""  # how it was found, e.g. "MX 10 of contoso.com"
    addresses: tuple[str, ...] = ()
    mx_hosts: tuple[tuple[int, str], ...] = ()
    address: str = ""  # the address connected to (or last tried)
    session: Session | None = None


class _Probe:
    def __init__(
        self,
        config: ProbeConfig,
        resolver: dns.resolver.Resolver,
        policy: EgressPolicy,
        watchdog: Watchdog,
        on_task: Callable[[TaskResult], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.config = config
        self.resolver = resolver
        self.policy = policy
        self.watchdog = watchdog
        self.on_task = on_task
        self.should_stop = should_stop
        self.tasks: list[TaskResult] = []
        self.transcript: list[str] = []
        self.replies: list[str] = []  # the current task's server replies
        self.good: _Host | None = None  # the first host to pass every stage sends the messages
        self.open_hosts: list[_Host] = []

    # --- The run ---------------------------------------------------------------------------------

    def run(self) -> None:
        for entry in self.config.mx_domains or self.config.smart_hosts:
            self.check_entry(entry)
        host = self.good or _Host(name="")
        for index, recipient in enumerate(self.config.recipients):
            send = functools.partial(self.send_test_message, recipient=recipient, first=index == 0)
            self.stage(TaskName.SEND, host, send, detail=recipient)
        self.leave(host)

    def check_entry(self, entry: str) -> None:
        host = _Host(name=entry.strip().rstrip("."))
        if not self.stage(TaskName.RESOLVE, host, self.resolve_entry):
            return
        if not host.mx_hosts:
            self.check_connection(host)
        # A mail domain: each of its MX hosts, by preference, is a host of its own.
        for preference, name in host.mx_hosts[:MAX_MX_HOSTS]:
            mx = _Host(name=name, via=f"MX {preference} of {host.name}")
            if self.stage(TaskName.RESOLVE, mx, self.resolve_mx_host):
                self.check_connection(mx)

    def check_connection(self, host: _Host) -> None:
        for name, step in (
            (TaskName.CONNECT, self.connect),
            (TaskName.EHLO, self.greet),
            (TaskName.TLS, self.secure),
        ):
            if not self.stage(name, host, step):
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
        clock = Clock()
        passed = False
        if self.watchdog.expired:
            done = _Done(TaskStatus.SKIPPED, cause=self.budget_words())
        else:
            self.replies.clear()
            try:
                done = step(host)
            except _StageFailed as failed:
                done = failed.done
            else:
                passed = True
        self.record(name, host, clock, done, detail)
        if not passed and name in HOST_STAGES:
            self.skip_after(name, host)
        return passed

    def skip_after(self, failed: TaskName, host: _Host) -> None:
        """The host's later stages, as Skipped rows, so every host shows the same four stages."""
        reason = f"Not run because the {failed} task didn't succeed."
        for name in HOST_STAGES[HOST_STAGES.index(failed) + 1 :]:
            cause = self.budget_words() if self.watchdog.expired else reason
            self.record(name, host, Clock(), _Done(TaskStatus.SKIPPED, cause=cause))

    def record(
        self, name: TaskName, host: _Host, clock: Clock, done: _Done, detail: str = ""
    ) -> None:
        """Keep a task's result and hand it to the caller."""
        result = TaskResult(
            name=name,
            host=host.name,
            address=host.address,
            status=done.status,
            started=clock.started,
            duration_ms=clock.elapsed_ms(),
            detail=done.detail or detail,
            replies=() if done.status is TaskStatus.SKIPPED else tuple(self.replies),
            certificate=done.certificate,
            error=done.error,
            cause=done.cause,
            fix=done.fix,
        )
        self.tasks.append(result)
        if done.status is TaskStatus.FAILED:
            self.note(f"*** {done.error}: {done.cause}")
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
            session = Session(
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
        return _Done(detail="Extensions: " + session.extensions())

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
        self.note(f"=== TLS started with {certificates.cipher_words(tls)}")
        required_name = self.required_name(host)
        certificate = certificates.summarize(
            tls, trusted=mode.verifies_chain or None, required_name=required_name
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
            detail=f"{tls.version()}; extensions: {session.extensions()}", certificate=certificate
        )

    def tls_context(self) -> ssl.SSLContext:
        if not self.config.tls_mode.verifies_chain:
            return certificates.any_certificate_context()
        try:
            return certificates.chain_checking_context(self.config.ca_file)
        except (OSError, ValueError) as exc:
            raise _StageFailed(CERTIFICATE_VALIDATION_FAILED, "ca-file", reason=exc) from exc

    def untrusted(self, host: _Host, exc: ssl.SSLCertVerificationError) -> _StageFailed:
        reason = exc.verify_message or str(exc)
        self.note(f"*** TLS peer certificate failed CA verification ({reason})")
        certificate = self.fetch_certificate(host, reason)
        return _StageFailed(
            CERTIFICATE_VALIDATION_FAILED,
            certificates.trust_words(exc),
            certificate=certificate,
            reason=reason,
            not_before=f" until {certificate.not_before:%Y-%m-%d}" if certificate else " yet",
            not_after=f" on {certificate.not_after:%Y-%m-%d}" if certificate else "",
        )

    def fetch_certificate(self, host: _Host, trust_error: str) -> CertificateSummary | None:
        """A second session without checks, only to show the admin the certificate that failed."""
        self.note("=== Reconnecting without certificate checks, only to show the certificate")
        session = Session(_tls_name(host.name), self.config.helo_name, self.transcript, [])
        self.watchdog.guard(session)
        try:
            session.open(host.address, self.config.port, self.step_timeout())
            session.getreply()
            session.ehlo()
            session.start_tls(certificates.any_certificate_context())
            certificate = certificates.summarize(
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
        if certificate is not None:
            required = self.config.tls_domain or "the host name"
            self.transcript.extend(certificates.transcript_lines(certificate, required))

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
                raise _StageFailed(reply_line(code, message), "sender-refused", **facts)
            code, message = session.rcpt(recipient)
            if code not in (250, 251):
                raise _StageFailed(reply_line(code, message), "recipient-rejected", **facts)
            code, message = session.docmd("DATA")
            if code != 354:
                raise _StageFailed(reply_line(code, message), "data-refused", **facts)
            payload, message_id = _test_message(self.config, recipient)
            self.note(f"=== Sending Message-ID {message_id}")
            session.send_message_data(payload)
            code, message = session.getreply()
            if code != 250:
                raise _StageFailed(reply_line(code, message), "message-refused", **facts)
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
        if is_timeout(exc):
            return _StageFailed(CONNECTION_TIMED_OUT, "stopped-answering", **facts)
        if certificates.is_old_tls(exc):
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

    def session_of(self, host: _Host) -> Session:
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


def _with_reply(error: str, code: int, message: bytes | str) -> str:
    return f"{error} [Message={reply_line(code, message)}]"


def _test_message(config: ProbeConfig, recipient: str) -> tuple[bytes, str]:
    """The message, as SMTP sends it, and its Message-ID."""
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
    return message.as_bytes(policy=email.policy.SMTP), message_id
