"""The front door (lab.front_door, lab.office) driven by real SMTP clients: the lab and the front
door started on free ports, Contoso's connectors in the database, and what each message did
read back from the trace and the lab mailbox."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import subprocess
from email.message import EmailMessage

import pytest

from connectors.endpoints import ConnectorType
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import connector_set_enabled, connector_update
from eac.models import Tenant
from lab.models import LabMessage, TracedMessage, TraceStatus
from lab.office import tenant_token
from lab.server import Lab
from tests.conftest import make_inbound, make_outbound
from tests.lab.conftest import eventually, resolver_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lab(front_door_lab: Lab) -> Lab:
    return front_door_lab


def lab_tls(lab: Lab, *, certificate: bool = False) -> ssl.SSLContext:
    assert lab.files is not None
    context = ssl.create_default_context(cafile=str(lab.files.ca))
    # smtplib checks the name it connected to, 127.0.0.1; the certificate is for Office 365's
    # names (test_the_front_door_presents_office_365s_names), which only the lab DNS resolves.
    context.check_hostname = False
    if certificate:  # the lab's good certificate names mail.contoso.com (*.contoso.com)
        context.load_cert_chain(lab.files.good.certificate, lab.files.good.key)
    return context


def send(
    lab: Lab,
    sender: str,
    recipient: str,
    *,
    tls: bool = True,
    certificate: bool = False,
    xclient: str = "",
    subject: str = "Hello through the front door",
) -> None:
    """One message through the front door, as a sending server would (raises on a refusal)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    message.set_content("Testing mail flow in the lab.\n")
    assert lab.front_door_port is not None
    with smtplib.SMTP("127.0.0.1", lab.front_door_port, local_hostname="sender.test") as client:
        client.ehlo()
        if xclient:
            code, reply = client.docmd("XCLIENT", xclient)
            assert code == 220, reply
            client.ehlo()
        if tls:
            client.starttls(context=lab_tls(lab, certificate=certificate))
            client.ehlo()
        client.send_message(message, from_addr=sender, to_addrs=[recipient])


def finished(recipient: str) -> TracedMessage:
    """The newest traced message to `recipient`, once it is no longer Pending."""
    eventually(
        lambda: (
            TracedMessage.objects.filter(recipient=recipient)
            .exclude(status=TraceStatus.PENDING)
            .exists()
        )
    )
    return TracedMessage.objects.filter(recipient=recipient).first()  # type: ignore[return-value]


def kinds(message: TracedMessage) -> list[str]:
    return list(message.events.values_list("kind", flat=True))


def test_internet_mail_to_a_cloud_mailbox_is_delivered_in_office_365(
    lab: Lab, contoso: Tenant
) -> None:
    send(lab, "sun@wingtiptoys.com", "bob@contoso.com")

    traced = finished("bob@contoso.com")
    assert traced.tenant == contoso
    assert traced.status == TraceStatus.DELIVERED
    assert traced.subject == "Hello through the front door"
    assert kinds(traced) == ["Receive", "Deliver"]
    receive = traced.events.get(kind="Receive")
    assert receive.tls.startswith("TLSv1.")
    assert "[127.0.0.1]" in receive.detail


def test_the_front_door_presents_office_365s_names_and_offers_xclient(lab: Lab) -> None:
    assert lab.front_door_port is not None
    with smtplib.SMTP("127.0.0.1", lab.front_door_port) as client:
        client.ehlo()
        assert client.has_extn("xclient")
        client.starttls(context=lab_tls(lab))
        certificate = client.sock.getpeercert()  # type: ignore[union-attr]
    names = {value for kind, value in certificate["subjectAltName"] if kind == "DNS"}
    assert {"mail.protection.outlook.com", "*.mail.protection.outlook.com"} <= names


