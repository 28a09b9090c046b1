"""Mail flow > Mail flow explorer: pick a sender and a recipient, see the path and its connectors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from connectors import explorer
from connectors.explorer_queries import TenantMailFlow
from connectors.values import parse_validation_recipient
from eac.models import Mailbox
from eac.tenancy import TenantRequest, tenant_required


class ExplorerForm(forms.Form):
    sender = forms.CharField(label="From", max_length=254)
    recipient = forms.CharField(label="To", max_length=254)

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
        tenant = request.tenant
        try:
            path = TenantMailFlow(tenant).explore(
                form.cleaned_data["sender"], form.cleaned_data["recipient"]
            )
        except ValidationError as exc:  # a stored pattern that no longer parses
            form.add_error(None, exc)
        else:
            context |= {"path": path, "diagram": diagram(path)}
    return render(request, "connectors/explorer.html", context)


NODES = {  # where each place sits in the diagram
    explorer.YOUR_ORG: (110, 90),
    explorer.OFFICE_365: (400, 90),
    explorer.INTERNET: (690, 90),
    explorer.PARTNER: (690, 230),
}


def diagram(path: explorer.Path) -> dict[str, Any]:
    """Boxes for the places and an arrow per hop, for the SVG in the template."""
    touched = {hop.source for hop in path.hops} | {hop.target for hop in path.hops}
    used = {explorer.YOUR_ORG, explorer.OFFICE_365, explorer.INTERNET} | touched
    active = touched | {path.sender.place, path.recipient.place}
    nodes = [
        {
            "x": x - 95,
            "y": y - 32,
            "cx": x,
            "cy": y,
            "lines": _label_lines(explorer.PLACE_NAMES[place]),
            "active": place in active,
        }
        for place, (x, y) in NODES.items()
        if place in used
    ]
    arrows = [_arrow(index, hop) for index, hop in enumerate(path.hops) if hop.source != hop.target]
    height = 290 if explorer.PARTNER in used else 170
    return {"nodes": nodes, "arrows": arrows, "height": height}


def _arrow(index: int, hop: explorer.Hop) -> dict[str, Any]:
    (x1, y1), (x2, y2) = NODES[hop.source], NODES[hop.target]
    level = y1 == y2
    shrink = 95 if level else 0
    sign = 1 if x2 > x1 else -1
    offset = index * 10 if level else 0  # two hops between the same boxes don't overlap
    start = (x1 + sign * shrink, y1 + (0 if level else 32) + offset)
    end = (x2 - sign * shrink, y2 - (0 if level else 32) + offset)
    return {
        "x1": start[0],
        "y1": start[1],
        "x2": end[0],
        "y2": end[1],
        "lx": (start[0] + end[0]) / 2,
        "ly": (start[1] + end[1]) / 2 - 10,
        "label": hop.connector or ("missing connector" if hop.problem else "no connector"),
        "problem": bool(hop.problem),
    }


def _label_lines(label: str) -> list[dict[str, Any]]:
    """One or two centred lines, so "Your organization's email server" fits its box."""
    words = label.split()
    lines = [label] if len(label) <= 20 else [" ".join(words[:2]), " ".join(words[2:])]
    first = 5 - 8 * (len(lines) - 1)
    return [{"text": text, "dy": first if i == 0 else 16} for i, text in enumerate(lines)]
