"""A user of one tenant can neither see nor change another tenant's objects: 404, never 403."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from connectors.wizard.drafts import connector_edit_draft
from eac.models import AcceptedDomain, AuditEvent, Tenant, User
from lab.models import LabMessage, TracedMessage
from training.models import TrainingClass
from training.scenarios import get_scenario
from training.services import class_create
from validation.models import ValidationRun

pytestmark = pytest.mark.django_db

# Every named URL that takes an object id, with how to build it for a Fabrikam object.
OBJECT_URLS = {
    "connectors:details": lambda f: [
        reverse(
            "connectors:details", args=["outbound", OutboundConnector.objects.get(tenant=f).pk]
        ),
        reverse("connectors:details", args=["inbound", InboundConnector.objects.get(tenant=f).pk]),
    ],
    "connectors:edit": lambda f: (
        [
            reverse("connectors:edit", args=["outbound", _fabrikam_outbound(f).pk, key])
            for key in ("name", "use", "routing", "security")
        ]
        + [
            reverse("connectors:edit", args=["inbound", _fabrikam_inbound(f).pk, key])
            for key in ("name", "identity", "inbound_security")
        ]
    ),
    "connectors:edit_validation": lambda f: [
        reverse(
            "connectors:edit_validation",
            args=["outbound", _fabrikam_outbound(f).pk, key, _fabrikam_edit_draft(f).pk],
        )
        for key in ("routing", "name")
    ],
    "connectors:set_status": lambda f: [
        reverse("connectors:set_status", args=["outbound", _fabrikam_outbound(f).pk]),
        reverse("connectors:set_status", args=["inbound", _fabrikam_inbound(f).pk]),
    ],
    "connectors:delete": lambda f: [
        reverse("connectors:delete", args=["outbound", _fabrikam_outbound(f).pk]),
        reverse("connectors:delete", args=["inbound", _fabrikam_inbound(f).pk]),
    ],
    "connectors:wizard": lambda f: [reverse("connectors:wizard", args=[_fabrikam_draft(f).pk])],
    "lab:message": lambda f: [reverse("lab:message", args=[_fabrikam_lab_message(f).pk])],
    "lab:traced_message": lambda f: [
        reverse("lab:traced_message", args=[_fabrikam_traced_message(f).pk])
    ],
    "explorer_test_message": lambda f: [
        reverse("explorer_test_message", args=[_fabrikam_traced_message(f).pk])
    ],
    "lab:validate_inbound": lambda f: [
        reverse("lab:validate_inbound", args=[_fabrikam_inbound(f).pk])
    ],
    "lab:validate_inbound_send": lambda f: [
        reverse("lab:validate_inbound_send", args=[_fabrikam_inbound(f).pk])
    ],
    "classic_wizard:page": lambda f: [
        reverse("classic_wizard:page", args=[_fabrikam_draft(f).pk, key])
        for key in ("select", "name", "confirm", "validate")
    ],
    "classic_wizard:edit": lambda f: [
        reverse("classic_wizard:edit", args=["outbound", _fabrikam_outbound(f).pk]),
        reverse("classic_wizard:edit", args=["inbound", InboundConnector.objects.get(tenant=f).pk]),
    ],
    "connectors:wizard_created": lambda f: [
        reverse("connectors:wizard_created", args=[_fabrikam_draft(f).pk])
    ],
    "connectors:wizard_step": lambda f: [
        reverse("connectors:wizard_step", args=[_fabrikam_draft(f).pk, key])
        for key in ("scenario", "name", "review")
    ],
    "accepted_domain": lambda f: [reverse("accepted_domain", args=[_fabrikam_domain(f).pk])],
    "classic:connector": lambda f: [
        reverse("classic:connector", args=["outbound", _fabrikam_outbound(f).pk]),
        reverse("classic:connector", args=["inbound", _fabrikam_inbound(f).pk]),
    ],
    "classic:connector_status": lambda f: [
        reverse("classic:connector_status", args=["outbound", _fabrikam_outbound(f).pk]),
        reverse("classic:connector_status", args=["inbound", _fabrikam_inbound(f).pk]),
    ],
    "classic:accepted_domain": lambda f: [
        reverse("classic:accepted_domain", args=[_fabrikam_domain(f).pk])
    ],
    "classic:accepted_domain_edit": lambda f: [
        reverse("classic:accepted_domain_edit", args=[_fabrikam_domain(f).pk])
    ],
    "accepted_domain_remove": lambda f: [
        reverse("accepted_domain_remove", args=[_fabrikam_domain(f).pk])
    ],
    "validation:validate": lambda f: [
        reverse("validation:validate", args=[_fabrikam_outbound(f).pk])
    ],
    "validation:connector_run": lambda f: [
        reverse("validation:connector_run", args=[_fabrikam_outbound(f).pk, _fabrikam_run(f).pk])
    ],
    "validation:run": lambda f: [reverse("validation:run", args=[_fabrikam_run(f).pk])],
    "validation:progress": lambda f: [reverse("validation:progress", args=[_fabrikam_run(f).pk])],
    "validation:stop": lambda f: [reverse("validation:stop", args=[_fabrikam_run(f).pk])],
    # Training: a class of Fabrikam's trainer, where the Contoso admin is a trainer too (below).
    "training:class": lambda f: [reverse("training:class", args=[_fabrikam_class(f).pk])],
    "training:credentials_csv": lambda f: [
        reverse("training:credentials_csv", args=[_fabrikam_class(f).pk])
    ],
    "training:class_reset": lambda f: [
        reverse("training:class_reset", args=[_fabrikam_class(f).pk])
    ],
    "training:class_close": lambda f: [
        reverse("training:class_close", args=[_fabrikam_class(f).pk])
    ],
    "training:seat_reset": lambda f: [
        reverse("training:seat_reset", args=[_fabrikam_class(f).pk, 1])
    ],
    "training:seat_password": lambda f: [
        reverse("training:seat_password", args=[_fabrikam_class(f).pk, 1])
    ],
    "training:seat_review": lambda f: [
        reverse("training:seat_review", args=[_fabrikam_class(f).pk, 1])
    ],
    # A trainee answers a task of the sandbox they are in, named by its id in the scenario; in
    # Contoso, which is no sandbox, there is no such task.
    "training:answer": lambda f: [reverse("training:answer", args=["mx"])],
}


@pytest.fixture
def admin(admin: User) -> User:
    """Contoso's admin also runs classes: the training pages then answer another trainer's class
    with their 404, where a non-trainer would get the same 403 whatever the id."""
    admin.is_trainer = True
    admin.save(update_fields=["is_trainer"])
    return admin


def _fabrikam_outbound(fabrikam: Tenant) -> OutboundConnector:
    return OutboundConnector.objects.get(tenant=fabrikam)


def _fabrikam_inbound(fabrikam: Tenant) -> InboundConnector:
    return InboundConnector.objects.get(tenant=fabrikam)


def _fabrikam_draft(fabrikam: Tenant) -> ConnectorDraft:
    draft, _ = ConnectorDraft.objects.get_or_create(
        tenant=fabrikam,
        defaults={
            "data": {"scenario": {"source": "office365", "target": "partner"}},
            "completed": ["scenario"],
        },
    )
    return draft


def _fabrikam_edit_draft(fabrikam: Tenant) -> ConnectorDraft:
    """An edit of Fabrikam's outbound connector on its way to "Validation email"."""
    connector = _fabrikam_outbound(fabrikam)
    found = ConnectorDraft.objects.filter(editing_connector_id=connector.pk).first()
    return found or connector_edit_draft(connector=connector, actor=None)


