from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict

from eac.models import Tenant
from eac.values import InvalidValue, parse_validation_recipient
from validation import services

MAX_RECIPIENTS = 10


def listed_recipients(texts: Iterable[str]) -> list[str]:
    """The addresses already in the list, as its hidden inputs post them back. Each was checked
    when it was added, so what isn't an address at all (a page tampered with) is left out
    rather than kept on a draft as it came (PostgreSQL can't even store a NUL). One that no
    longer routes through the connector stays, for Validate to say why."""
    addresses = []
    for text in texts:
        try:
            addresses.append(parse_validation_recipient(text))
        except InvalidValue:
            continue
    return addresses[:MAX_RECIPIENTS]


def apply_recipient_buttons(
    post: QueryDict, *, tenant: Tenant, target: dict[str, Any]
) -> tuple[list[str], str, str]:
    """The EAC's list of validation addresses, after its + / delete / Validate buttons:
    (the list, what stays typed in the box, the error to show next to it)."""
    recipients = listed_recipients(post.getlist("recipients"))
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
