"""The codes Exchange Online answers with when the front door refuses or can't deliver a message,
and the plain cause and fix the trace shows beside each (in the style of validation/probe_words.py).
The codes and reasons are Microsoft's; where each comes from is in docs/front-door.md."""

from __future__ import annotations

RELAY_DENIED = "550 5.7.64 TenantAttribution; Relay Access Denied"
PARTNER_RESTRICTED = (
    "550 5.7.51 TenantInboundAttribution; There is a partner connector configured that matched "
    "the message's recipient domain. The connector had either the RestrictDomainsToIPAddresses "
    "or RestrictDomainsToCertificate set"
)
# Microsoft documents that a partner connector with RequireTls rejects mail sent without TLS, but
# not the reply; Exchange Online answers it in the same TenantInboundAttribution family.
PARTNER_NEEDS_TLS = (
    "550 5.7.51 TenantInboundAttribution; There is a partner connector configured that matched "
    "the message's recipient domain. The connector requires TLS (RequireTls)"
)
UNKNOWN_RECIPIENT = "550 5.4.1 Recipient address rejected: Access denied"
LOOP = "554 5.4.14 Hop count exceeded - possible mail loop ATTR34"
UNSIGNED_TENANT = "550 5.7.1 XTENANT: not a token this console signed"
# A cloud mailbox's submission (XCLIENT LOGIN, the lab's stand-in for SMTP AUTH): a login Office
# 365 doesn't take gets the reply of a failed AUTH, with the lab's reason after it.
LOGIN_REFUSED = "535 5.7.3 Authentication unsuccessful"
SEND_AS_DENIED = "550 5.7.60 SMTP; Client does not have permissions to send as this sender"
RECIPIENT_NOT_FOUND = (
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
)

WORDS: dict[str, tuple[str, str]] = {
    "relay-denied": (
        "{sender} relayed a message to {recipient}, outside the organization, but no enabled "
        "OnPremises inbound connector matches the sending server ({identity}), so Office 365 "
        "treats it as anonymous internet mail and won't relay it.",
        "Create an inbound connector from your organization's email server to Office 365 that "
        "identifies the server by its IP address or by its certificate name, or correct the one you "
        "have if the server's address or certificate changed.",
    ),
    "relay-not-ours": (
        "The sending server matched {connector}, but neither its certificate's domain nor the "
        "sender's domain ({sender_domain}) is an accepted domain of this organization, which relaying "
        "through Office 365 requires.",
        "Send from an accepted domain, or use a certificate whose name is in one of your accepted "
        "domains.",
    ),
    "partner-tls": (
        "{connector} takes mail from {sender_domain} and requires TLS, but the sending server sent "
        "it without STARTTLS.",
        "Have the partner's server use TLS (STARTTLS) when it sends to you, or turn off 'Reject "
        "email messages if they aren't sent over TLS' on the connector.",
    ),
    "partner-ip": (
        "{connector} takes mail from {sender_domain} only from its IP addresses "
        "({addresses}), and this came from {address}.",
        "Add the partner's sending address to the connector, or have the partner send from one of "
        "the listed addresses.",
    ),
    "partner-certificate": (
        "{connector} takes mail from {sender_domain} only from a server whose certificate names "
        "{required}; the sending server presented {presented}.",
        "Have the partner present a certificate for {required} over TLS, or correct the "
        "certificate name on the connector.",
    ),
    "unknown-recipient": (
        "{recipient} isn't a mailbox of this organization, and {domain} is an Authoritative "
        "domain: Office 365 rejects addresses it doesn't know (Directory-Based Edge Blocking).",
        "Check the address, create the mailbox, or make {domain} an Internal relay domain if some "
        "of its mailboxes are on your own server.",
    ),
    "loop": (
        "{recipient}'s mailbox is on your organization's email server, but no enabled outbound "
        "connector routes {domain} there, so Office 365 delivers by {domain}'s MX record, which "
        "points back to Office 365: the message loops.",
        "Turn on or create an outbound connector from Office 365 to your organization's email "
        "server that covers {domain}, routed through your server as a smart host.",
    ),
    "recipient-not-found": (
        "{recipient} isn't a mailbox of this organization, and {domain} is an Authoritative "
        "domain, so Office 365 has nowhere to deliver {sender}'s message.",
        "Check the address, create the mailbox, or make {domain} an Internal relay domain if some "
        "of its mailboxes are on your own server.",
    ),
    "bad-token": (
        "The session named an organization with XCLIENT XTENANT, but the token wasn't signed by "
        "this console.",
        "Leave XTENANT out: the organization is chosen from the recipient's domain.",
    ),
}


def words(key: str, **facts: object) -> tuple[str, str]:
    cause, fix = WORDS[key]
    return cause.format(**facts), fix.format(**facts)
