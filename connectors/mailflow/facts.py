"""The one way from the database to the selection engine's and the explorer's plain facts.

`connectors.mailflow.routing` and `connectors.mailflow.explorer` take plain values and never query;
this module reads a tenant's accepted domains, mailboxes and connectors and hands them over. The
Connectors page's checks, the `route` command, the explorer page, validation (which recipients a
connector carries) and the training checks all read through here (docs/routing.md).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.db.models.signals import post_delete, post_save

from connectors.endpoints import ConnectorType
from connectors.mailflow import explorer
from connectors.mailflow.routing import AcceptedDomainFact, ConnectorFact, Router
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, DomainType, Mailbox, MailboxLocation, Tenant
from eac.values import DomainPattern, parse_domain_pattern, parse_validation_recipient

T = TypeVar("T")

# What selection needs of an outbound connector, after its id, in ConnectorFact's order.
_FACT_FIELDS = (
    "name",
    "enabled",
    "is_transport_rule_scoped",
    "all_accepted_domains",
    "recipient_domains",
    "connector_type",
    "route_all_messages_via_on_premises",
)


def _connector_fact(
    pk: uuid.UUID,
    name: str,
    enabled: bool,
    scoped: bool,
    all_accepted: bool,
    domains: list[str],
    kind: str,
    route_all_via_on_premises: bool,
) -> ConnectorFact:
    return ConnectorFact(
        str(pk),
        name,
        enabled,
        scoped,
        all_accepted,
        tuple(domains),
        kind,
        route_all_via_on_premises,
    )


def accepted_domain_facts(tenant: Tenant) -> list[AcceptedDomainFact]:
    """One query."""
    return [
        AcceptedDomainFact(name, match_subdomains)
        for name, match_subdomains in AcceptedDomain.objects.filter(tenant=tenant).values_list(
            "name", "match_subdomains"
        )
    ]


def router_for_tenant(tenant: Tenant, order: str | None = None) -> Router:
    """Two queries, for a caller that asks only which connector wins. `order` defaults to the
    tenant's connector selection order setting."""
    rows = OutboundConnector.objects.filter(tenant=tenant).values_list("id", *_FACT_FIELDS)
    return Router(
        [_connector_fact(*row) for row in rows],
        accepted_domain_facts(tenant),
        order or tenant.connector_selection_order,
    )


def configuration_changed(tenant_id: int) -> None:
    """Gives the tenant a new configuration stamp, so what was worked out from its connectors,
    accepted domains and mailboxes is worked out again. Saving or deleting one of those models
    calls it (the receivers below); a write that sends no signal (QuerySet.update, bulk_create)
    calls it itself, in the same transaction."""
    Tenant.objects.filter(pk=tenant_id).update(configuration_stamp=uuid.uuid4())


def _configuration_row_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    configuration_changed(instance.tenant_id)


for _model in (OutboundConnector, InboundConnector, AcceptedDomain, Mailbox):
    for _signal in (post_save, post_delete):
        _signal.connect(_configuration_row_changed, sender=_model, dispatch_uid="configuration")


class PerConfiguration(Generic[T]):
    """Values worked out from a tenant's mail-flow configuration, kept in this process until the
    configuration changes: one query for the tenant's stamp instead of reading every connector,
    so a page costs the same in a tenant of ten connectors or ten thousand (docs/architecture.md,
    "Pages and tenant size"). `build(tenant, order)` must only read; the value is shared between
    requests and threads, so nobody may change it."""

    def __init__(self, build: Callable[[Tenant, str], T], size: int = 64) -> None:
        self._build, self._size = build, size
        self._values: OrderedDict[tuple[int, uuid.UUID, str], T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant: Tenant) -> T:
        stamp, order = (
            Tenant.objects.filter(pk=tenant.pk)
            .values_list("configuration_stamp", "connector_selection_order")
            .get()
        )
        key = (tenant.pk, stamp, order)
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = self._build(tenant, order)  # outside the lock: another tenant needn't wait
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value


