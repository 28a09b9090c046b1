"""The property table drives the import, the JSON export and the PowerShell lines: every setting
the models keep is in it, once, and the outputs name properties only through it."""

from __future__ import annotations

import re

import pytest
from django.db import models

from connectors.interchange.export import connector_record, domain_record
from connectors.interchange.powershell import connector_lines
from connectors.interchange.properties import DOMAIN, IS_DEFAULT, LABELS, SETTINGS, Choice, Kind
from connectors.models import InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, Tenant
from tests.connectors.test_import import demo_like_contoso

# Kept by the console for itself, or printed by Exchange about every object: not settings.
BOOKKEEPING = {"id", "tenant", "version", "created_at", "changed_at"}
PRINTED_ABOUT_EVERY_OBJECT = {"Identity", "WhenCreatedUTC", "WhenChangedUTC"}
MODELS: dict[Kind, type[models.Model]] = {
    "outbound": OutboundConnector,
    "inbound": InboundConnector,
    "domains": AcceptedDomain,
}


def settings_of(kind: Kind) -> set[str]:
    return {f.name for f in MODELS[kind]._meta.concrete_fields} - BOOKKEEPING


@pytest.mark.parametrize("kind", ["outbound", "inbound"])
def test_every_connector_setting_is_in_the_table_once(kind: Kind) -> None:
    fields = [prop.field for prop in SETTINGS[kind]]
    assert sorted(fields) == sorted(settings_of(kind))
    names = [prop.name for prop in SETTINGS[kind]]
    assert len(set(names)) == len(names)


def test_an_accepted_domain_is_its_name_its_type_and_whether_it_is_the_default() -> None:
    assert settings_of("domains") == {"name", *(p.field for p in DOMAIN), IS_DEFAULT.field}


def test_messages_name_each_field_as_the_cmdlets_do() -> None:
    assert LABELS["tls_sender_certificate_name"] == "TlsSenderCertificateName"
    assert LABELS["match_subdomains"] == "MatchSubDomains"
    assert "is_default" not in LABELS  # never imported, so never in a message


@pytest.mark.parametrize("kind", ["outbound", "inbound", "domains"])
def test_enum_tables_give_only_the_models_choices(kind: Kind) -> None:
    for prop in SETTINGS[kind]:
        if isinstance(prop.value, Choice):
            field = MODELS[kind]._meta.get_field(prop.field)
            allowed = {value for value, _ in getattr(field, "choices", None) or []}
            assert set(prop.value.names.values()) <= allowed, prop.name


@pytest.mark.django_db
def test_the_export_and_the_powershell_lines_name_only_table_properties(contoso: Tenant) -> None:
    demo_like_contoso(contoso)
    connectors: list[tuple[Kind, OutboundConnector | InboundConnector]] = [
        *(("outbound", c) for c in OutboundConnector.objects.filter(tenant=contoso)),
        *(("inbound", c) for c in InboundConnector.objects.filter(tenant=contoso)),
    ]
    for kind, connector in connectors:
        names = {prop.name for prop in SETTINGS[kind]}
        assert set(connector_record(connector)) == names | PRINTED_ABOUT_EVERY_OBJECT | {"Guid"}
        for line in connector_lines(connector):
            assert set(re.findall(r" -(\w+) ", line)) - {"Identity"} <= names, line
    domain = AcceptedDomain.objects.filter(tenant=contoso).first()
    assert domain is not None
    names = {"Name", "DomainName", IS_DEFAULT.name, *(prop.name for prop in DOMAIN)}
    assert set(domain_record(domain)) == names | PRINTED_ABOUT_EVERY_OBJECT
