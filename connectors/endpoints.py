"""The ends of a mail flow scenario and their names, full (Classic EAC) and short (New EAC list)."""

from __future__ import annotations

from django.db import models


class Endpoint(models.TextChoices):
    OFFICE_365 = "office365", "Office 365"
    YOUR_ORG = "your_org", "Your organization's email server"
    PARTNER = "partner", "Partner organization"


SHORT_NAMES = {
    Endpoint.OFFICE_365: "O365",
    Endpoint.YOUR_ORG: "Your org",
    Endpoint.PARTNER: "Partner org",
}


class ConnectorType(models.TextChoices):
    ON_PREMISES = "OnPremises", "OnPremises"
    PARTNER = "Partner", "Partner"


class ConnectorSource(models.TextChoices):
    """How the connector was made: in the EAC (AdminUI), by hand in PowerShell (Default), by the
    Hybrid Configuration Wizard, or migrated from Forefront Online Protection for Exchange."""

    ADMIN_UI = "AdminUI", "AdminUI"
    DEFAULT = "Default", "Default"
    HYBRID_WIZARD = "HybridWizard", "HybridWizard"
    MIGRATED = "Migrated", "Migrated"


# How the details and the import's preview say a connector was made, where it wasn't in an EAC or
# by an admin in PowerShell (ConnectorSource on New-OutboundConnector's page). No source shows the
# EAC marking such a connector, so these are the console's own words.
MADE_BY = {
    ConnectorSource.HYBRID_WIZARD: "Created by the Hybrid Configuration Wizard",
    ConnectorSource.MIGRATED: "Migrated from Forefront Online Protection for Exchange",
}


def far_end(connector_type: str) -> Endpoint:
    """The end that is not Office 365: your own server for OnPremises, else the partner."""
    return Endpoint.YOUR_ORG if connector_type == ConnectorType.ON_PREMISES else Endpoint.PARTNER
