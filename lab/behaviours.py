"""How the lab mail server behaves, chosen by the first label of the host name a connector uses.

`mail.contoso.com` reaches the well-behaved server; `wrongname.contoso.com` (or `wrongname2.…`,
`wrongname-mail.…`: the label only has to start with the word) reaches the one whose certificate
names another host. Each behaviour has its own loopback address, so one port serves them all and
the lab DNS only has to hand out the right address. Plain Python, no Django.
"""

from __future__ import annotations

from enum import StrEnum


class Behaviour(StrEnum):
    """The value is also the host-name prefix that selects it (GOOD has none: it's the default)."""

    GOOD = "good"
    NO_STARTTLS = "nostarttls"
    SELF_SIGNED = "selfsigned"
    WRONG_NAME = "wrongname"
    EXPIRED = "expired"
    REFUSED = "refused"
    REJECT_RCPT = "rejectrcpt"

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
}

LABELS: dict[Behaviour, str] = {
    Behaviour.GOOD: "STARTTLS with a certificate from the lab CA",
    Behaviour.NO_STARTTLS: "Doesn't offer STARTTLS",
    Behaviour.SELF_SIGNED: "STARTTLS with a self-signed certificate",
    Behaviour.WRONG_NAME: "STARTTLS with a certificate for mail.wrong-name.example",
    Behaviour.EXPIRED: "STARTTLS with an expired certificate",
    Behaviour.REFUSED: "Refuses connections",
    Behaviour.REJECT_RCPT: "Rejects every recipient (550 5.1.1)",
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
