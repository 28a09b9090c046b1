"""`manage.py route`: the connector Office 365 uses for a recipient, and why."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors.mailflow.facts import router_for_tenant
from connectors.models import OutboundConnector
from eac.models import SelectionOrder, Tenant
from tests.conftest import make_outbound, make_tenant


@pytest.fixture
def seed(db: None) -> Tenant:
    """The seed article's tenant: three connectors to your organization's server competing."""
    tenant = make_tenant("Contoso", "contoso", ("contoso.com", "sales.contoso.com", "fabrikam.com"))
    make_outbound(tenant, "Connector 1", all_accepted_domains=True)
    make_outbound(tenant, "Connector 2", recipient_domains=["contoso.com"])
    make_outbound(tenant, "Connector 3", recipient_domains=["*.contoso.com"])
    return tenant


def route(*args: str) -> str:
    out = StringIO()
    call_command("route", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("address", "connector", "why"),
    [
        (
            "john@fabrikam.com",
            "Connector 1",
            "all accepted domains (fabrikam.com is an accepted domain)",
        ),
        ("john@contoso.com", "Connector 2", "exact match on contoso.com"),
        ("john@sales.contoso.com", "Connector 3", "wildcard *.contoso.com"),
    ],
)
def test_it_names_the_seed_examples_connector_and_why(
    seed: Tenant, address: str, connector: str, why: str
) -> None:
    output = route("--tenant", "contoso.onmicrosoft.com", address)

    assert output.splitlines() == [
        f"Connector: {connector} (O365 → Your org)",
        f"Why: {why}",
        "Selection order: Most specific match first (as the article's example)",
    ]


def test_the_documented_order_sends_sales_to_the_all_accepted_domains_connector(
    seed: Tenant,
) -> None:
    output = route(
        "--tenant", "contoso.onmicrosoft.com", "john@sales.contoso.com", "--order", "documented"
    )

    assert "Connector: Connector 1 (O365 → Your org)" in output
    assert "Why: all accepted domains (sales.contoso.com is an accepted domain)" in output
    assert "Selection order: Exact match, then all accepted domains, then wildcards" in output


def test_it_follows_the_tenants_selection_order_unless_told_otherwise(seed: Tenant) -> None:
    Tenant.objects.filter(pk=seed.pk).update(connector_selection_order=SelectionOrder.DOCUMENTED)

    by_setting = route("--tenant", "contoso.onmicrosoft.com", "john@sales.contoso.com")
    overridden = route(
        "--tenant", "contoso.onmicrosoft.com", "john@sales.contoso.com", "--order", "most_specific"
    )

    assert "Connector: Connector 1" in by_setting
    assert "Connector: Connector 3" in overridden


def test_turning_connector_2_off_routes_contoso_com_through_the_wildcard(seed: Tenant) -> None:
    OutboundConnector.objects.filter(tenant=seed, name="Connector 2").update(enabled=False)

    output = route("--tenant", "contoso.onmicrosoft.com", "john@contoso.com")

    assert "Connector: Connector 3 (O365 → Your org)\nWhy: wildcard *.contoso.com" in output


def test_it_says_no_connector_is_needed_for_internet_mail(seed: Tenant) -> None:
    output = route("--tenant", "contoso.onmicrosoft.com", "Sun@Gmail.com")

    assert output.splitlines()[0] == (
        "No connector is needed: Office 365 delivers to gmail.com by its MX record."
    )


def test_a_partner_connector_shows_its_ends(seed: Tenant) -> None:
    make_outbound(
        seed,
        "To Tailspin",
        connector_type="Partner",
        recipient_domains=["tailspintoys.com"],
        use_mx_record=True,
        smart_hosts=[],
    )

    output = route("--tenant", "contoso.onmicrosoft.com", "tailspintoys.com")

    assert "Connector: To Tailspin (O365 → Partner org)" in output


def test_the_tenant_may_be_typed_in_any_case_with_a_trailing_dot(seed: Tenant) -> None:
    assert "Connector 2" in route("--tenant", "Contoso.OnMicrosoft.com.", "john@contoso.com")


@pytest.mark.parametrize("tenant", ["nobody.onmicrosoft.com", "not a domain"])
def test_an_unknown_tenant_is_a_clear_error(seed: Tenant, tenant: str) -> None:
    with pytest.raises(CommandError, match=f"No tenant has the initial domain {tenant}.") as error:
        route("--tenant", tenant, "john@contoso.com")

    assert error.value.returncode == 1


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("john@", "Enter the domain after the @."),
        ("@contoso.com", "Enter the mailbox name before the @."),
        ("john@contoso", "Enter a full domain name with at least one dot"),
        ("john smith@contoso.com", "Email addresses can't contain spaces."),
        ("192.0.2.1", "Enter a domain name, not an IP address."),
    ],
)
def test_a_bad_address_is_a_clear_error(seed: Tenant, address: str, message: str) -> None:
    with pytest.raises(CommandError, match=message) as error:
        route("--tenant", "contoso.onmicrosoft.com", address)

    assert error.value.returncode == 1


def test_the_router_for_a_tenant_takes_two_queries(seed: Tenant) -> None:
    tenant = Tenant.objects.get(pk=seed.pk)

    with CaptureQueriesContext(connection) as queries:
        router = router_for_tenant(tenant)

    assert len(queries) == 2
    assert router.decide("john@contoso.com").reason == "exact match on contoso.com"