def _fabrikam_run(fabrikam: Tenant) -> ValidationRun:
    connector = _fabrikam_outbound(fabrikam)
    run = ValidationRun.objects.filter(connector=connector).first()
    return run or ValidationRun.objects.create(
        tenant=fabrikam,
        connector=connector,
        target={"name": connector.name},
        recipients=["a@fabrikamlab.com"],
    )


def _fabrikam_class(fabrikam: Tenant) -> TrainingClass:
    found = TrainingClass.objects.filter(trainer__email="trainer@fabrikamlab.com").first()
    if found:
        return found
    trainer = User.objects.create_user("trainer@fabrikamlab.com", is_trainer=True)
    scenario = get_scenario("eop-in-front")
    assert scenario is not None
    training_class, _ = class_create(
        trainer=trainer, name="Fabrikam class", scenario=scenario, trainees=1
    )
    return training_class


def _fabrikam_domain(fabrikam: Tenant) -> AcceptedDomain:
    return AcceptedDomain.objects.get(tenant=fabrikam, name="fabrikamlab.com")


def _named_routes_with_ids(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _named_routes_with_ids(pattern.url_patterns, namespace)
        elif pattern.name and pattern.pattern.converters and "admin" not in prefix:
            names.add(prefix + pattern.name)
    return names


def test_the_matrix_covers_every_url_that_takes_an_id() -> None:
    routes = {
        name
        for name in _named_routes_with_ids(get_resolver().url_patterns)
        if not name.startswith("admin:")
    }
    assert routes == set(OBJECT_URLS)


@pytest.mark.parametrize("route", sorted(OBJECT_URLS))
def test_another_tenants_object_is_not_found(
    route: str, admin_client_: Client, fabrikam: Tenant
) -> None:
    for url in OBJECT_URLS[route](fabrikam):
        assert admin_client_.get(url).status_code in (404, 405)  # 405: POST-only, whoever asks
        posted = {
            "domain_type": "InternalRelay",
            "action": "validate",
            "new_recipient": "a@fabrikamlab.com",
        }
        assert admin_client_.post(url, posted).status_code == 404


def test_posts_naming_another_tenants_objects_change_nothing(
    admin_client_: Client, fabrikam: Tenant
) -> None:
    domain = _fabrikam_domain(fabrikam)
    events_before = AuditEvent.objects.filter(tenant=fabrikam).count()

    admin_client_.post(
        reverse("accepted_domain", args=[domain.pk]), {"domain_type": "InternalRelay"}
    )
    admin_client_.post(reverse("accepted_domain_remove", args=[domain.pk]))
    run = _fabrikam_run(fabrikam)
    admin_client_.post(reverse("validation:stop", args=[run.pk]))
    admin_client_.post(
        reverse("validation:validate", args=[_fabrikam_outbound(fabrikam).pk]),
        {"action": "validate", "new_recipient": "a@fabrikamlab.com"},
    )

    outbound, inbound = _fabrikam_outbound(fabrikam), _fabrikam_inbound(fabrikam)
    traced_before = TracedMessage.objects.filter(tenant=fabrikam).count()
    admin_client_.post(reverse("lab:validate_inbound_send", args=[inbound.pk]))
    admin_client_.post(
        reverse("connectors:edit", args=["outbound", outbound.pk, "name"]), {"name": "Mine"}
    )
    admin_client_.post(
        reverse("connectors:set_status", args=["inbound", inbound.pk]), {"status": "off"}
    )
    admin_client_.post(reverse("connectors:delete", args=["outbound", outbound.pk]))
    admin_client_.post(
        reverse("connectors:delete_selected"), {"connector": f"inbound:{inbound.pk}"}
    )

    outbound.refresh_from_db()
    inbound.refresh_from_db()
    assert (outbound.name, outbound.version) == ("Fabrikam outbound secret", 1)
    assert (inbound.enabled, inbound.version) == (True, 1)
    run.refresh_from_db()
    assert run.stop_requested is False
    assert ValidationRun.objects.filter(tenant=fabrikam).count() == 1
    domain.refresh_from_db()
    assert domain.domain_type == "Authoritative"
    assert AuditEvent.objects.filter(tenant=fabrikam).count() == events_before
    assert TracedMessage.objects.filter(tenant=fabrikam).count() == traced_before


@pytest.mark.parametrize("url_name", ["connectors:list", "accepted_domains"])
def test_list_pages_show_no_foreign_rows(
    url_name: str, admin_client_: Client, fabrikam: Tenant
) -> None:
    html = admin_client_.get(reverse(url_name)).content.decode()
    assert "Fabrikam" not in html
    assert "fabrikamlab" not in html


def test_search_cannot_reach_another_tenants_connectors(
    admin_client_: Client, fabrikam: Tenant
) -> None:
    html = admin_client_.get(reverse("connectors:list"), {"q": "secret"}).content.decode()
    assert "Fabrikam outbound secret" not in html
    assert "0 items" in html


def test_switching_to_a_tenant_you_dont_belong_to_keeps_your_own(
    admin_client_: Client, contoso: Tenant, fabrikam: Tenant
) -> None:
    response = admin_client_.post(reverse("switch_tenant"), {"tenant": fabrikam.pk}, follow=True)
    assert response.context["tenant"] == contoso
    assert "Fabrikam outbound secret" not in response.content.decode()


def test_a_forged_session_tenant_is_ignored(
    admin_client_: Client, contoso: Tenant, fabrikam: Tenant
) -> None:
    session = admin_client_.session
    session["eac_tenant_id"] = fabrikam.pk
    session.save()
    response = admin_client_.get(reverse("connectors:list"))
    assert response.context["tenant"] == contoso
    assert "Fabrikam" not in response.content.decode()


def _fabrikam_lab_message(fabrikam: Tenant) -> LabMessage:
    message = LabMessage.objects.filter(tenant=fabrikam).first()
    return message or LabMessage.objects.create(
        tenant=fabrikam,
        mail_from="partner@tailspintoys.com",
        rcpt_tos=["ops@fabrikamlab.com"],
        subject="Fabrikam secret",
        headers="Subject: Fabrikam secret",
        size=30,
        server_address="127.0.0.1",
    )


def _fabrikam_traced_message(fabrikam: Tenant) -> TracedMessage:
    message = TracedMessage.objects.filter(tenant=fabrikam).first()
    return message or TracedMessage.objects.create(
        tenant=fabrikam,
        sender="partner@tailspintoys.com",
        recipient="ops@fabrikamlab.com",
        subject="Fabrikam secret",
    )