def test_internet_mail_to_a_mailbox_on_your_server_goes_through_the_outbound_connector(
    lab: Lab, contoso: Tenant, fabrikam: Tenant
) -> None:
    send(lab, "sun@wingtiptoys.com", "john@contoso.com", subject="For John's server")

    traced = finished("john@contoso.com")
    assert traced.status == TraceStatus.DELIVERED, list(traced.events.values_list("detail"))
    assert kinds(traced) == ["Receive", "Connector", "Send"]
    chosen = traced.events.get(kind="Connector")
    assert chosen.connector == "To Contoso servers"
    assert "all accepted domains" in chosen.detail
    sent = traced.events.get(kind="Send")
    assert sent.host == "mail.contoso.onmicrosoft.com"
    assert sent.tls.startswith("TLSv1.")
    assert sent.code.startswith("250")
    # Contoso's lab mailbox shows the copy its server received; nobody else's does.
    eventually(lambda: LabMessage.objects.filter(tenant=contoso).exists())
    kept = LabMessage.objects.get(tenant=contoso)
    assert kept.subject == "For John's server"
    assert kept.rcpt_tos == ["john@contoso.com"]
    assert f"X-EAC-Lab-Trace: {traced.pk}" in kept.headers
    assert not LabMessage.objects.filter(tenant=fabrikam).exists()


