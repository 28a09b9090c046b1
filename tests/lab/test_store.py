"""What the lab keeps of a message, and for which tenant: the one the envelope sender names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from eac.models import Tenant
from lab import services
from lab.behaviours import Behaviour
from lab.models import LabDomain, LabMessage
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


CONTOSO_PROBE = "O365ConnectorValidation@contoso.onmicrosoft.com"
FABRIKAM_PROBE = "O365ConnectorValidation@fabrikamlab.onmicrosoft.com"


def delivery(*recipients: str, sender: str = CONTOSO_PROBE, content: bytes = MESSAGE) -> Delivery:
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
    assert message.mail_from == CONTOSO_PROBE
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

    [message] = services.lab_message_store(delivery("john@contoso.com", content=odd))

    message.refresh_from_db()
    assert "\x00" not in message.headers
    assert message.subject.startswith("=?bogus?q?x?=")
    assert message.validation_run_id is None


def test_fabrikams_test_message_to_john_at_contoso_lands_in_fabrikams_mailbox_only(
    contoso: Tenant, fabrikam: Tenant
) -> None:
    # Fabrikam Lab made a partner connector for contoso.com; Contoso and two trainees accept it.
    make_tenant("Trainee 1", "trainee1", ("contoso.com",))
    make_tenant("Trainee 2", "trainee2", ("contoso.com",))

    [message] = services.lab_message_store(delivery("john@contoso.com", sender=FABRIKAM_PROBE))

    assert message.tenant == fabrikam
    assert message.rcpt_tos == ["john@contoso.com"]
    assert list(LabMessage.objects.values_list("tenant", flat=True)) == [fabrikam.pk]


def test_sandboxes_sharing_domain_names_each_get_only_their_own_test_messages(
    db: None,
) -> None:
    # One class's sandboxes accept the same domains; the second also plays a partner's.
    first = make_tenant("Trainee 1", "trainee1", ("contoso.com",))
    second = make_tenant("Trainee 2", "trainee2", ("contoso.com",))
    LabDomain.objects.create(tenant=second, name="wingtiptoys.com")

    services.lab_message_store(
        delivery("john@contoso.com", "sun@wingtiptoys.com", sender=first.validation_sender)
    )
    services.lab_message_store(delivery("john@contoso.com", sender=second.validation_sender))

    mine, theirs = LabMessage.objects.filter(tenant=first), LabMessage.objects.filter(tenant=second)
    assert [m.rcpt_tos for m in mine] == [["john@contoso.com", "sun@wingtiptoys.com"]]
    assert [m.rcpt_tos for m in theirs] == [["john@contoso.com"]]
    assert LabMessage.objects.count() == 2


@pytest.mark.parametrize(
    "sender",
    [
        "sun@wingtiptoys.com",  # no tenant's at all
        "",  # the null sender
        "admin@contoso.com",  # an accepted domain, but not an initial domain
        "probe@eu.contoso.onmicrosoft.com",  # under an initial domain, not it
    ],
)
def test_a_message_whose_sender_names_no_tenant_is_kept_nowhere(
    contoso: Tenant, fabrikam: Tenant, sender: str
) -> None:
    kept = services.lab_message_store(
        delivery("john@contoso.com", "ops@fabrikamlab.com", "x@elsewhere.example", sender=sender)
    )

    assert kept == []
    assert not LabMessage.objects.exists()


def test_the_sender_names_its_tenant_whatever_the_case_or_a_trailing_dot(
    fabrikam: Tenant,
) -> None:
    [message] = services.lab_message_store(
        delivery("john@contoso.com", sender="O365ConnectorValidation@FabrikamLab.OnMicrosoft.com.")
    )

    assert message.tenant == fabrikam


def test_each_mailbox_keeps_only_its_newest_messages(
    contoso: Tenant, fabrikam: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_MESSAGES_PER_TENANT", 3)
    services.lab_message_store(delivery("ops@fabrikamlab.com", sender=FABRIKAM_PROBE))
    for _ in range(5):
        services.lab_message_store(delivery("john@contoso.com"))

    assert LabMessage.objects.filter(tenant=contoso).count() == 3
    assert LabMessage.objects.filter(tenant=fabrikam).count() == 1


def test_the_cap_never_pushes_out_another_tenants_messages(
    contoso: Tenant, fabrikam: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_MESSAGES_PER_TENANT", 3)
    contosos = [services.lab_message_store(delivery("john@contoso.com"))[0] for _ in range(3)]

    # Fabrikam validates its partner connector for contoso.com, again and again.
    for _ in range(5):
        services.lab_message_store(delivery("john@contoso.com", sender=FABRIKAM_PROBE))

    assert list(LabMessage.objects.filter(tenant=contoso).order_by("id")) == contosos
    assert LabMessage.objects.filter(tenant=fabrikam).count() == 3
