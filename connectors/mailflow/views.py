"""Mail flow > Mail flow explorer: pick a sender and a recipient, see the path and its connectors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render

from connectors.mailflow import diagram as explorer_diagram
from connectors.mailflow.facts import TenantMailFlow
from eac.formfields import ParsedField, validation_error
from eac.tenancy import TenantRequest, tenant_required
from eac.values import InvalidValue, parse_validation_recipient

_ADDRESS_BOX = {  # offers the tenant's mailboxes (the page's <datalist id="mailboxes">)
    "list": "mailboxes",
    "placeholder": "Example: john@contoso.com",
    "autocomplete": "off",
}


class ExplorerForm(forms.Form):
    sender = ParsedField(
        parser=parse_validation_recipient,
        label="From",
        max_length=254,
        widget=forms.TextInput(attrs=_ADDRESS_BOX),
    )
    recipient = ParsedField(
        parser=parse_validation_recipient,
        label="To",
        max_length=254,
        widget=forms.TextInput(attrs=_ADDRESS_BOX),
    )


@tenant_required
def mail_flow_explorer(request: TenantRequest) -> HttpResponse:
    flow = TenantMailFlow.current(request.tenant)
    form = ExplorerForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "mailboxes": flow.mailbox_list}
    if form.is_bound and form.is_valid():
        try:
            path = flow.explore(form.cleaned_data["sender"], form.cleaned_data["recipient"])
        except InvalidValue as exc:  # a stored pattern that no longer parses
            form.add_error(None, validation_error(exc))
        else:
            context |= {"path": path, "diagram": explorer_diagram.diagram(path)}
    # A refused form is answered with the same page and 422 (docs/forms.md).
    status = 422 if form.errors else 200
    return render(request, "connectors/explorer.html", context, status=status)
