"""What the lab keeps of a message, and for which tenant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eac.models import AcceptedDomain, DomainType, Tenant
from lab import services
from lab.behaviours import Behaviour
from lab.models import LabMessage
from lab.smtp import Delivery
from tests.conftest import make_tenant

MESSAGE = (
    b"From: Sun <sun@wingtiptoys.com>\r\n"
    b"To: john@contoso.com\r\n"
    b"Subject: =?utf-8?q?Caf=C3=A9?= plans\r\n"
    b"Message-ID: <1@wingtiptoys.com>\r\n"
    b"X-EAC-Validation-Run: 7f9c2a1e-5b1d-4c55-9a7e-3c3a6b1f0d2e\r\n"
    b"\r\n"
    b"The body, which the lab doesn't keep.\r\n"
)


def delivery(
    *recipients: str, sender: str = "sun@wingtiptoys.com", content: bytes = MESSAGE
) -> Delivery:
    return Delivery(
        behaviour=Behaviour.GOOD,
        server_address="127.0.0.1",
        client_address="127.0.0.1",
        helo="probe.example",
        tls_version="TLSv1.3",
        mail_from=sender,
        rcpt_tos=recipients,
        content=content,
        received_at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
    )


def test_it_keeps_the_envelope_the_headers_and_their_decoded_values(contoso: Tenant) -> None:
    [message] = services.lab_message_store(delivery("john@contoso.com"))

    message.refresh_from_db()
    assert message.tenant == contoso
    assert message.subject == "Café plans"
    assert message.message_id == "<1@wingtiptoys.com>"
    assert str(message.validation_run_id) == "7f9c2a1e-5b1d-4c55-9a7e-3c3a6b1f0d2e"
    assert message.headers.endswith("X-EAC-Validation-Run: 7f9c2a1e-5b1d-4c55-9a7e-3c3a6b1f0d2e")
    assert "body" not in message.headers
    assert message.size == len(MESSAGE)
    assert message.received_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_a_message_without_headers_or_with_odd_bytes_is_kept_all_the_same(
    contoso: Tenant,
) -> None:
    odd = b"Subject: =?bogus?q?x?= \xff\x00\r\nX-EAC-Validation-Run: not-a-uuid\r\n\r\n"

    [message] = services.lab_message_store(delivery("john@contoso.com", content=odd, sender=""))

    message.refresh_from_db()
    assert message.mail_from == ""
    assert "\x00" not in message.headers
    assert message.subject.startswith("=?bogus?q?x?=")
    assert message.validation_run_id is None


def test_a_recipient_in_a_subdomain_belongs_to_the_tenant_accepting_its_subdomains(
    contoso: Tenant,
) -> None:
    AcceptedDomain.objects.filter(tenant=contoso, name="contoso.com").update(
        domain_type=DomainType.INTERNAL_RELAY, match_subdomains=True
    )

    [message] = services.lab_message_store(delivery("ann@eu.contoso.com"))

    assert message.tenant == contoso


def test_when_tenants_share_a_domain_the_sender_says_whose_test_email_it_is(
    db: None,
) -> None:
    # Sandbox tenants of one class all accept contoso.com; each sends from its own initial domain.
    first = make_tenant("Trainee 1", "trainee1", ("contoso.com",))
    second = make_tenant("Trainee 2", "trainee2", ("contoso.com",))

    [message] = services.lab_message_store(
        delivery("john@contoso.com", sender="O365ConnectorValidation@trainee2.onmicrosoft.com")
    )
    assert message.tenant == second

    # From a stranger, the message belongs to both: neither can be told apart.
    messages = services.lab_message_store(delivery("john@contoso.com"))
    assert {m.tenant for m in messages} == {first, second}


def test_each_mailbox_keeps_only_its_newest_messages(
    contoso: Tenant, fabrikam: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_MESSAGES_PER_TENANT", 3)
    services.lab_message_store(delivery("ops@fabrikamlab.com"))
    for _ in range(5):
        services.lab_message_store(delivery("john@contoso.com"))

    assert LabMessage.objects.filter(tenant=contoso).count() == 3
    assert LabMessage.objects.filter(tenant=fabrikam).count() == 1
