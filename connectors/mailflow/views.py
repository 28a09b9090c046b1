"""Mail flow > Mail flow explorer: pick a sender and a recipient, see the path and its connectors;
then send a test message for real through the lab's Office 365 and see its trace beside the
prediction, with any difference called out (docs/routing.md, "The explorer")."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from connectors.mailflow import diagram as explorer_diagram
from connectors.mailflow import explorer
from connectors.mailflow.facts import TenantMailFlow
from eac.formfields import ParsedField, validation_error
from eac.roles import Capability
from eac.tenancy import TenantRequest, capability_required, get_for_tenant, tenant_required
from eac.values import InvalidValue, parse_validation_recipient
from lab.flow_check import compare
from lab.models import TracedMessage, TraceStatus
from lab.test_message import (
    FrontDoorUnavailable,
    can_play,
    send_test_message,
    server_for_sender,
)
from lab.trace_reading import observe

TEMPLATE = "connectors/explorer.html"

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


class TestMessageForm(ExplorerForm):
    """The Send a test message button: the addresses the prediction was shown for (hidden), and
    whether the played server encrypts."""

    tls = forms.BooleanField(required=False, label="Send over TLS (STARTTLS)")


def _path_context(flow: TenantMailFlow, form: ExplorerForm) -> dict[str, Any]:
    """The prediction for a valid form, with what a test message would do; {} otherwise."""
    try:
        path = flow.explore(form.cleaned_data["sender"], form.cleaned_data["recipient"])
    except InvalidValue as exc:  # a stored pattern that no longer parses
        form.add_error(None, validation_error(exc))
        return {}
    return {
        "path": path,
        "diagram": explorer_diagram.diagram(path),
        "cannot_send": can_play(flow, path),
        "sending": server_for_sender(flow, path),
        "explorer_query": urlencode(
            {"sender": path.sender.address, "recipient": path.recipient.address}
        ),
    }


def _test_context(path: explorer.Path, message: TracedMessage) -> dict[str, Any]:
    """The test message's panel: its trace, and the prediction set beside it."""
    events = list(message.events.order_by("seq"))
    return {
        "test_message": message,
        "events": events,
        "test_pending": message.status == TraceStatus.PENDING,
        "comparison": compare(path, observe(message, events)),
    }


def _sent_message(request: TenantRequest) -> TracedMessage | None:
    """The test message named by ?sent=, if it is this organization's."""
    try:
        pk = uuid.UUID(request.GET.get("sent", ""))
    except ValueError:
        return None
    return TracedMessage.objects.filter(tenant=request.tenant, pk=pk).first()


@tenant_required
def mail_flow_explorer(request: TenantRequest) -> HttpResponse:
    flow = TenantMailFlow.current(request.tenant)
    form = ExplorerForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "mailboxes": flow.mailbox_list}
    if form.is_bound and form.is_valid():
        context |= _path_context(flow, form)
        message = _sent_message(request)
        if "path" in context and message is not None:
            context |= _test_context(context["path"], message)
    # A refused form is answered with the same page and 422 (docs/forms.md).
    status = 422 if form.errors else 200
    return render(request, TEMPLATE, context, status=status)


@require_POST
@capability_required(Capability.MANAGE_CONNECTORS)
def send_explorer_test_message(request: TenantRequest) -> HttpResponse:
    """Sends the message the prediction was shown for, then shows the prediction again with
    the message's trace beside it (Post/Redirect/Get, so a reload doesn't send it twice)."""
    flow = TenantMailFlow.current(request.tenant)
    form = TestMessageForm(request.POST)
    context: dict[str, Any] = {"form": form, "mailboxes": flow.mailbox_list}
    if not form.is_valid():  # the button posts the addresses the page showed: a forged post
        return render(request, TEMPLATE, context, status=422)
    sender, recipient = form.cleaned_data["sender"], form.cleaned_data["recipient"]
    try:
        ids = send_test_message(request.tenant, sender, recipient, tls=form.cleaned_data["tls"])
    except FrontDoorUnavailable as exc:
        context |= _path_context(flow, form) | {"send_error": str(exc)}
        return render(request, TEMPLATE, context, status=503)
    if not ids:  # refused before Office 365 chose an organization: nothing was traced
        error = "The front door refused the message without tracing it."
        context |= _path_context(flow, form) | {"send_error": error}
        return render(request, TEMPLATE, context, status=502)
    query = {"sender": sender, "recipient": recipient, "sent": str(ids[0])}
    return redirect(f"{reverse('explorer')}?{urlencode(query)}")


@vary_on_headers("HX-Request")
@tenant_required
def explorer_test_message(request: TenantRequest, pk: uuid.UUID) -> HttpResponse:
    """The test message's panel again, polled while the message is Pending; without htmx, the
    whole explorer with it."""
    message = get_for_tenant(TracedMessage.objects.all(), request.tenant, pk=pk)
    form = ExplorerForm({"sender": message.sender, "recipient": message.recipient})
    if not (request.htmx and not request.htmx.history_restore_request):
        query = {"sender": message.sender, "recipient": message.recipient, "sent": str(pk)}
        return redirect(f"{reverse('explorer')}?{urlencode(query)}")
    flow = TenantMailFlow.current(request.tenant)
    context = _path_context(flow, form) if form.is_valid() else {}
    if "path" not in context:  # a message with an address the explorer can't place: no panel
        return HttpResponse("")
    return render(
        request, f"{TEMPLATE}#test-panel", context | _test_context(context["path"], message)
    )
