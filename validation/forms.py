from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict

from eac.models import Tenant
from validation import services

MAX_RECIPIENTS = 10


def apply_recipient_buttons(
    post: QueryDict, *, tenant: Tenant, target: dict[str, Any]
) -> tuple[list[str], str, str]:
    """The EAC's list of validation addresses, after its + / delete / Validate buttons:
    (the list, what stays typed in the box, the error to show next to it)."""
    recipients = [r for r in post.getlist("recipients") if r.strip()][:MAX_RECIPIENTS]
    typed = post.get("new_recipient", "").strip()
    action = post.get("action", "")
    if action.startswith("remove-"):
        index = action.removeprefix("remove-")
        return [r for i, r in enumerate(recipients) if str(i) != index], typed, ""
    if not typed:
        return recipients, "", ""
    # "+" adds the typed address; Validate and Next add it too rather than silently dropping it.
    try:
        [address] = services.parse_recipients(tenant=tenant, target=target, recipients=[typed])
    except ValidationError as exc:
        return recipients, typed, " ".join(exc.messages)
    if address not in recipients:
        recipients.append(address)
    return recipients, "", ""
