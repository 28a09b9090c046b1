"""What the lab mail server received, kept per tenant for the Lab mailbox page."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from eac.models import Tenant
from lab.behaviours import Behaviour


class LabMessage(models.Model):
    """One message as the lab received it, kept once, for the tenant its envelope sender names
    (the probe sends from its tenant's initial domain), with all its recipients."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="lab_messages")
    received_at = models.DateTimeField(default=timezone.now)
    mail_from = models.CharField(max_length=320, blank=True)  # the envelope's; "" is <>
    rcpt_tos = models.JSONField(default=list)  # the envelope's, whichever tenants' they are
    subject = models.CharField(max_length=998, blank=True)
    message_id = models.CharField(max_length=998, blank=True)
    validation_run = models.CharField(max_length=64, blank=True)  # X-EAC-Validation-Run
    headers = models.TextField()  # the header block only, as received
    size = models.PositiveIntegerField()  # bytes after DATA, body included
    behaviour = models.CharField(
        max_length=16, choices=[(b.value, b.label) for b in Behaviour], default=Behaviour.GOOD.value
    )
    server_address = models.GenericIPAddressField()  # the lab address it arrived on
    client_address = models.GenericIPAddressField(null=True, blank=True)
    helo = models.CharField(max_length=255, blank=True)
    tls_version = models.CharField(max_length=16, blank=True)  # "" when not encrypted

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-received_at"], name="lab_message_mailbox")]

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} from {self.mail_from or '<>'}"

    @property
    def validation_run_id(self) -> uuid.UUID | None:
        """The validation run that sent this test message, if the header names one."""
        try:
            return uuid.UUID(self.validation_run)
        except ValueError:
            return None


class LabDomain(models.Model):
    """A domain the lab plays for a tenant besides its accepted domains: a partner's, say, so the
    partner's mail server answers in the lab (a training scenario adds these)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="lab_domains")
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="lab_domain_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class TraceStatus(models.TextChoices):
    """Message trace's delivery statuses, those the lab can reach."""

    PENDING = "Pending", "Pending"
    DELIVERED = "Delivered", "Delivered"
    FAILED = "Failed", "Failed"


class TraceEventKind(models.TextChoices):
    RECEIVE = "Receive", "Receive"
    CONNECTOR = "Connector", "Connector"  # which connector took it, and why
    SEND = "Send", "Send"  # handed to another server
    DELIVER = "Deliver", "Deliver"  # into a mailbox in Office 365
    FAIL = "Fail", "Fail"


class TracedMessage(models.Model):
    """One recipient of one message the lab's Office 365 front door received, as message trace
    lists them: a message to three recipients is three rows, each with its own events."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="traced_messages")
    received_at = models.DateTimeField(default=timezone.now)
    sender = models.CharField(max_length=320, blank=True)  # the envelope's; "" is <>
    recipient = models.CharField(max_length=320)
    subject = models.CharField(max_length=998, blank=True)
    message_id = models.CharField(max_length=998, blank=True)
    size = models.PositiveIntegerField(default=0)
    from_ip = models.GenericIPAddressField(null=True, blank=True)  # the sending server's
    status = models.CharField(
        max_length=16, choices=TraceStatus.choices, default=TraceStatus.PENDING
    )
    # The code a failed message ends with (550 5.7.64, 550 5.4.1 …), for the list and search.
    failure_code = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-received_at"], name="trace_by_tenant")]

    def __str__(self) -> str:
        return f"{self.sender or '<>'} → {self.recipient} ({self.status})"


class TraceEvent(models.Model):
    """A step of a traced message: received, matched to a connector, sent on, delivered, failed."""

    message = models.ForeignKey(TracedMessage, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=TraceEventKind.choices)
    detail = models.TextField()
    connector = models.CharField(max_length=64, blank=True)  # its name, when one is involved
    host = models.CharField(max_length=255, blank=True)  # the server sent to or received from
    tls = models.CharField(max_length=64, blank=True)  # "TLS 1.3", "" when not encrypted
    code = models.CharField(max_length=32, blank=True)  # the SMTP reply or NDR code, if any

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["message", "seq"], name="trace_event_order")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"
