"""Writes for the lab: keeping what its SMTP server received, in the sender's tenant's mailbox."""

from __future__ import annotations

import contextlib
import email.message
import email.parser
import email.policy
import logging
import re
import uuid
from email.errors import HeaderParseError
from email.header import decode_header, make_header

from django.db import transaction

from lab.models import LabMessage, TracedMessage, TraceStatus
from lab.selectors import tenant_for_sender
from lab.smtp import Delivery
from validation.probe import RUN_HEADER

# Each tenant's mailbox keeps its newest messages; the lab is for seeing a test land, not an archive.
MAX_MESSAGES_PER_TENANT = 500
MAX_HEADER_CHARS = 64 * 1024
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
# Put on each message the front door relays (lab.office): the id of its traced message.
TRACE_HEADER = "X-EAC-Lab-Trace"

logger = logging.getLogger(__name__)


@transaction.atomic
def lab_message_store(delivery: Delivery) -> list[LabMessage]:
    """The message, kept once in the mailbox of the tenant it belongs to, with every recipient;
    [] when it belongs to none. A message the front door relays belongs to the tenant of the
    traced message its header names (see `tenant_for_relayed`); any other, to the tenant the
    envelope sender names (see `tenant_for_sender`).

    A message no tenant can claim was still accepted (250 at DATA) and is kept nowhere: a lab
    host answers as its behaviour says whoever sends, so a trainer's hand-made test gets the same
    replies as the probe's, and no mailbox fills with mail its tenant didn't send. The lab's log
    says it was dropped.
    """
    headers = header_block(delivery.content)
    # compat32 hands back the raw values, never raising on a malformed one; _header decodes them.
    parsed = email.parser.Parser(policy=email.policy.compat32).parsestr(headers, headersonly=True)
    tenant_id = tenant_for_relayed(_header(parsed, TRACE_HEADER, 64), delivery)
    if tenant_id is None:
        tenant_id = tenant_for_sender(delivery.mail_from)
    if tenant_id is None:
        logger.info(
            "Kept nowhere: no tenant's initial domain sent the message from <%s>",
            delivery.mail_from,
        )
        return []
    message = LabMessage.objects.create(
        tenant_id=tenant_id,
        rcpt_tos=list(delivery.rcpt_tos),
        received_at=delivery.received_at,
        mail_from=delivery.mail_from[:320],
        subject=_header(parsed, "Subject", 998),
        message_id=_header(parsed, "Message-ID", 998),
        validation_run=_header(parsed, RUN_HEADER, 64),
        headers=headers,
        size=len(delivery.content),
        behaviour=delivery.behaviour.value,
        server_address=delivery.server_address,
        client_address=delivery.client_address or None,
        helo=_clean(delivery.helo)[:255],
        tls_version=delivery.tls_version[:16],
    )
    _prune(tenant_id)
    return [message]


def tenant_for_relayed(trace_id: str, delivery: Delivery) -> int | None:
    """The tenant of the traced message a relayed copy names, if the copy really is that message
    being relayed now: the id names a message still Pending, with this sender, and one of this
    delivery's recipients. The header carries an unguessable id, never a tenant, so a hand-made
    message can't put itself in another organization's mailbox."""
    try:
        key = uuid.UUID(trace_id)
    except ValueError:
        return None
    return (
        TracedMessage.objects.filter(
            pk=key,
            status=TraceStatus.PENDING,
            sender__iexact=delivery.mail_from,
            recipient__in=delivery.rcpt_tos,
        )
        .values_list("tenant_id", flat=True)
        .first()
    )


def header_block(content: bytes) -> str:
    """The headers of a message as text: everything before the first blank line."""
    end = _BLANK_LINE.search(content)
    raw = content[: end.start()] if end else content
    return _clean(raw.decode("utf-8", errors="replace"))[:MAX_HEADER_CHARS]


def _header(parsed: email.message.Message, name: str, limit: int) -> str:
    raw = parsed.get(name)
    if raw is None:
        return ""
    value = str(raw)
    # =?utf-8?b?…?= words as a reader sees them; a malformed one is shown as it came.
    with contextlib.suppress(HeaderParseError, LookupError, UnicodeError, ValueError):
        value = str(make_header(decode_header(value)))
    return _clean(" ".join(value.split()))[:limit]


def _clean(text: str) -> str:
    # PostgreSQL text can't hold NUL; anyone on the host can send the lab anything.
    return text.replace("\x00", "\ufffd")


def _prune(tenant_id: int) -> None:
    """Only this tenant's oldest messages go: another tenant's mail never makes room for ours."""
    mailbox = LabMessage.objects.filter(tenant_id=tenant_id).order_by("-id")
    oldest_kept = list(
        mailbox.values_list("id", flat=True)[MAX_MESSAGES_PER_TENANT - 1 : MAX_MESSAGES_PER_TENANT]
    )
    if oldest_kept:
        mailbox.filter(id__lt=oldest_kept[0]).delete()
