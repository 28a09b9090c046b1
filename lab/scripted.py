"""The lab servers that misbehave below SMTP, where aiosmtpd can't: one that never says a word, one
that trickles its greeting, one that hangs up after it, one that greets with 554, and one that
offers STARTTLS but then only speaks TLS 1.0.

Each is a coroutine over one client's asyncio streams, run by `lab.smtp` on the same loop, port and
per-behaviour address as the aiosmtpd servers. None of them ever takes a message. Plain Python,
no Django.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lab.behaviours import Behaviour

TARPIT_GREETING_REPEATS = 1000  # at a byte a second: longer than any client waits
TARPIT_SECONDS_PER_BYTE = 1.0
READ_CHUNK = 65536


@dataclass
class Client:
    """One connection to a scripted server, and the name that server greets with."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    host_name: str
    idle_seconds: float

    async def say(self, *lines: str) -> None:
        self.writer.write("".join(f"{line}\r\n" for line in lines).encode())
        await self.writer.drain()

    async def send(self, data: bytes) -> None:
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def hear(self) -> str | None:
        """The client's next command line, upper-cased; None once it hangs up or goes quiet."""
        try:
            line = await asyncio.wait_for(self.reader.readline(), self.idle_seconds)
        except (TimeoutError, ValueError):  # ValueError: a line longer than the stream's limit
            return None
        if not line:
            return None
        return line.decode("latin-1").strip().upper()

    async def receive(self) -> bytes:
        """The next bytes the client sends; b"" once it hangs up or goes quiet."""
        try:
            return await asyncio.wait_for(self.reader.read(READ_CHUNK), self.idle_seconds)
        except TimeoutError:
            return b""

    def gone(self) -> bool:
        return self.writer.is_closing() or self.reader.at_eof()


Script = Callable[[Client, ssl.SSLContext | None], Awaitable[None]]


async def say_nothing(client: Client, context: ssl.SSLContext | None) -> None:
    """SILENT: accept, then wait without a word until the client gives up."""
    while await client.receive():
        pass  # whatever it says, it gets no answer


async def trickle_greeting(client: Client, context: ssl.SSLContext | None) -> None:
    """TARPIT: a greeting one byte a second, never finished. A per-read timeout never fires on
    it; only a deadline for the whole conversation ends it (the probe's watchdog)."""
    greeting = f"220 {client.host_name} ESMTP please wait ".encode() * TARPIT_GREETING_REPEATS
    for byte in greeting:
        if client.gone():
            return
        await client.send(bytes([byte]))
        await asyncio.sleep(TARPIT_SECONDS_PER_BYTE)


async def hang_up_after_greeting(client: Client, context: ssl.SSLContext | None) -> None:
    """HANG_UP: a normal greeting, then the connection closes before EHLO."""
    await client.say(f"220 {client.host_name} ESMTP")


async def greet_with_554(client: Client, context: ssl.SSLContext | None) -> None:
    """BANNER_554: RFC 5321 §3.1's "no SMTP service here" greeting; only QUIT is then welcome."""
    await client.say(f"554 5.3.2 {client.host_name} Service not available to you")
    while (command := await client.hear()) is not None:
        if command == "QUIT":
            await client.say("221 2.0.0 Bye")
            return
        await client.say("503 5.5.1 No session")


async def offer_old_tls_only(client: Client, context: ssl.SSLContext | None) -> None:
    """TLS10_ONLY: EHLO offers STARTTLS, and the handshake then only accepts TLS 1.0. `context`
    is None when this OpenSSL can't serve TLS 1.0 at all: STARTTLS is then refused with 454."""
    await client.say(f"220 {client.host_name} ESMTP")
    while (command := await client.hear()) is not None:
        verb = command.split(" ", 1)[0]
        if verb == "EHLO":
            await client.say(f"250-{client.host_name}", "250 STARTTLS")
        elif verb == "HELO":
            await client.say(f"250 {client.host_name}")
        elif verb == "QUIT":
            await client.say("221 2.0.0 Bye")
            return
        elif verb != "STARTTLS":
            await client.say("530 5.7.0 Must issue a STARTTLS command first")
        elif context is None:
            await client.say("454 4.7.0 TLS 1.0 isn't available on this lab host")
        else:
            await client.say("220 2.0.0 Ready to start TLS")
            await shake_hands(client, context)
            return


async def shake_hands(client: Client, context: ssl.SSLContext) -> None:
    """The server side of a TLS handshake, on memory buffers rather than asyncio's TLS transport:
    when it fails, OpenSSL writes an alert (protocol_version, for a client that wants TLS 1.2)
    that asyncio's transport would drop before closing. Sent, it lets the client say why.

    A client that does speak TLS 1.0 completes the handshake and is then hung up on."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_side=True)
    while True:
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            await client.send(outgoing.read())
            data = await client.receive()
            if not data:
                return
            incoming.write(data)
            continue
        except ssl.SSLError:
            pass  # the alert is in `outgoing`
        await client.send(outgoing.read())
        return


SCRIPTS: dict[Behaviour, Script] = {
    Behaviour.SILENT: say_nothing,
    Behaviour.TARPIT: trickle_greeting,
    Behaviour.HANG_UP: hang_up_after_greeting,
    Behaviour.BANNER_554: greet_with_554,
    Behaviour.TLS10_ONLY: offer_old_tls_only,
}


async def run_script(behaviour: Behaviour, client: Client, context: ssl.SSLContext | None) -> None:
    """Play `behaviour` to one client, then close the connection, whoever hung up first."""
    try:
        await SCRIPTS[behaviour](client, context)
    except ConnectionError:
        pass  # the client hung up first: nothing more to play
    finally:
        client.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(client.writer.wait_closed(), client.idle_seconds)


def restrict_to_tls10(context: ssl.SSLContext) -> None:
    """Make a server context speak TLS 1.0 and nothing else (ValueError or SSLError if this
    Python and OpenSSL can't)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is deprecated: the point
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1
    # OpenSSL 3 won't offer TLS 1.0 at its default security level.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")


def tls10_supported() -> bool:
    """Whether this Python and OpenSSL can still serve TLS 1.0 (for Behaviour.TLS10_ONLY)."""
    if not ssl.HAS_TLSv1:
        return False
    try:
        restrict_to_tls10(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    except (ssl.SSLError, ValueError):
        return False
    return True
