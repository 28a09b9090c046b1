"""Upgrading a console whose lab kept messages the old way: a copy in every tenant that accepted a
recipient's domain, and one in no tenant for the rest. After the migration a tenant's mailbox
holds only what it sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lab.models import LabMessage

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("lab", "0003_alter_labmessage_behaviour")
AFTER = ("lab", "0004_labmessage_only_the_senders")


def migrate(target: tuple[str, str]) -> Any:
    """Migrate the lab to `target`, every other app to its latest; the models as they were."""
    executor = MigrationExecutor(connection)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != target[0]]
    executor.migrate([*others, target])
    executor.loader.build_graph()
    return executor.loader.project_state([*others, target]).apps


@pytest.fixture(autouse=True)
def latest_afterwards() -> Iterator[None]:
    """The tests after this one need every table: back to the newest migrations."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_only_the_sending_tenants_copies_survive_the_upgrade() -> None:
    apps = migrate(BEFORE)
    tenant_model = apps.get_model("eac", "Tenant")
    message_model = apps.get_model("lab", "LabMessage")
    contoso = tenant_model.objects.create(name="Contoso", initial_domain="contoso.onmicrosoft.com")
    fabrikam = tenant_model.objects.create(
        name="Fabrikam Lab", initial_domain="fabrikamlab.onmicrosoft.com"
    )

    def kept(tenant: Any, sender: str, subject: str) -> None:
        message_model.objects.create(
            tenant=tenant,
            mail_from=sender,
            rcpt_tos=["john@contoso.com"],
            subject=subject,
            headers="",
            size=1,
            server_address="127.0.0.2",
        )

    fabrikams_test = "O365ConnectorValidation@fabrikamlab.onmicrosoft.com"
    kept(fabrikam, fabrikams_test, "Fabrikam's, in Fabrikam")
    kept(contoso, fabrikams_test, "Fabrikam's, leaked into Contoso")
    kept(None, fabrikams_test, "Fabrikam's, for the recipients nobody accepts")
    kept(contoso, "O365ConnectorValidation@Contoso.OnMicrosoft.com", "Contoso's, in Contoso")
    kept(contoso, "someone@contoso.com", "Sent by hand from an accepted domain")
    kept(contoso, "", "A bounce")

    migrate(AFTER)

    assert sorted(LabMessage.objects.values_list("tenant__name", "subject")) == [
        ("Contoso", "Contoso's, in Contoso"),
        ("Fabrikam Lab", "Fabrikam's, in Fabrikam"),
    ]
