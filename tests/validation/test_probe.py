"""The connector validation probe against real peers: the lab's SMTP servers (aiosmtpd and the
scripted misbehaving ones, with trustme certificates) and a dnslib DNS server, all on loopback
(tests/validation/peers.py)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from lab.behaviours import Behaviour
from lab.ca import WRONG_NAME
from lab.scripted import tls10_supported
from tests.validation.peers import (
    LAB_ZONE,
    SMART_HOST,
    SMART_HOST_V6,
    DnsLab,
    LabCA,
    LabServer,
    LoopbackPolicy,
)
from validation.certificates import name_matches as _name_matches
from validation.policy import REFUSED, EgressPolicy
from validation.probe import (
    CANNOT_CONNECT,
    CERTIFICATE_VALIDATION_FAILED,
    CLOSED_ABRUPTLY,
    CONNECTION_REFUSED,
    CONNECTION_TIMED_OUT,
    DNS_QUERY_FAILED,
    ProbeConfig,
    ProbeOutcome,
    TaskName,
    TaskResult,
    TaskStatus,
    TlsMode,
    run_probe,
)

RUN_ID = "run-0042"
SENDER = "O365ConnectorValidation@contoso.onmicrosoft.com"
ADMIN = "admin@contoso.com"
HELPDESK = "helpdesk@contoso.com"
HOST_STAGES = [TaskName.RESOLVE, TaskName.CONNECT, TaskName.EHLO, TaskName.TLS]

pytestmark = pytest.mark.filterwarnings("error::ResourceWarning")


class Probe:
    """run_probe wired to the lab: its DNS, its CA as the extra trust anchor, a loopback policy."""

    def __init__(self, lab_ca: LabCA, dns_lab: DnsLab, policy: EgressPolicy) -> None:
        self.lab_ca = lab_ca
        self.dns_lab = dns_lab
        self.policy = policy
        self.seen: list[TaskResult] = []

    def __call__(
        self,
        lab: LabServer | None = None,
        *,
        should_stop: Callable[[], bool] | None = None,
        **fields: Any,
    ) -> ProbeOutcome:
        settings: dict[str, Any] = {
            "run_id": RUN_ID,
            "sender": SENDER,
            "recipients": (ADMIN,),
            "smart_hosts": (SMART_HOST,),
            "port": lab.port if lab else 25,
            "tls_mode": TlsMode.CERTIFICATE_VALIDATION,
            "ca_file": self.lab_ca.pem_path,
            "helo_name": "probe.lab.test",
            "stage_timeout": 2.0,
            "total_timeout": 10.0,
        }
        return run_probe(
            ProbeConfig(**(settings | fields)),
            resolver=self.dns_lab.resolver(),
            policy=self.policy,
            on_task=self.seen.append,
            should_stop=should_stop,
        )


@pytest.fixture
def probe(lab_ca: LabCA, dns_lab: DnsLab, loopback_policy: LoopbackPolicy) -> Probe:
    return Probe(lab_ca, dns_lab, loopback_policy)


def task(outcome: ProbeOutcome, name: TaskName, index: int = 0) -> TaskResult:
    return [t for t in outcome.tasks if t.name == name][index]


def statuses(outcome: ProbeOutcome) -> list[tuple[TaskName, TaskStatus]]:
    return [(t.name, t.status) for t in outcome.tasks]


def no_watchdog_left() -> bool:
    return not any(isinstance(thread, threading.Timer) for thread in threading.enumerate())


# --- Success ----------------------------------------------------------------------------------------


def test_it_sends_one_message_per_recipient_through_a_smart_host_with_a_trusted_certificate(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab()

    outcome = probe(lab, recipients=(ADMIN, HELPDESK))

    assert outcome.succeeded
    assert (
        statuses(outcome)
        == [(name, TaskStatus.SUCCEEDED) for name in HOST_STAGES]
        + [(TaskName.SEND, TaskStatus.SUCCEEDED)] * 2
    )
    assert [m.rcpt_tos for m in lab.messages] == [(ADMIN,), (HELPDESK,)]
    assert {m.mail_from for m in lab.messages} == {SENDER}
    assert all(m.message["X-EAC-Validation-Run"] == RUN_ID for m in lab.messages)
    assert all(m.message["Subject"] == "Test email for connector validation" for m in lab.messages)
    assert [m.message["To"] for m in lab.messages] == [ADMIN, HELPDESK]
    assert len({m.message["Message-ID"] for m in lab.messages}) == 2
    assert all(m.message["Date"] for m in lab.messages)
    assert lab.connections == 1  # one SMTP session, like swaks
    assert no_watchdog_left()


def test_it_records_the_certificate_it_trusted(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab())

    tls = task(outcome, TaskName.TLS)
    assert tls.certificate is not None
    assert tls.certificate.trusted is True
    assert tls.certificate.name_matched is None  # CertificateValidation checks no name
    assert SMART_HOST in tls.certificate.sans
    assert "EAC console lab CA" in tls.certificate.issuer
    assert tls.certificate.tls_version in ("TLSv1.2", "TLSv1.3")
    assert tls.certificate.not_after > datetime.now(UTC)


def test_it_passes_domain_validation_when_the_certificate_names_the_tls_domain(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(), tls_mode=TlsMode.DOMAIN_VALIDATION, tls_domain=SMART_HOST)

    assert outcome.succeeded
    certificate = task(outcome, TaskName.TLS).certificate
    assert certificate is not None
    assert (certificate.trusted, certificate.name_matched) == (True, True)


def test_a_wildcard_certificate_satisfies_domain_validation_for_a_host_under_it(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.WILDCARD)

    outcome = probe(lab, tls_mode=TlsMode.DOMAIN_VALIDATION, tls_domain=SMART_HOST)

    assert outcome.succeeded
    assert len(lab.messages) == 1


def test_a_wildcard_tls_domain_accepts_a_certificate_for_one_host_under_it(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(), tls_mode=TlsMode.DOMAIN_VALIDATION, tls_domain=f"*.{LAB_ZONE}")

    assert outcome.succeeded


def test_it_checks_every_smart_host_and_sends_through_the_first_good_one(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab()

    outcome = probe(lab, smart_hosts=("missing.lab.test", SMART_HOST, "127.0.0.1"))

    assert [t.host for t in outcome.tasks if t.name == TaskName.RESOLVE] == [
        "missing.lab.test",
        SMART_HOST,
        "127.0.0.1",
    ]
    assert task(outcome, TaskName.RESOLVE).status == TaskStatus.FAILED
    assert task(outcome, TaskName.SEND).host == SMART_HOST
    assert lab.connections == 2  # one per reachable host; the message went in the first session
    assert len(lab.messages) == 1


def test_an_ipv4_cidr_smart_host_is_probed_at_its_address_as_written(
    probe: Probe, smtp_lab: Callable[..., LabServer], dns_lab: DnsLab
) -> None:
    outcome = probe(smtp_lab(), smart_hosts=("127.0.0.1/24",))

    assert outcome.succeeded
    assert task(outcome, TaskName.CONNECT).address == "127.0.0.1"
    assert dns_lab.queries == []  # an address needs no lookup


def test_it_tries_the_hosts_next_address_when_one_refuses(
    probe: Probe, smtp_lab: Callable[..., LabServer], dns_lab: DnsLab
) -> None:
    lab = smtp_lab(host="::1")  # nothing listens on 127.0.0.1 at that port
    dns_lab.add("dual.lab.test", "A", "127.0.0.1")
    dns_lab.add("dual.lab.test", "AAAA", "::1")

    outcome = probe(lab, smart_hosts=("dual.lab.test",), tls_mode=TlsMode.ENCRYPTION_ONLY)

    assert outcome.succeeded
    assert task(outcome, TaskName.RESOLVE).detail == "127.0.0.1, ::1"
    assert task(outcome, TaskName.CONNECT).address == "::1"
    assert f"*** 127.0.0.1:{lab.port}: [Errno 111] Connection refused" in outcome.transcript


@pytest.mark.parametrize("smart_host", ["::1", SMART_HOST_V6])
def test_it_reaches_a_smart_host_on_ipv6_loopback(
    probe: Probe, smtp_lab: Callable[..., LabServer], smart_host: str
) -> None:
    lab = smtp_lab(host="::1")

    outcome = probe(lab, smart_hosts=(smart_host,))

    assert outcome.succeeded
    assert task(outcome, TaskName.CONNECT).address == "::1"
    assert f"=== Connected to [::1]:{lab.port}" in outcome.transcript
    assert len(lab.messages) == 1


# --- MX routing -------------------------------------------------------------------------------------


def test_mx_routing_finds_the_lab_host_through_the_domains_mx_record(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab()

    outcome = probe(lab, smart_hosts=(), mx_domains=(LAB_ZONE,))

    assert outcome.succeeded
    resolve_domain, resolve_mx = [t for t in outcome.tasks if t.name == TaskName.RESOLVE]
    assert (resolve_domain.host, resolve_domain.detail) == (LAB_ZONE, "MX records: 10 mx1.lab.test")
    assert (resolve_mx.host, resolve_mx.detail) == ("mx1.lab.test", "MX 10 of lab.test: 127.0.0.1")
    assert task(outcome, TaskName.SEND).host == "mx1.lab.test"
    assert len(lab.messages) == 1


def test_a_domain_without_mx_records_gets_mail_at_its_own_address(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(), smart_hosts=(), mx_domains=("implicit.lab.test",))

    assert outcome.succeeded
    assert task(outcome, TaskName.RESOLVE).detail == "127.0.0.1"


def test_a_null_mx_fails_resolve_saying_the_domain_accepts_no_mail(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(), smart_hosts=(), mx_domains=("nullmx.lab.test",))

    resolve = task(outcome, TaskName.RESOLVE)
    assert (resolve.status, resolve.error) == (TaskStatus.FAILED, DNS_QUERY_FAILED)
    assert "null MX" in resolve.cause
    assert "accepts no email" in resolve.cause


# --- Certificates -----------------------------------------------------------------------------------


def test_encryption_only_accepts_a_self_signed_certificate_and_still_shows_it(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.SELF_SIGNED)

    outcome = probe(lab, tls_mode=TlsMode.ENCRYPTION_ONLY)

    assert outcome.succeeded
    certificate = task(outcome, TaskName.TLS).certificate
    assert certificate is not None
    assert certificate.trusted is None  # not checked
    assert certificate.subject == certificate.issuer
    assert len(lab.messages) == 1


def test_it_fails_with_4_7_320_when_the_ca_is_not_trusted(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.UNTRUSTED_CA)

    outcome = probe(lab)

    tls = task(outcome, TaskName.TLS)
    assert (tls.status, tls.error) == (TaskStatus.FAILED, CERTIFICATE_VALIDATION_FAILED)
    assert "isn't trusted" in tls.cause
    assert tls.fix
    assert tls.certificate is not None  # fetched again, only to show it
    assert tls.certificate.trusted is False
    assert tls.certificate.trust_error == "unable to get local issuer certificate"
    assert SMART_HOST in tls.certificate.sans
    send = task(outcome, TaskName.SEND)
    assert send.status == TaskStatus.FAILED
    assert "No smart host" in send.cause
    assert lab.messages == []
    assert not outcome.succeeded


def test_it_says_so_when_the_certificate_is_self_signed(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.SELF_SIGNED))

    tls = task(outcome, TaskName.TLS)
    assert tls.error == CERTIFICATE_VALIDATION_FAILED
    assert "self-signed" in tls.cause


def test_it_fails_with_4_7_320_when_the_certificate_has_expired(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.EXPIRED))

    tls = task(outcome, TaskName.TLS)
    assert (tls.status, tls.error) == (TaskStatus.FAILED, CERTIFICATE_VALIDATION_FAILED)
    assert "expired" in tls.cause
    assert tls.certificate is not None
    assert tls.certificate.not_after < datetime.now(UTC)
    assert tls.certificate.trust_error == "certificate has expired"


def test_domain_validation_fails_when_no_name_on_the_certificate_matches(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.WRONG_NAME)

    outcome = probe(lab, tls_mode=TlsMode.DOMAIN_VALIDATION, tls_domain=SMART_HOST)

    tls = task(outcome, TaskName.TLS)
    assert (tls.status, tls.error) == (TaskStatus.FAILED, CERTIFICATE_VALIDATION_FAILED)
    assert WRONG_NAME in tls.cause
    assert SMART_HOST in tls.cause
    assert tls.certificate is not None
    assert (tls.certificate.trusted, tls.certificate.name_matched) == (True, False)
    assert lab.messages == []


@pytest.mark.parametrize(
    ("presented", "required", "matches"),
    [
        ("mail.contoso.com", "mail.contoso.com", True),
        ("MAIL.contoso.com.", "mail.contoso.com", True),
        ("*.contoso.com", "mail.contoso.com", True),
        ("mail.contoso.com", "*.contoso.com", True),
        ("*.contoso.com", "*.contoso.com", True),
        ("*.contoso.com", "contoso.com", False),
        ("*.contoso.com", "a.b.contoso.com", False),
        ("a.b.contoso.com", "*.contoso.com", False),
        ("*.com", "contoso.com", False),
        ("m*.contoso.com", "mail.contoso.com", False),
        ("mail.fabrikam.com", "mail.contoso.com", False),
    ],
)
def test_a_wildcard_stands_for_exactly_one_label_on_either_side(
    presented: str, required: str, matches: bool
) -> None:
    assert _name_matches(presented, required) is matches


def test_certificate_validation_checks_the_chain_but_not_the_name(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.WRONG_NAME))

    assert outcome.succeeded


# --- TLS negotiation --------------------------------------------------------------------------------


def test_it_fails_with_4_4_317_when_tls_is_required_but_starttls_isnt_offered(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.NO_STARTTLS)

    outcome = probe(lab, tls_mode=TlsMode.ENCRYPTION_ONLY)

    tls = task(outcome, TaskName.TLS)
    assert tls.status == TaskStatus.FAILED
    assert (
        tls.error
        == f"{CANNOT_CONNECT} [Message=STARTTLS is required but the server didn't offer it]"
    )
    assert "doesn't offer STARTTLS" in tls.cause
    assert "TLS" in tls.fix
    assert lab.messages == []


def test_opportunistic_tls_is_skipped_when_not_offered_and_the_message_still_goes(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.NO_STARTTLS)

    outcome = probe(lab, tls_mode=TlsMode.OPPORTUNISTIC)

    assert task(outcome, TaskName.TLS).status == TaskStatus.SKIPPED
    assert task(outcome, TaskName.SEND).status == TaskStatus.SUCCEEDED
    assert outcome.succeeded
    assert len(lab.messages) == 1
    assert any(line.startswith("-> MAIL FROM:") for line in outcome.transcript)  # in the clear


def test_opportunistic_tls_uses_starttls_when_offered_whatever_the_certificate(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.UNTRUSTED_CA), tls_mode=TlsMode.OPPORTUNISTIC)

    assert outcome.succeeded
    tls = task(outcome, TaskName.TLS)
    assert tls.status == TaskStatus.SUCCEEDED
    assert tls.certificate is not None
    assert tls.certificate.trusted is None


@pytest.mark.skipif(not tls10_supported(), reason="this OpenSSL can't serve TLS 1.0 at all")
def test_it_refuses_a_server_that_only_speaks_tls_1_0(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.TLS10_ONLY)

    outcome = probe(lab, tls_mode=TlsMode.ENCRYPTION_ONLY)

    tls = task(outcome, TaskName.TLS)
    assert tls.status == TaskStatus.FAILED
    assert tls.error.startswith(CANNOT_CONNECT)
    assert "TLS 1.2 or later is required" in tls.cause
    assert lab.messages == []


# --- Connection failures ----------------------------------------------------------------------------


def test_it_reports_4_4_316_when_the_connection_is_refused(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.REFUSED), smart_hosts=("127.0.0.1",))

    connect = task(outcome, TaskName.CONNECT)
    assert (connect.status, connect.error) == (TaskStatus.FAILED, CONNECTION_REFUSED)
    assert connect.address == "127.0.0.1"
    assert "refused" in connect.cause
    assert "firewall" in connect.fix
    assert statuses(outcome)[2:4] == [
        (TaskName.EHLO, TaskStatus.SKIPPED),
        (TaskName.TLS, TaskStatus.SKIPPED),
    ]


def test_it_times_out_with_4_4_315_when_the_server_never_greets(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.SILENT)
    started = time.monotonic()

    outcome = probe(lab, stage_timeout=1.0)

    assert time.monotonic() - started < 2.5
    ehlo = task(outcome, TaskName.EHLO)
    assert (ehlo.status, ehlo.error) == (TaskStatus.FAILED, CONNECTION_TIMED_OUT)
    assert "greeting" in ehlo.cause
    assert lab.connections == 1


def test_it_reports_4_4_318_when_the_server_closes_right_after_its_banner(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.HANG_UP))

    ehlo = task(outcome, TaskName.EHLO)
    assert (ehlo.status, ehlo.error) == (TaskStatus.FAILED, CLOSED_ABRUPTLY)
    assert "closed the connection" in ehlo.cause
    assert ehlo.replies == ("220 smarthost.lab.test ESMTP",)


def test_it_reports_4_4_317_with_the_greeting_when_the_greeting_isnt_220(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.BANNER_554))

    ehlo = task(outcome, TaskName.EHLO)
    assert ehlo.status == TaskStatus.FAILED
    assert ehlo.error.startswith(f"{CANNOT_CONNECT} [Message=554 5.3.2 smarthost.lab.test Service")


def test_the_total_deadline_ends_a_tarpit_that_trickles_its_banner(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.TARPIT)
    started = time.monotonic()

    outcome = probe(lab, recipients=(ADMIN, HELPDESK), stage_timeout=2.0, total_timeout=3.0)

    assert 2.9 < time.monotonic() - started < 4.5
    ehlo = task(outcome, TaskName.EHLO)
    assert (ehlo.status, ehlo.error) == (TaskStatus.FAILED, CONNECTION_TIMED_OUT)
    assert "3-second time budget" in ehlo.cause
    assert statuses(outcome)[3:] == [
        (TaskName.TLS, TaskStatus.SKIPPED),
        (TaskName.SEND, TaskStatus.SKIPPED),
        (TaskName.SEND, TaskStatus.SKIPPED),
    ]
    assert no_watchdog_left()


# --- Sending ----------------------------------------------------------------------------------------


def test_a_rejected_recipient_fails_its_send_with_the_servers_reply(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab(Behaviour.REJECT_RCPT)

    outcome = probe(lab, recipients=(ADMIN, HELPDESK))

    first, second = (task(outcome, TaskName.SEND, i) for i in (0, 1))
    assert (first.status, first.detail) == (TaskStatus.FAILED, ADMIN)
    assert (
        first.error == f"550 5.1.1 <{ADMIN}>: Recipient address rejected: User unknown in the lab"
    )
    assert "active mailbox" in first.fix
    assert (
        second.error
        == f"550 5.1.1 <{HELPDESK}>: Recipient address rejected: User unknown in the lab"
    )
    assert "~> RSET" in outcome.transcript  # a fresh transaction for the second recipient
    assert lab.messages == []


def test_a_message_refused_after_data_fails_the_send_with_the_servers_reply(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(Behaviour.REJECT_DATA))

    send = task(outcome, TaskName.SEND)
    assert send.status == TaskStatus.FAILED
    assert send.error == "554 5.6.0 Message rejected: content refused by policy"
    assert "refused" in send.cause


def test_a_non_ascii_recipient_fails_its_send_without_breaking_the_run(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab()

    outcome = probe(lab, recipients=("josé@contoso.com",))

    send = task(outcome, TaskName.SEND)
    assert (send.status, send.detail) == (TaskStatus.FAILED, "josé@contoso.com")
    assert send.error.startswith(CANNOT_CONNECT)
    assert lab.messages == []


# --- DNS --------------------------------------------------------------------------------------------


def test_it_reports_4_4_312_when_the_name_does_not_exist(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab()

    outcome = probe(lab, smart_hosts=("mial.lab.test",))

    resolve = task(outcome, TaskName.RESOLVE)
    assert (resolve.status, resolve.error) == (TaskStatus.FAILED, DNS_QUERY_FAILED)
    assert "doesn't exist in DNS (NXDOMAIN)" in resolve.cause
    assert "typos" in resolve.fix
    assert [t.status for t in outcome.tasks[1:4]] == [TaskStatus.SKIPPED] * 3
    assert lab.connections == 0


def test_it_reports_4_4_312_when_the_name_has_no_address_record(probe: Probe) -> None:
    outcome = probe(smart_hosts=("noaddress.lab.test",))

    resolve = task(outcome, TaskName.RESOLVE)
    assert resolve.error == DNS_QUERY_FAILED
    assert "exists in DNS but has no MX, A or AAAA record" in resolve.cause


def test_it_reports_4_4_312_when_the_dns_servers_fail(probe: Probe) -> None:
    outcome = probe(smart_hosts=("servfail.lab.test",))

    resolve = task(outcome, TaskName.RESOLVE)
    assert resolve.error == DNS_QUERY_FAILED
    assert "failed to answer" in resolve.cause


def test_it_reports_4_4_312_when_dns_never_answers(probe: Probe) -> None:
    started = time.monotonic()

    outcome = probe(smart_hosts=("slow.lab.test",), stage_timeout=1.5)

    assert time.monotonic() - started < 3
    resolve = task(outcome, TaskName.RESOLVE)
    assert resolve.error == DNS_QUERY_FAILED
    assert "No DNS answer for slow.lab.test (MX) within 1.5 seconds" in resolve.cause


# --- Safety -----------------------------------------------------------------------------------------


def test_a_host_with_any_address_the_policy_refuses_is_never_connected_to(
    probe: Probe, smtp_lab: Callable[..., LabServer], loopback_policy: LoopbackPolicy
) -> None:
    lab = smtp_lab()  # mixed.lab.test: 127.0.0.1 (allowed) and 10.20.30.40 (refused)

    outcome = probe(lab, smart_hosts=("mixed.lab.test",))

    connect = task(outcome, TaskName.CONNECT)
    assert (connect.status, connect.error, connect.cause) == (
        TaskStatus.FAILED,
        CANNOT_CONNECT,
        REFUSED,
    )
    assert "10." not in connect.fix
    assert "private" not in connect.fix
    assert loopback_policy.asked == ["127.0.0.1", "10.20.30.40"]
    assert lab.connections == 0


def _real_policy_or_skip(*networks: str) -> EgressPolicy:
    policy = EgressPolicy(tuple(ipaddress.ip_network(n) for n in networks))
    try:
        policy.refusal("127.0.0.1")
    except NotImplementedError:
        pytest.skip("validation/policy.py isn't implemented yet")
    return policy


def test_with_the_real_policy_allowing_the_lab_network_the_probe_gets_through(
    lab_ca: LabCA, dns_lab: DnsLab, smtp_lab: Callable[..., LabServer]
) -> None:
    probe = Probe(lab_ca, dns_lab, _real_policy_or_skip("127.0.0.0/8"))
    lab = smtp_lab()

    outcome = probe(lab)

    assert outcome.succeeded
    assert len(lab.messages) == 1


def test_with_the_real_policy_by_default_loopback_is_refused(
    lab_ca: LabCA, dns_lab: DnsLab, smtp_lab: Callable[..., LabServer]
) -> None:
    probe = Probe(lab_ca, dns_lab, _real_policy_or_skip())
    lab = smtp_lab()

    outcome = probe(lab)

    assert task(outcome, TaskName.CONNECT).cause == REFUSED
    assert lab.connections == 0


# --- Progress, stopping, transcript ----------------------------------------------------------------


def test_on_task_reports_each_task_as_it_completes_in_order(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab(), recipients=(ADMIN, HELPDESK))

    assert probe.seen == list(outcome.tasks)
    assert [t.name for t in probe.seen] == [*HOST_STAGES, TaskName.SEND, TaskName.SEND]
    assert [t.started for t in probe.seen] == sorted(t.started for t in probe.seen)


def test_should_stop_stops_the_run_between_stages_and_closes_the_session(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    lab = smtp_lab()

    def after_ehlo() -> bool:
        return any(t.name == TaskName.EHLO for t in probe.seen)

    outcome = probe(lab, should_stop=after_ehlo)

    assert outcome.stopped
    assert not outcome.succeeded
    assert [t.name for t in outcome.tasks] == [TaskName.RESOLVE, TaskName.CONNECT, TaskName.EHLO]
    assert outcome.transcript[-3:] == ("-> QUIT", "<- 221 Bye", "=== Connection closed")
    assert lab.messages == []


def test_should_stop_before_anything_returns_an_empty_stopped_outcome(
    probe: Probe, smtp_lab: Callable[..., LabServer], dns_lab: DnsLab
) -> None:
    lab = smtp_lab()

    outcome = probe(lab, should_stop=lambda: True)

    assert (outcome.tasks, outcome.stopped) == ((), True)
    assert dns_lab.queries == []
    assert lab.connections == 0


def test_the_transcript_shows_the_dialogue_but_never_the_message(
    probe: Probe, smtp_lab: Callable[..., LabServer]
) -> None:
    outcome = probe(smtp_lab())

    lines = outcome.transcript
    assert "-> EHLO probe.lab.test" in lines
    assert "<- 250-STARTTLS" in lines
    assert "-> STARTTLS" in lines
    assert any(line.startswith("=== TLS started with TLSv1.") for line in lines)
    assert "~> EHLO probe.lab.test" in lines
    assert f"~> MAIL FROM:<{SENDER}>" in lines
    assert f"~> RCPT TO:<{ADMIN}>" in lines
    assert any(line.startswith("~> [message, ") and line.endswith(" bytes]") for line in lines)
    text = "\n".join(lines)
    assert "Subject:" not in text
    assert RUN_ID not in text
    assert "No action is needed" not in text
