from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, AuditEvent, Membership, Tenant, User

pytestmark = pytest.mark.django_db


def _state() -> dict[str, object]:
    return {
        "tenants": list(Tenant.objects.values_list("name", "initial_domain")),
        "domains": list(
            AcceptedDomain.objects.values_list("tenant__name", "name", "domain_type", "is_default")
        ),
        "outbound": list(OutboundConnector.objects.values_list("name", "version", "changed_at")),
        "inbound": list(InboundConnector.objects.values_list("name", "version", "changed_at")),
        "users": list(User.objects.values_list("email", "password")),
        "memberships": list(Membership.objects.values_list("user__email", "tenant__name", "role")),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, settings: object, tmp_path: object) -> None:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_demo_has_contoso_with_the_seed_connectors(demo: None) -> None:
    contoso = Tenant.objects.get(name="Contoso")
    assert contoso.initial_domain == "contoso.onmicrosoft.com"
    assert sorted(AcceptedDomain.objects.filter(tenant=contoso).values_list("name", flat=True)) == [
        "contoso.com",
        "contoso.onmicrosoft.com",
        "fabrikam.com",
        "sales.contoso.com",
    ]
    assert AcceptedDomain.objects.get(tenant=contoso, is_default=True).name == "contoso.com"
    one, two, three = OutboundConnector.objects.filter(tenant=contoso).order_by("name")
    assert (one.name, one.all_accepted_domains) == ("Connector 1", True)
    assert (two.name, two.recipient_domains) == ("Connector 2", ["contoso.com"])
    assert (three.name, three.recipient_domains) == ("Connector 3", ["*.contoso.com"])
    for connector in (one, two, three):
        assert connector.connector_type == "OnPremises"
        assert connector.enabled
        assert connector.tls_settings == "CertificateValidation"
        assert all(host.endswith(".contoso.com") for host in connector.smart_hosts)


def test_running_it_again_changes_nothing(demo: None) -> None:
    before = _state()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _state() == before


def test_both_demo_admins_sign_in_and_see_only_their_tenant(demo: None) -> None:
    client = Client()
    page = client.post(
        reverse("signin"),
        {"username": "admin@contoso.com", "password": "demo-password-for-tests"},
        follow=True,
    ).content.decode()
    assert all(name in page for name in ("Connector 1", "Connector 2", "Connector 3"))
    assert page.count(">O365<") == 4
    assert page.count(">Your org<") == 4

    lab = Client()
    lab_page = lab.post(
        reverse("signin"),
        {"username": "admin@fabrikamlab.onmicrosoft.com", "password": "demo-password-for-tests"},
        follow=True,
    ).content.decode()
    assert "Connector 1" not in lab_page
    assert "Fabrikam Lab" in lab_page


def test_the_demo_has_john_bob_and_sun(demo: None) -> None:
    from eac.models import Mailbox

    places = dict(Mailbox.objects.values_list("display_name", "location"))
    assert places == {"John": "your_org", "Bob": "office365", "Sun": "internet"}


def test_the_demo_has_a_trainer_who_signs_in_to_an_empty_list_of_classes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "demo-password-for-tests")
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo sign-in: trainer@lab.test / demo-password-for-tests" in out.getvalue()
    trainer = User.objects.get(email="trainer@lab.test")
    assert trainer.is_trainer
    assert not trainer.memberships.exists()

    client = Client()
    client.post(
        reverse("signin"), {"username": "trainer@lab.test", "password": "demo-password-for-tests"}
    )
    page = client.get(reverse("home"), follow=True).content.decode()
    assert "You have no classes yet" in page


def test_an_existing_trainer_account_keeps_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    User.objects.create_user("trainer@lab.test", "the trainer's own password")
    monkeypatch.setenv("EAC_DEMO_PASSWORD", "demo-password-for-tests")
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo sign-in: trainer@lab.test / (its own password" in out.getvalue()
    trainer = User.objects.get(email="trainer@lab.test")
    assert trainer.is_trainer
    assert trainer.check_password("the trainer's own password")
