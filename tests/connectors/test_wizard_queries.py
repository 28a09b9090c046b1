"""Each wizard step and the list answer with the same number of queries however many connectors
and accepted domains the tenant has."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connectors.mailflow.facts import configuration_changed
from connectors.models import ConnectorDraft, OutboundConnector
from eac.models import AcceptedDomain, Tenant

pytestmark = pytest.mark.django_db

ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("scenario", {"source": "office365", "target": "your_org"}),
    ("name", {"name": "Counted", "turn_on": "on", "retain_headers": "on"}),
    ("use", {"use": "domains", "recipient_domains": ["contoso.com"]}),
    ("routing", {"smart_hosts": ["mail.contoso.com"]}),
    ("security", {"tls": "on", "certificate": "trusted_ca"}),
]


def _grow(tenant: Tenant, size: int) -> None:
    OutboundConnector.objects.bulk_create(
        OutboundConnector(
            tenant=tenant,
            name=f"Bulk {tenant.pk}-{i}",
            connector_type="OnPremises",
            use_mx_record=False,
            smart_hosts=["mail.contoso.com"],
            recipient_domains=[f"d{i}.example"],
        )
        for i in range(size)
    )
    AcceptedDomain.objects.bulk_create(
        AcceptedDomain(tenant=tenant, name=f"d{i}.example") for i in range(size)
    )
    configuration_changed(tenant.pk)  # bulk_create sends no signal


def _counts(client: Client) -> list[int]:
    counts = []

    def count(method: str, url: str, data: dict[str, Any] | None = None) -> None:
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, data or {})
        assert response.status_code in (200, 302), (url, response.status_code)
        counts.append(len(queries))

    count("get", reverse("connectors:list"))
    client.post(reverse("connectors:wizard_start"))
    draft = ConnectorDraft.objects.latest("created_at")
    for key, data in ANSWERS:
        url = reverse("connectors:wizard_step", args=[draft.pk, key])
        count("get", url)
        count("post", url, {"action": "next", **data})
    validation = reverse("connectors:wizard_step", args=[draft.pk, "validation"])
    count("post", validation, {"action": "add", "new_recipient": "john@contoso.com"})
    count("post", validation, {"action": "proceed", "recipients": ["john@contoso.com"]})
    count("get", reverse("connectors:wizard_step", args=[draft.pk, "review"]))
    return counts


def test_query_counts_do_not_grow_with_the_tenant(admin_client_: Client, contoso: Tenant) -> None:
    small = _counts(admin_client_)
    _grow(contoso, 300)
    large = _counts(admin_client_)
    assert large == small
    assert max(small) <= 15, small