def test_with_the_connector_turned_off_the_next_message_loops_and_fails_with_5_4_14(
    lab: Lab, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    connector_set_enabled(connector=connector, actor=None, enabled=False)

    send(lab, "sun@wingtiptoys.com", "john@contoso.com")

    traced = finished("john@contoso.com")
    assert traced.status == TraceStatus.FAILED
    assert traced.failure_code == "554 5.4.14"
    assert kinds(traced) == ["Receive", "Connector", "Fail"]
    fail = traced.events.get(kind="Fail")
    assert "Hop count exceeded" in fail.detail
    assert "no enabled outbound connector routes contoso.com" in fail.detail
    assert not LabMessage.objects.exists()


def test_a_certificate_refused_after_starttls_is_traced_with_the_tls_it_negotiated(
    lab: Lab, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    connector_update(
        connector=connector,
        actor=None,
        fields={"smart_hosts": ["expired.contoso.com"], "tls_settings": "CertificateValidation"},
        expected_version=connector.version,
    )

    send(lab, "sun@wingtiptoys.com", "john@contoso.com")

    traced = finished("john@contoso.com")
    assert traced.failure_code == "450 4.7.320"
    fail = traced.events.get(kind="Fail")
    assert fail.host == "expired.contoso.com"
    assert fail.tls.startswith("TLSv1."), fail.tls  # encrypted; the certificate was refused


def test_a_relay_from_your_server_needs_an_on_premises_inbound_connector(
    lab: Lab, contoso: Tenant
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(lab, "john@contoso.com", "sun@wingtiptoys.com", xclient="ADDR=203.0.113.10")
    code, reply = refused.value.recipients["sun@wingtiptoys.com"]
    assert (code, reply) == (550, b"5.7.64 TenantAttribution; Relay Access Denied")
    traced = finished("sun@wingtiptoys.com")
    assert traced.tenant == contoso  # the sender's organization sees why
    assert str(traced.from_ip) == "203.0.113.10"
    assert traced.failure_code == "550 5.7.64"
    assert "no enabled OnPremises inbound connector" in traced.events.get(kind="Fail").detail

    make_inbound(
        contoso,
        "From John's server",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        sender_ip_addresses=["203.0.113.0/24"],
    )
    send(lab, "john@contoso.com", "sun@wingtiptoys.com", xclient="ADDR=203.0.113.10")

    eventually(lambda: TracedMessage.objects.filter(status=TraceStatus.DELIVERED).exists())
    relayed = TracedMessage.objects.get(status=TraceStatus.DELIVERED)
    assert kinds(relayed) == ["Receive", "Connector", "Connector", "Send"]
    inbound, outbound = relayed.events.filter(kind="Connector")
    assert inbound.connector == "From John's server"
    assert "its IP address (203.0.113.10)" in inbound.detail
    assert "mail.lab.test" in outbound.detail  # the lab plays the internet
    assert relayed.events.get(kind="Send").host == "mail.lab.test"
    eventually(lambda: LabMessage.objects.filter(tenant=contoso).exists())


def test_a_certificate_identifies_your_server_too(lab: Lab, contoso: Tenant) -> None:
    make_inbound(
        contoso,
        "From John's server",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        tls_sender_certificate_name="mail.contoso.com",
    )

    send(lab, "john@contoso.com", "sun@wingtiptoys.com", certificate=True)

    traced = finished("sun@wingtiptoys.com")
    assert traced.status == TraceStatus.DELIVERED
    receive, inbound = traced.events.all()[:2]
    assert "client certificate" in receive.detail
    assert "its TLS certificate (*.contoso.com)" in inbound.detail


def test_a_partner_connector_requiring_tls_refuses_plain_text(lab: Lab, contoso: Tenant) -> None:
    partner = InboundConnector.objects.get(tenant=contoso, name="From Tailspin")
    connector_update(
        connector=partner,
        actor=None,
        fields={"require_tls": True},
        expected_version=partner.version,
    )

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(lab, "ann@tailspintoys.com", "bob@contoso.com", tls=False)
    code, reply = refused.value.recipients["bob@contoso.com"]
    assert code == 550
    assert reply.startswith(b"5.7.51 TenantInboundAttribution")
    traced = finished("bob@contoso.com")
    assert traced.failure_code == "550 5.7.51"
    assert "requires TLS" in traced.events.get(kind="Fail").detail

    send(lab, "ann@tailspintoys.com", "bob@contoso.com", tls=True)

    eventually(lambda: TracedMessage.objects.filter(status=TraceStatus.DELIVERED).exists())
    delivered = TracedMessage.objects.get(status=TraceStatus.DELIVERED)
    assert delivered.events.get(kind="Connector").connector == "From Tailspin"


def test_an_unknown_address_in_an_authoritative_domain_is_refused(lab: Lab) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(lab, "sun@wingtiptoys.com", "nobody@contoso.com")

    assert refused.value.recipients["nobody@contoso.com"][1].startswith(b"5.4.1 Recipient")


def test_the_console_names_the_organization_with_a_signed_token(
    lab: Lab, contoso: Tenant, fabrikam: Tenant
) -> None:
    # Fabrikam Lab doesn't accept contoso.com: named by its token, the message is Fabrikam's, and
    # Fabrikam (no connector from its own server) refuses to relay it.
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(
            lab, "a@fabrikamlab.com", "bob@contoso.com", xclient=f"XTENANT={tenant_token(fabrikam)}"
        )
    assert finished("bob@contoso.com").tenant == fabrikam

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(lab, "a@fabrikamlab.com", "bob@contoso.com", xclient=f"XTENANT={contoso.pk}-forged")
    assert refused.value.recipients["bob@contoso.com"][1].startswith(b"5.7.1 XTENANT")
    assert not TracedMessage.objects.filter(tenant=contoso).exists()


def test_another_organization_sees_none_of_it(lab: Lab, contoso: Tenant, fabrikam: Tenant) -> None:
    send(lab, "sun@wingtiptoys.com", "bob@contoso.com")
    send(lab, "sun@wingtiptoys.com", "john@contoso.com")
    finished("bob@contoso.com")
    finished("john@contoso.com")

    assert TracedMessage.objects.filter(tenant=contoso).count() == 2
    assert not TracedMessage.objects.filter(tenant=fabrikam).exists()
    assert not LabMessage.objects.filter(tenant=fabrikam).exists()


def test_the_lab_dns_points_office_365s_names_at_the_front_door(lab: Lab) -> None:
    resolver = resolver_for(lab.dns_port)
    for name in (
        "contoso-com.mail.protection.outlook.com",
        "expired-com.mail.protection.outlook.com",
    ):
        assert [r.to_text() for r in resolver.resolve(name, "A", search=False)] == ["127.0.0.1"]
    # The organization's own MX still leads to the lab server playing its email server (for
    # validation); docs/front-door.md says why.
    mx = resolver.resolve("contoso.com", "MX", search=False)
    assert [r.exchange.to_text() for r in mx] == ["mail.contoso.com."]


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks isn't installed")
def test_swaks_delivers_to_a_cloud_mailbox_over_starttls(lab: Lab, contoso: Tenant) -> None:
    """The README's command, as an admin types it (swaks doesn't check the certificate)."""
    assert lab.front_door_port is not None
    finished_swaks = subprocess.run(
        [
            "swaks",
            "--server", "127.0.0.1",
            "--port", str(lab.front_door_port),
            "--from", "sun@wingtiptoys.com",
            "--to", "bob@contoso.com",
            "--tls",
            "--timeout", "10",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert finished_swaks.returncode == 0, finished_swaks.stdout + finished_swaks.stderr
    traced = finished("bob@contoso.com")
    assert (traced.tenant, traced.status) == (contoso, TraceStatus.DELIVERED)
    assert "TLS" in traced.events.get(kind="Receive").tls


# --- A mailbox in Office 365 submitting (XCLIENT LOGIN) ----------------------------------------


def as_bob(contoso: Tenant) -> str:
    """The XCLIENT the console's sender says to submit as Bob, Contoso's mailbox in Office 365."""
    return f"LOGIN=bob@contoso.com XTENANT={tenant_token(contoso)}"


def xclient_reply(lab: Lab, declared: str) -> tuple[int, str]:
    assert lab.front_door_port is not None
    with smtplib.SMTP("127.0.0.1", lab.front_door_port, local_hostname="sender.test") as client:
        client.ehlo()
        assert "LOGIN" in client.esmtp_features["xclient"].upper()
        code, reply = client.docmd("XCLIENT", declared)
    return code, reply.decode()


def test_bob_submits_to_the_internet_and_office_365_delivers_by_mx(
    lab: Lab, contoso: Tenant
) -> None:
    send(lab, "bob@contoso.com", "sun@wingtiptoys.com", xclient=as_bob(contoso))

    traced = finished("sun@wingtiptoys.com")
    assert traced.tenant == contoso
    assert traced.status == TraceStatus.DELIVERED, list(traced.events.values_list("detail"))
    assert kinds(traced) == ["Receive", "Connector", "Send"]
    receive = traced.events.get(kind="Receive")
    assert receive.detail.startswith("Submitted by Bob <bob@contoso.com>, a mailbox in Office 365")
    assert "Received from" not in receive.detail  # no sending server, no inbound attribution
    outbound = traced.events.get(kind="Connector")
    assert outbound.connector == ""
    assert "No outbound connector applies" in outbound.detail
    sent = traced.events.get(kind="Send")
    assert sent.host == "mail.lab.test"  # the lab's server playing the internet
    assert sent.connector == ""
    eventually(lambda: LabMessage.objects.filter(tenant=contoso).exists())
    assert "with ESMTPSA" in LabMessage.objects.get(tenant=contoso).headers


def test_bob_to_a_partner_domain_goes_through_its_partner_connector(
    lab: Lab, contoso: Tenant
) -> None:
    make_outbound(
        contoso,
        "To Tailspin",
        connector_type=ConnectorType.PARTNER,
        recipient_domains=["tailspintoys.com"],
        smart_hosts=["mail.lab.test"],
    )

    send(lab, "bob@contoso.com", "ann@tailspintoys.com", xclient=as_bob(contoso))

    traced = finished("ann@tailspintoys.com")
    assert traced.status == TraceStatus.DELIVERED, list(traced.events.values_list("detail"))
    outbound = traced.events.get(kind="Connector")
    assert outbound.connector == "To Tailspin"
    assert "exact match on tailspintoys.com" in outbound.detail
    assert traced.events.get(kind="Send").connector == "To Tailspin"


def test_with_centralized_mail_transport_bob_to_sun_goes_through_your_server(
    lab: Lab, contoso: Tenant
) -> None:
    connector = OutboundConnector.objects.get(tenant=contoso, name="To Contoso servers")
    connector_update(
        connector=connector,
        actor=None,
        fields={"route_all_messages_via_on_premises": True},
        expected_version=connector.version,
    )

    send(lab, "bob@contoso.com", "sun@wingtiptoys.com", xclient=as_bob(contoso))

    traced = finished("sun@wingtiptoys.com")
    assert traced.status == TraceStatus.DELIVERED, list(traced.events.values_list("detail"))
    outbound = traced.events.get(kind="Connector")
    assert outbound.connector == "To Contoso servers"
    assert "centralized mail transport" in outbound.detail
    sent = traced.events.get(kind="Send")
    assert (sent.host, sent.connector) == ("mail.contoso.onmicrosoft.com", "To Contoso servers")


def test_bob_to_john_goes_through_the_connector_to_your_server(lab: Lab, contoso: Tenant) -> None:
    send(lab, "bob@contoso.com", "john@contoso.com", xclient=as_bob(contoso))

    traced = finished("john@contoso.com")
    assert traced.status == TraceStatus.DELIVERED, list(traced.events.values_list("detail"))
    assert kinds(traced) == ["Receive", "Connector", "Send"]
    assert traced.events.get(kind="Connector").connector == "To Contoso servers"


def test_bob_to_an_unknown_colleague_fails_the_directory_lookup(lab: Lab, contoso: Tenant) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(lab, "bob@contoso.com", "nobody@contoso.com", xclient=as_bob(contoso))

    code, reply = refused.value.recipients["nobody@contoso.com"]
    assert (code, reply) == (
        550,
        b"5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    )
    traced = finished("nobody@contoso.com")
    assert traced.failure_code == "550 5.1.10"
    assert traced.events.get(kind="Receive").detail.startswith("Submitted by Bob")


@pytest.mark.parametrize(
    "declared",
    [
        "LOGIN=bob@contoso.com",  # no token
        "LOGIN=bob@contoso.com XTENANT={pk}-forged",
        "LOGIN=bob@contoso.com XTENANT={pk}-{mac_of_another}",
    ],
)
def test_login_without_a_token_the_console_signed_is_refused(
    lab: Lab, contoso: Tenant, fabrikam: Tenant, declared: str
) -> None:
    another = tenant_token(fabrikam).partition("-")[2]
    code, reply = xclient_reply(lab, declared.format(pk=contoso.pk, mac_of_another=another))

    assert code == 535
    assert reply.startswith("5.7.3 Authentication unsuccessful: ")
    assert "XTENANT" in reply
    assert not TracedMessage.objects.exists()


@pytest.mark.parametrize(
    ("login", "why"),
    [
        ("john@contoso.com", "john@contoso.com's mailbox isn't in Office 365"),
        ("nobody@contoso.com", "nobody@contoso.com isn't a mailbox of Contoso"),
    ],
)
def test_login_for_a_mailbox_that_isnt_in_office_365_is_refused(
    lab: Lab, contoso: Tenant, login: str, why: str
) -> None:
    code, reply = xclient_reply(lab, f"LOGIN={login} XTENANT={tenant_token(contoso)}")

    assert code == 535
    assert reply.startswith(f"5.7.3 Authentication unsuccessful: {why}")


def test_another_organizations_token_doesnt_submit_as_its_mailbox(
    lab: Lab, contoso: Tenant, fabrikam: Tenant
) -> None:
    code, reply = xclient_reply(lab, f"LOGIN=bob@contoso.com XTENANT={tenant_token(fabrikam)}")
    assert code == 535
    assert "isn't a mailbox of Fabrikam Lab" in reply


def test_a_refused_login_changes_nothing_and_bob_may_only_send_as_himself(
    lab: Lab, contoso: Tenant
) -> None:
    assert lab.front_door_port is not None
    with smtplib.SMTP("127.0.0.1", lab.front_door_port, local_hostname="sender.test") as client:
        client.ehlo()
        assert client.docmd("XCLIENT", "LOGIN=john@contoso.com")[0] == 535
        # Still anonymous: relaying to the internet is refused as before.
        client.mail("bob@contoso.com")
        assert client.rcpt("sun@wingtiptoys.com")[0] == 550
        client.rset()

        assert client.docmd("XCLIENT", as_bob(contoso))[0] == 220
        client.ehlo()
        code, reply = client.mail("john@contoso.com")
        assert (code, reply) == (
            550,
            b"5.7.60 SMTP; Client does not have permissions to send as this sender",
        )
        assert client.mail("BOB@contoso.com")[0] == 250  # the address, in any case