class TenantMailFlow:
    """A tenant's mail-flow configuration, read once on first use (four queries: accepted
    domains, mailboxes, outbound and inbound connectors), then asked as often as needed — the
    training checks ask several questions of one sandbox in a row."""

    def __init__(self, tenant: Tenant, order: str | None = None) -> None:
        self.tenant = tenant
        self.order = order or tenant.connector_selection_order

    @classmethod
    def current(cls, tenant: Tenant) -> TenantMailFlow:
        """The tenant's flow as configured now, read once and shared until the configuration
        changes (PerConfiguration); the pages that only ask questions use it."""
        return _current_flows.get(tenant)

    @classmethod
    def _read_for_sharing(cls, tenant: Tenant, order: str) -> TenantMailFlow:
        flow = cls(tenant, order)
        # Everything worked out now, before another thread can see it.
        for name in (
            "outbound",
            "inbound",
            "mailboxes",
            "_router",
            "_inbound_facts",
            "_partner_patterns",
            "_accepted_by_name",
        ):
            getattr(flow, name)
        return flow

    @classmethod
    def for_tenants(cls, tenants: Iterable[Tenant]) -> dict[int, TenantMailFlow]:
        """Flows for many tenants, read in the same four queries whatever their number (the
        trainer's table asks about every sandbox of a class at once). Keyed by tenant id."""
        flows = {tenant.pk: cls(tenant) for tenant in tenants}
        for name, rows in (
            ("accepted_domains", AcceptedDomain.objects.filter(tenant__in=flows)),
            ("mailbox_list", Mailbox.objects.filter(tenant__in=flows)),
            ("outbound", OutboundConnector.objects.filter(tenant__in=flows)),
            ("inbound", InboundConnector.objects.filter(tenant__in=flows)),
        ):
            for flow in flows.values():
                flow.__dict__[name] = []  # fills the cached property: no query of its own
            for row in rows:
                flows[row.tenant_id].__dict__[name].append(row)
        return flows

    @cached_property
    def accepted_domains(self) -> list[AcceptedDomain]:
        return list(AcceptedDomain.objects.filter(tenant=self.tenant))

    @cached_property
    def mailbox_list(self) -> list[Mailbox]:
        return list(Mailbox.objects.filter(tenant=self.tenant))

    @cached_property
    def mailboxes(self) -> dict[str, Mailbox]:
        return {m.address.lower(): m for m in self.mailbox_list}

    @cached_property
    def outbound(self) -> list[OutboundConnector]:
        return list(OutboundConnector.objects.filter(tenant=self.tenant))

    @cached_property
    def inbound(self) -> list[InboundConnector]:
        return list(InboundConnector.objects.filter(tenant=self.tenant))

    @cached_property
    def _accepted_by_name(self) -> dict[str, AcceptedDomain]:
        return {d.name: d for d in self.accepted_domains}

    def accepted_facts(self) -> list[AcceptedDomainFact]:
        return [AcceptedDomainFact(d.name, d.match_subdomains) for d in self.accepted_domains]

    def router(self, order: str | None = None) -> Router:
        """`order` defaults to the tenant's connector selection order setting."""
        return self._router if order in (None, self.order) else self._build_router(order)

    @cached_property
    def _router(self) -> Router:
        return self._build_router(self.order)

    def _build_router(self, order: str | None) -> Router:
        return Router(
            [_connector_fact(c.pk, *(getattr(c, f) for f in _FACT_FIELDS)) for c in self.outbound],
            self.accepted_facts(),
            order or self.order,
        )

    def explore(self, sender: str, recipient: str) -> explorer.Path:
        """The path a message from `sender` to `recipient` takes, as configured now. Raises
        InvalidValue for an address that isn't one, or a stored pattern that no longer parses."""
        return explorer.explore(
            self.locate(parse_validation_recipient(sender)),
            self.locate(parse_validation_recipient(recipient)),
            router=self.router(),
            inbound=self.inbound_facts(),
        )

    @cached_property
    def _partner_patterns(self) -> list[DomainPattern]:
        return [parse_domain_pattern(p) for p in self.partner_domains()]

    def partner_domains(self) -> list[str]:
        patterns = [
            *(
                p
                for c in self.outbound
                if c.connector_type == ConnectorType.PARTNER
                for p in c.recipient_domains
            ),
            *(
                p
                for c in self.inbound
                if c.connector_type == ConnectorType.PARTNER
                for p in c.sender_domains
            ),
        ]
        return [p for p in patterns if p != "*"]

    def locate(self, address: str) -> explorer.Party:
        """Where this address's mailbox lives, as Office 365 would see it."""
        domain = address.rsplit("@", 1)[1]
        mailbox = self.mailboxes.get(address.lower())
        if mailbox is not None:
            place = {
                MailboxLocation.OFFICE_365: explorer.OFFICE_365,
                MailboxLocation.YOUR_ORG: explorer.YOUR_ORG,
            }.get(
                mailbox.location,
                explorer.INTERNET,  # type: ignore[call-overload]
            )
            return explorer.Party(
                address,
                domain,
                place,
                f"{mailbox.display_name}'s mailbox: {mailbox.get_location_display()}",
            )
        accepted = self._accepted_by_name.get(self._router.accepted_as(domain) or "")
        if accepted is not None:
            if accepted.domain_type == DomainType.INTERNAL_RELAY:
                return explorer.Party(
                    address,
                    domain,
                    explorer.YOUR_ORG,
                    f"{accepted.name} is an Internal relay domain: recipients not in Office 365 are on your email server",
                )
            return explorer.Party(
                address,
                domain,
                explorer.OFFICE_365,
                f"{accepted.name} is an Authoritative domain: its mailboxes are in Office 365",
            )
        if any(pattern.matches(domain) for pattern in self._partner_patterns):
            return explorer.Party(
                address, domain, explorer.PARTNER, "a partner domain named by a partner connector"
            )
        return explorer.Party(
            address, domain, explorer.INTERNET, "not a domain of this organization"
        )

    def inbound_facts(self) -> list[explorer.InboundFact]:
        return self._inbound_facts

    @cached_property
    def _inbound_facts(self) -> list[explorer.InboundFact]:
        facts = []
        for c in self.inbound:
            if c.tls_sender_certificate_name:
                how = f"its TLS certificate ({c.tls_sender_certificate_name})"
            elif c.sender_ip_addresses:
                how = f"its IP address ({', '.join(c.sender_ip_addresses)})"
            else:
                how = f"its sender domain ({', '.join(c.sender_domains)})"
            facts.append(
                explorer.InboundFact(
                    c.name,
                    c.enabled,
                    c.connector_type,
                    tuple(c.sender_domains),
                    how,
                    self._associated_facts(c.associated_accepted_domains),
                )
            )
        return facts

    def _associated_facts(self, names: list[str]) -> tuple[AcceptedDomainFact, ...]:
        """An inbound connector's AssociatedAcceptedDomains, each with its accepted domain's
        subdomain setting. A name that is no longer an accepted domain stands for itself only
        (the Configuration check warns about it)."""
        return tuple(
            AcceptedDomainFact(
                name, bool((found := self._accepted_by_name.get(name)) and found.match_subdomains)
            )
            for name in names
        )


_current_flows = PerConfiguration(TenantMailFlow._read_for_sharing)
