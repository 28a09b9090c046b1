"""The accepted-domain forms of the New EAC's pages and the Classic pencil's window
(https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/manage-accepted-domains/manage-accepted-domains)."""

from __future__ import annotations

from typing import Any

from django import forms

from eac.formfields import ParsedField
from eac.models import DomainType
from eac.values import parse_domain

DOMAIN_TYPE_HELP = {
    DomainType.AUTHORITATIVE: (
        "Email is delivered only to recipients in this organization. Messages for unknown "
        "recipients are rejected."
    ),
    DomainType.INTERNAL_RELAY: (
        "Recipients in this organization get their mail here; messages for anyone else are "
        "relayed to your own email server through a connector."
    ),
}


class DomainTypeForm(forms.Form):
    domain_type = forms.ChoiceField(
        label="This accepted domain is", choices=DomainType.choices, widget=forms.RadioSelect
    )
    match_subdomains = forms.BooleanField(label="Accept mail for all subdomains", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("match_subdomains") and data.get("domain_type") != DomainType.INTERNAL_RELAY:
            self.add_error(
                "match_subdomains", "Subdomains can only be accepted for an Internal relay domain."
            )
        return data


class AcceptedDomainAddForm(DomainTypeForm):
    name = ParsedField(
        parser=parse_domain,
        label="Domain name",
        max_length=255,
        widget=forms.TextInput(
            attrs={"placeholder": "Example: contoso.com", "autocomplete": "off"}
        ),
    )
    field_order = ["name", "domain_type", "match_subdomains"]
