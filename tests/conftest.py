"""Characters for the tests: Contoso's admins of each role, and a stranger from Fabrikam Lab."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from connectors.endpoints import ConnectorType
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import inbound_connector_create, outbound_connector_create
from console.celery import app as celery_app
from eac import services
from eac.models import AcceptedDomain, Tenant, User
from eac.roles import Role

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_tenant(name: str, label: str, domains: tuple[str, ...] = ()) -> Tenant:
    tenant = services.tenant_create(name=name, initial_label=label)
    for domain in domains:
        services.accepted_domain_add(tenant=tenant, actor=None, name=domain)
    return tenant


def make_member(email: str, tenant: Tenant, role: Role) -> User:
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, PASSWORD)
    services.membership_grant(tenant=tenant, user=user, role=role)
    return user


def make_outbound(tenant: Tenant, name: str, **fields: Any) -> OutboundConnector:
    defaults: dict[str, Any] = {
        "connector_type": ConnectorType.ON_PREMISES,
        "use_mx_record": False,
        "smart_hosts": [f"mail.{tenant.initial_domain}"],
        "tls_settings": "CertificateValidation",
    }
    return outbound_connector_create(tenant=tenant, actor=None, name=name, **(defaults | fields))


def make_inbound(tenant: Tenant, name: str, **fields: Any) -> InboundConnector:
    defaults: dict[str, Any] = {
        "connector_type": ConnectorType.PARTNER,
        "sender_domains": ["partner.example"],
    }
    return inbound_connector_create(tenant=tenant, actor=None, name=name, **(defaults | fields))


@pytest.fixture
def contoso(db: None) -> Tenant:
    tenant = make_tenant("Contoso", "contoso", ("contoso.com", "sales.contoso.com"))
    make_outbound(tenant, "To Contoso servers", all_accepted_domains=True)
    make_inbound(tenant, "From Tailspin", sender_domains=["tailspintoys.com"])
    return tenant


@pytest.fixture
def fabrikam(db: None) -> Tenant:
    tenant = make_tenant("Fabrikam Lab", "fabrikamlab", ("fabrikamlab.com",))
    make_outbound(tenant, "Fabrikam outbound secret", recipient_domains=["fabrikamlab.com"])
    make_inbound(tenant, "Fabrikam inbound secret")
    return tenant


@pytest.fixture
def admin(contoso: Tenant) -> User:
    return make_member("admin@contoso.com", contoso, Role.ORGANIZATION_MANAGEMENT)


@pytest.fixture
def mailflow_admin(contoso: Tenant) -> User:
    return make_member("mailflow@contoso.com", contoso, Role.MAIL_FLOW_ADMINISTRATOR)


@pytest.fixture
def viewer(contoso: Tenant) -> User:
    return make_member("viewer@contoso.com", contoso, Role.VIEW_ONLY)


@pytest.fixture
def stranger(fabrikam: Tenant) -> User:
    return make_member("admin@fabrikamlab.onmicrosoft.com", fabrikam, Role.ORGANIZATION_MANAGEMENT)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def admin_client_(admin: User) -> Client:
    return client_for(admin)


@pytest.fixture
def stranger_client(stranger: User) -> Client:
    return client_for(stranger)


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    return client_for(viewer)


@pytest.fixture
def domain(contoso: Tenant) -> AcceptedDomain:
    return AcceptedDomain.objects.get(tenant=contoso, name="sales.contoso.com")


@pytest.fixture
def broker_at(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Callable[[str], None]:
    """Points this process's Celery app (publishing, /healthz) at another broker for one test."""

    def point(url: str) -> None:
        # Celery's conf reads through to Django's settings: patch it first so it restores the real URL.
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(
            celery_app.conf,
            "broker_transport_options",
            {"socket_connect_timeout": 1, "socket_timeout": 1},
        )
        monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads this before its own config
        settings.CELERY_BROKER_URL = url

    return point


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
