"""Mail flow > Mail flow explorer: pick a sender and a recipient, see the path and its connectors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from connectors.mailflow import diagram as explorer_diagram
from connectors.mailflow.explorer_queries import TenantMailFlow
from eac.models import Mailbox
from eac.tenancy import TenantRequest, tenant_required
from eac.values import parse_validation_recipient

_ADDRESS_BOX = {  # offers the tenant's mailboxes (the page's <datalist id="mailboxes">)
    "list": "mailboxes",
    "placeholder": "Example: john@contoso.com",
    "autocomplete": "off",
}


class ExplorerForm(forms.Form):
    sender = forms.CharField(
        label="From", max_length=254, widget=forms.TextInput(attrs=_ADDRESS_BOX)
    )
    recipient = forms.CharField(
        label="To", max_length=254, widget=forms.TextInput(attrs=_ADDRESS_BOX)
    )

    def clean_sender(self) -> str:
        return parse_validation_recipient(self.cleaned_data["sender"])

    def clean_recipient(self) -> str:
        return parse_validation_recipient(self.cleaned_data["recipient"])


@tenant_required
def mail_flow_explorer(request: TenantRequest) -> HttpResponse:
    mailboxes = list(Mailbox.objects.filter(tenant=request.tenant))
    form = ExplorerForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "mailboxes": mailboxes}
    if form.is_bound and form.is_valid():
        try:
            path = TenantMailFlow(request.tenant).explore(
                form.cleaned_data["sender"], form.cleaned_data["recipient"]
            )
        except ValidationError as exc:  # a stored pattern that no longer parses
            form.add_error(None, exc)
        else:
            context |= {"path": path, "diagram": explorer_diagram.diagram(path)}
    # A refused form is answered with the same page and 422 (docs/forms.md).
    status = 422 if form.errors else 200
    return render(request, "connectors/explorer.html", context, status=status)
