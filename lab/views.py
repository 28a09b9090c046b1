"""The Lab mailbox: what the lab mail server received for the current tenant, newest first, and
one message's headers beside the list."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from eac.tenancy import TenantRequest, get_for_tenant, tenant_required
from eac.values import parse_count
from lab.behaviours import Behaviour
from lab.models import LabMessage
from lab.selectors import lab_example_domain, lab_messages

PAGE = 50  # rows shown at first; "Show more" adds as many again


def _number(text: str) -> int | None:
    return parse_count(text, below=10**9)


def _mailbox_context(request: TenantRequest, selected_id: int | None) -> dict[str, Any]:
    limit = max(PAGE, _number(request.GET.get("limit", "")) or PAGE)
    mailbox = lab_messages(request.tenant)
    total = mailbox.count()
    state = {"limit": limit} | ({"selected": selected_id} if selected_id else {})
    domain = lab_example_domain(request.tenant)
    return {
        "rows": list(mailbox[:limit]),
        "total": total,
        "more_query": urlencode(state | {"limit": limit + PAGE}) if total > limit else "",
        "poll_query": urlencode(state),
        "selected_id": selected_id,
        "lab_hosts": [
            (f"mail.{domain}" if b is Behaviour.GOOD else f"{b.value}.{domain}", b.label)
            for b in Behaviour
        ],
    }


@vary_on_headers("HX-Request")
@tenant_required
def mailbox(request: TenantRequest) -> HttpResponse:
    context = _mailbox_context(request, _number(request.GET.get("selected", "")))
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target == "lab-messages":
        return render(request, "lab/mailbox.html#table", context)
    return render(request, "lab/mailbox.html", context)


@vary_on_headers("HX-Request")
@tenant_required
def mailbox_message(request: TenantRequest, pk: int) -> HttpResponse:
    message = get_for_tenant(LabMessage.objects.all(), request.tenant, pk=pk)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "lab/mailbox.html#flyout", {"message": message})
    context = _mailbox_context(request, message.pk)
    return render(request, "lab/mailbox.html", context | {"message": message})
