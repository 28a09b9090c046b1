"""How the lab mail server behaves, chosen by the first label of the host name a connector uses.

`mail.contoso.com` reaches the well-behaved server; `wrongname.contoso.com` (or `wrongname2.…`,
`wrongname-mail.…`: the label only has to start with the word) reaches the one whose certificate
names another host. Each behaviour has its own loopback address, so one port serves them all and
the lab DNS only has to hand out the right address.

This enum is the one list of the lab's misbehaviours: the product's lab (`manage.py lab`) plays
every one of them, and the validation tests start a server for one of them on a port of their own
(tests/validation/peers.py). What each does to a validation: docs/validation.md, "The lab".
Plain Python, no Django.
"""

from __future__ import annotations

from enum import StrEnum


class Behaviour(StrEnum):
    """The value is also the host-name prefix that selects it (GOOD has none: it's the default).

    A value is a valid DNS label and no value starts another, so a prefix selects one behaviour.
    """

    GOOD = "good"
    NO_STARTTLS = "nostarttls"
    SELF_SIGNED = "selfsigned"
    WRONG_NAME = "wrongname"
    EXPIRED = "expired"
    REFUSED = "refused"
    REJECT_RCPT = "rejectrcpt"
    UNTRUSTED_CA = "untrustedca"
    WILDCARD = "wildcard"
    REJECT_DATA = "rejectdata"
    TLS10_ONLY = "tls10"
    HANG_UP = "hangup"
    BANNER_554 = "banner554"
    SILENT = "silent"
    TARPIT = "tarpit"

    @property
    def address(self) -> str:
        return ADDRESSES[self]

    @property
    def label(self) -> str:
        return LABELS[self]


ADDRESSES: dict[Behaviour, str] = {
    Behaviour.GOOD: "127.0.0.1",
    Behaviour.NO_STARTTLS: "127.0.0.2",
    Behaviour.SELF_SIGNED: "127.0.0.3",
    Behaviour.WRONG_NAME: "127.0.0.4",
    Behaviour.EXPIRED: "127.0.0.5",
    Behaviour.REFUSED: "127.0.0.6",  # nothing listens here: connections are refused
    Behaviour.REJECT_RCPT: "127.0.0.7",
    Behaviour.UNTRUSTED_CA: "127.0.0.8",
    Behaviour.WILDCARD: "127.0.0.9",
    Behaviour.REJECT_DATA: "127.0.0.10",
    Behaviour.TLS10_ONLY: "127.0.0.11",
    Behaviour.HANG_UP: "127.0.0.12",
    Behaviour.BANNER_554: "127.0.0.13",
    Behaviour.SILENT: "127.0.0.14",
    Behaviour.TARPIT: "127.0.0.15",
}

LABELS: dict[Behaviour, str] = {
    Behaviour.GOOD: "STARTTLS with a certificate from the lab CA",
    Behaviour.NO_STARTTLS: "Doesn't offer STARTTLS",
    Behaviour.SELF_SIGNED: "STARTTLS with a self-signed certificate",
    Behaviour.WRONG_NAME: "STARTTLS with a certificate for mail.wrong-name.example",
    Behaviour.EXPIRED: "STARTTLS with an expired certificate",
    Behaviour.REFUSED: "Refuses connections",
    Behaviour.REJECT_RCPT: "Rejects every recipient (550 5.1.1)",
    Behaviour.UNTRUSTED_CA: "STARTTLS with a certificate from a CA nobody trusts",
    Behaviour.WILDCARD: "STARTTLS with a wildcard-only certificate (*.domain)",
    Behaviour.REJECT_DATA: "Refuses every message after DATA (554 5.6.0)",
    Behaviour.TLS10_ONLY: "Offers STARTTLS, then speaks TLS 1.0 only",
    Behaviour.HANG_UP: "Greets, then hangs up before EHLO",
    Behaviour.BANNER_554: "Greets with 554 instead of 220",
    Behaviour.SILENT: "Accepts the connection and never says a word",
    Behaviour.TARPIT: "Sends its greeting one byte a second",
}

# The ones with a server listening; REFUSED is an address where nothing does.
LISTENING: tuple[Behaviour, ...] = tuple(b for b in Behaviour if b is not Behaviour.REFUSED)

_PREFIXED = tuple(b for b in Behaviour if b is not Behaviour.GOOD)


def behaviour_for(host_name: str) -> Behaviour:
    """The behaviour a host name selects by its first label, e.g. `expired-mx.contoso.com`."""
    first_label = host_name.strip().lower().split(".", 1)[0]
    for behaviour in _PREFIXED:
        if first_label.startswith(behaviour.value):
            return behaviour
    return Behaviour.GOOD
