"""The Lab mailbox page: each tenant sees the mail the lab received for it, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from eac.models import Tenant, User
from lab import services
from lab.behaviours import Behaviour
from lab.models import LabMessage
from lab.smtp import Delivery

RUN_ID = "7f9c2a1e-5b1d-4c55-9a7e-3c3a6b1f0d2e"


def receive(tenant: Tenant, recipient: str, subject: str, run_id: str = "") -> LabMessage:
    """A test message from the tenant's own validation sender, which names its mailbox."""
    run_header = f"X-EAC-Validation-Run: {run_id}\r\n" if run_id else ""
    content = (
        f"From: {tenant.validation_sender}\r\nSubject: {subject}\r\n{run_header}\r\nBody\r\n"
    ).encode()
    [message] = services.lab_message_store(
        Delivery(
            behaviour=Behaviour.GOOD,
            server_address="127.0.0.1",
            client_address="127.0.0.1",
            helo="probe.example",
            tls_version="TLSv1.3",
            mail_from=tenant.validation_sender,
            rcpt_tos=(recipient,),
            content=content,
            received_at=datetime.now(UTC),
        )
    )
    return message


@pytest.fixture
def contoso_mail(contoso: Tenant) -> LabMessage:
    receive(contoso, "john@contoso.com", "Older news for John")
    return receive(contoso, "john@contoso.com", "Test email for connector validation", RUN_ID)


@pytest.fixture
def fabrikam_mail(fabrikam: Tenant) -> LabMessage:
    return receive(fabrikam, "ops@fabrikamlab.com", "Fabrikam secret plans")


def test_the_mailbox_lists_the_tenants_messages_newest_first(
    admin_client_: Client, contoso_mail: LabMessage, fabrikam_mail: LabMessage
) -> None:
    response = admin_client_.get(reverse("lab:mailbox"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Test email for connector validation") < page.index("Older news for John")
    assert "john@contoso.com" in page
    assert "O365ConnectorValidation@contoso.onmicrosoft.com" in page
    assert RUN_ID in page
    assert reverse("validation:run", args=[RUN_ID]) in page
    assert "2 messages" in page
    assert "Fabrikam secret plans" not in page
    assert "ops@fabrikamlab.com" not in page


def test_a_stranger_sees_only_their_own_tenants_mail(
    stranger_client: Client, contoso_mail: LabMessage, fabrikam_mail: LabMessage
) -> None:
    page = stranger_client.get(reverse("lab:mailbox")).content.decode()

    assert "Fabrikam secret plans" in page
    assert "Test email for connector validation" not in page
    assert "john@contoso.com" not in page


def test_a_message_shows_its_headers_beside_the_list(
    admin_client_: Client, contoso_mail: LabMessage
) -> None:
    response = admin_client_.get(reverse("lab:message", args=[contoso_mail.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"X-EAC-Validation-Run: {RUN_ID}" in page
    assert "Encrypted with TLSv1.3" in page
    assert "Older news for John" in page  # the list is there too: a full page


def test_another_tenants_message_is_not_found(
    admin_client_: Client, fabrikam_mail: LabMessage
) -> None:
    response = admin_client_.get(reverse("lab:message", args=[fabrikam_mail.pk]))

    assert response.status_code == 404


def test_htmx_gets_the_table_when_polling_and_the_details_alone_when_a_message_is_opened(
    admin_client_: Client, contoso_mail: LabMessage
) -> None:
    table = admin_client_.get(
        reverse("lab:mailbox"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lab-messages"
    )
    details = admin_client_.get(
        reverse("lab:message", args=[contoso_mail.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="flyout",
    )

    assert table.content.decode().lstrip().startswith('<div id="lab-messages"')
    assert "<h1>" not in table.content.decode()
    assert details.content.decode().lstrip().startswith('<aside id="flyout"')
    assert "HX-Request" in table["Vary"]
    assert "HX-Request" in details["Vary"]


def test_the_mailbox_says_so_when_it_is_empty_and_names_the_lab_hosts(
    admin_client_: Client,
) -> None:
    page = admin_client_.get(reverse("lab:mailbox")).content.decode()

    assert "No messages yet." in page
    assert "wrongname.contoso.com" in page


def test_members_find_the_mailbox_under_mail_flow(admin_client_: Client) -> None:
    page = admin_client_.get(reverse("connectors:list")).content.decode()

    assert f'href="{reverse("lab:mailbox")}"' in page
    assert "Lab mailbox" in page


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client: Client, contoso: Tenant) -> None:
    response = client.get(reverse("lab:mailbox"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))


def test_a_signed_in_user_without_a_tenant_is_refused(db: None, client: Client) -> None:
    user = User.objects.create_user("nobody@example.com", "x")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("lab:mailbox"))

    assert response.status_code == 403
    assert "Lab mailbox" not in response.content.decode()
