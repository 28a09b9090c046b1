"""Staff users get Django's admin with connectors and domains filtered and searchable."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from eac.models import Tenant, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(contoso: Tenant, fabrikam: Tenant) -> Client:
    staff = User.objects.create_superuser("ops@example.com", "x")
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize(
    ("model", "query", "shown", "hidden"),
    [
        (
            "connectors_outboundconnector",
            {"tenant__id__exact": "CONTOSO"},
            "To Contoso servers",
            "Fabrikam outbound secret",
        ),
        (
            "connectors_inboundconnector",
            {"q": "secret"},
            "Fabrikam inbound secret",
            "From Tailspin",
        ),
        ("eac_accepteddomain", {"q": "fabrikamlab"}, "fabrikamlab.com", "sales.contoso.com"),
        (
            "eac_accepteddomain",
            {"domain_type__exact": "InternalRelay"},
            "0 accepted domains",
            "sales.contoso.com",
        ),
    ],
)
def test_changelists_filter_and_search(
    staff_client: Client,
    contoso: Tenant,
    model: str,
    query: dict[str, str],
    shown: str,
    hidden: str,
) -> None:
    query = {k: str(contoso.pk) if v == "CONTOSO" else v for k, v in query.items()}
    response = staff_client.get(reverse(f"admin:{model}_changelist"), query)
    html = response.content.decode()
    assert response.status_code == 200
    assert shown in html
    assert hidden not in html


def test_the_admin_is_closed_to_console_admins_who_are_not_staff(admin_client_: Client) -> None:
    response = admin_client_.get(reverse("admin:connectors_outboundconnector_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
