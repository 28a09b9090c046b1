"""Creates the demo tenants the README lists and a demo trainer. Running it again changes nothing."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from connectors.endpoints import ConnectorType
from connectors.models import InboundConnector, OutboundConnector
from connectors.services import inbound_connector_create, outbound_connector_create
from eac import services
from eac.models import AcceptedDomain, Mailbox, MailboxLocation, Tenant, User
from eac.roles import Role

CONTOSO_DOMAINS = ["contoso.com", "sales.contoso.com", "fabrikam.com"]

# The seed article's three competing connectors (docs/routing.md, "The seed example"): all O365 → your organization's server.
CONTOSO_CONNECTORS: list[dict[str, Any]] = [
    {"name": "Connector 1", "all_accepted_domains": True, "smart_hosts": ["mail.contoso.com"]},
    {
        "name": "Connector 2",
        "recipient_domains": ["contoso.com"],
        "smart_hosts": ["mail2.contoso.com"],
    },
    {
        "name": "Connector 3",
        "recipient_domains": ["*.contoso.com"],
        "smart_hosts": ["mail3.contoso.com"],
    },
]

DEMO_USERS = [
    ("admin@contoso.com", "Contoso"),
    ("admin@fabrikamlab.onmicrosoft.com", "Fabrikam Lab"),
]
# Runs training classes; a member of no tenant until a class gives it its trainees' sandboxes.
DEMO_TRAINER = "trainer@lab.test"


def demo_password(var_dir: Path) -> str:
    """EAC_DEMO_PASSWORD, else the one generated on an earlier run, else a new one kept under var/."""
    if password := os.environ.get("EAC_DEMO_PASSWORD", "").strip():
        return password
    path = var_dir / "demo_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def ensure_tenant(name: str, label: str) -> Tenant:
    existing = Tenant.objects.filter(name=name).first()
    return existing or services.tenant_create(name=name, initial_label=label)


def ensure_domains(tenant: Tenant, names: list[str], default: str) -> None:
    for name in names:
        if not AcceptedDomain.objects.filter(tenant=tenant, name=name).exists():
            services.accepted_domain_add(tenant=tenant, actor=None, name=name)
    domain = AcceptedDomain.objects.get(tenant=tenant, name=default)
    if not domain.is_default:
        services.accepted_domain_make_default(domain=domain, actor=None)


def ensure_contoso_connectors(tenant: Tenant) -> None:
    for fields in CONTOSO_CONNECTORS:
        if OutboundConnector.objects.filter(tenant=tenant, name=fields["name"]).exists():
            continue
        outbound_connector_create(
            tenant=tenant,
            actor=None,
            connector_type=ConnectorType.ON_PREMISES,
            use_mx_record=False,
            tls_settings="CertificateValidation",
            cloud_services_mail_enabled=True,
            **fields,
        )


# The seed article's people (docs/routing.md, "The seed example"): John on your server, Bob in Office 365, Sun on the internet.
CONTOSO_MAILBOXES = [
    ("John", "john@contoso.com", MailboxLocation.YOUR_ORG),
    ("Bob", "bob@contoso.com", MailboxLocation.OFFICE_365),
    ("Sun", "sun@wingtiptoys.com", MailboxLocation.INTERNET),
]


def ensure_contoso_inbound(tenant: Tenant) -> None:
    """Mail from John's server into Office 365 (hybrid needs connectors both ways)."""
    if InboundConnector.objects.filter(tenant=tenant, name="From Contoso's email server").exists():
        return
    inbound_connector_create(
        tenant=tenant,
        actor=None,
        name="From Contoso's email server",
        connector_type=ConnectorType.ON_PREMISES,
        sender_domains=["*"],
        require_tls=True,
        tls_sender_certificate_name="mail.contoso.com",
        cloud_services_mail_enabled=True,
    )


def ensure_mailboxes(tenant: Tenant) -> None:
    for display_name, address, location in CONTOSO_MAILBOXES:
        Mailbox.objects.get_or_create(
            tenant=tenant,
            address=address,
            defaults={"display_name": display_name, "location": location},
        )


def ensure_fabrikam_lab_connectors(tenant: Tenant) -> None:
    if InboundConnector.objects.filter(tenant=tenant, name="From Tailspin Toys").exists():
        return
    inbound_connector_create(
        tenant=tenant,
        actor=None,
        name="From Tailspin Toys",
        comment="A partner that must send over TLS.",
        connector_type=ConnectorType.PARTNER,
        sender_domains=["tailspintoys.com"],
        require_tls=True,
    )


def ensure_user(email: str, tenant: Tenant, password: str) -> bool:
    """Whether `password` signs this user in; an existing user's password is never changed."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password)
    if not user.memberships.filter(tenant=tenant).exists():
        services.membership_grant(tenant=tenant, user=user, role=Role.ORGANIZATION_MANAGEMENT)
    return user.check_password(password)


def ensure_trainer(email: str, password: str) -> bool:
    """Like ensure_user, for a trainer: the flag is set, an existing password is kept."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, is_trainer=True)
    elif not user.is_trainer:
        user.is_trainer = True
        user.save(update_fields=["is_trainer"])
    return user.check_password(password)


class Command(BaseCommand):
    help = (
        "Create the demo tenants Contoso and Fabrikam Lab with their admins, and the demo "
        "trainer (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password(settings.VAR_DIR)
        with transaction.atomic():
            contoso = ensure_tenant("Contoso", "contoso")
            ensure_domains(contoso, CONTOSO_DOMAINS, default="contoso.com")
            ensure_contoso_connectors(contoso)
            ensure_contoso_inbound(contoso)
            ensure_mailboxes(contoso)
            lab = ensure_tenant("Fabrikam Lab", "fabrikamlab")
            ensure_fabrikam_lab_connectors(lab)
            usable = [
                (email, ensure_user(email, Tenant.objects.get(name=t), password))
                for email, t in DEMO_USERS
            ]
            usable.append((DEMO_TRAINER, ensure_trainer(DEMO_TRAINER, password)))
        for email, works in usable:
            shown = password if works else "(its own password, set before; unchanged)"
            self.stdout.write(f"Demo sign-in: {email} / {shown}")
