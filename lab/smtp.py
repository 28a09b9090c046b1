"""The lab SMTP servers: one port, one loopback address per behaviour, one asyncio loop.

Each listening behaviour of `lab.behaviours` gets a server on its own address (127.0.0.1 is the
good one, 127.0.0.2 offers no STARTTLS…), all on the same port, all in one asyncio loop on a
background thread. The behaviours that still speak SMTP are aiosmtpd servers; the ones that
misbehave below SMTP (silent, tarpit…) are the scripts of `lab.scripted`. Every message accepted is
handed to `deliver` as a `Delivery`, on one storage thread, and that is all the lab does with it:
it has no code that relays, so no trainee can make it send mail anywhere. Plain Python, no Django.

The product's lab listens on every behaviour's address (`lab.server.Lab`); a test starts one
behaviour on an address and a free port of its choosing (`listen_on`, tests/validation/peers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import ssl
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from aiosmtpd.smtp import SMTP, Envelope, Session, TLSSetupException

from lab.behaviours import LISTENING, Behaviour
from lab.ca import LAB_ZONE, LabFiles
from lab.loop_thread import LoopThread
from lab.scripted import SCRIPTS, Client, restrict_to_tls10, run_script, tls10_supported

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 10 * 1024 * 1024  # test messages are a few hundred bytes
MAX_RECIPIENTS = 100
IDLE_TIMEOUT_SECONDS = 60
MAX_LINE_BYTES = 4096  # what a scripted server reads of one command line
PORT_ATTEMPTS = 5  # port 0: the port found free on 127.0.0.1 may be taken on another address


@dataclass(frozen=True)
class Delivery:
    """One message as the lab received it."""

    behaviour: Behaviour
    server_address: str  # the loopback address it arrived on
    client_address: str
    helo: str
    tls_version: str  # "" when the session wasn't encrypted
    mail_from: str  # "" for the null sender
    rcpt_tos: tuple[str, ...]
    content: bytes  # the message as sent after DATA, headers and body
    received_at: datetime  # UTC


def banner_name(behaviour: Behaviour) -> str:
    return f"mail.{LAB_ZONE}" if behaviour is Behaviour.GOOD else f"{behaviour}.{LAB_ZONE}"


def tls_contexts(files: LabFiles) -> dict[Behaviour, ssl.SSLContext]:
    """Server contexts for the behaviours that offer STARTTLS, loaded from the lab's files."""
    contexts = {}
    for behaviour in LISTENING:
        pair = files.pair_for(behaviour)
        if pair is None:
            continue
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pair.certificate, pair.key)
        if behaviour is Behaviour.TLS10_ONLY and not _limited_to_tls10(context):
            continue
        contexts[behaviour] = context
    return contexts


def _limited_to_tls10(context: ssl.SSLContext) -> bool:
    """True when `context` now speaks TLS 1.0 only."""
    # Newer OpenSSL builds can't serve TLS 1.0 at all; the lab still starts, without that one.
    if not tls10_supported():
        logger.warning("This OpenSSL can't serve TLS 1.0: the tls10 lab host won't offer TLS")
        return False
    restrict_to_tls10(context)
    return True


class _HandshakeFailures(logging.Filter):
    """A client that gives up on a lab certificate is the lab working as meant: aiosmtpd would log
    a traceback each time; one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], TLSSetupException):
            cause = record.exc_info[1].__cause__
            logger.info("A client gave up the TLS handshake: %s", cause)
            return False
        return True


_HANDSHAKE_FAILURES = _HandshakeFailures()


class _Handler:
    """aiosmtpd's handler hooks for one behaviour's server."""

    def __init__(self, lab: LabSmtp, behaviour: Behaviour, address: str) -> None:
        self.lab = lab
        self.behaviour = behaviour
        self.address = address  # the one it listens on

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.behaviour is Behaviour.REJECT_RCPT:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in the lab"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.behaviour is Behaviour.REJECT_DATA:
            return "554 5.6.0 Message rejected: content refused by policy"
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        peer = session.peer
        content = envelope.original_content or b""
        delivery = Delivery(
            behaviour=self.behaviour,
            server_address=self.address,
            client_address=str(peer[0]) if isinstance(peer, tuple) else "",
            helo=session.host_name or "",
            tls_version=(ssl_object.version() or "") if ssl_object is not None else "",
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            content=content if isinstance(content, bytes) else content.encode(),
            received_at=datetime.now(UTC),
        )
        try:
            await self.lab.store(delivery)
        except Exception:
            # Whatever storing raised, the sender hears a temporary failure, as from a real server.
            logger.exception("The lab couldn't store a message from %s", delivery.mail_from)
            return "451 4.3.0 The lab couldn't store the message; try again later"
        logger.info(
            "Received a message from <%s> to %s on %s (%s)",
            delivery.mail_from,
            ", ".join(delivery.rcpt_tos),
            delivery.server_address,
            delivery.behaviour,
        )
        # Kept in the sender's tenant's Lab mailbox, or nowhere (lab.services.lab_message_store).
        return "250 2.0.0 OK: received by the lab (the lab never relays)"


class LabSmtp:
    """The lab's SMTP servers. `start()` binds them all (OSError if one can't listen) and
    serves on a background thread until `stop()`. `port=0` finds a port free on every address.

    `listen_on` maps each behaviour to play to the address it listens on (default: every
    listening behaviour on its own address); `host_name` replaces every server's name in its
    greeting (default: `banner_name`)."""

    def __init__(
        self,
        files: LabFiles,
        deliver: Callable[[Delivery], None],
        *,
        port: int = 2525,
        listen_on: Mapping[Behaviour, str] | None = None,
        host_name: str | None = None,
    ) -> None:
        addresses = listen_on if listen_on is not None else {b: b.address for b in LISTENING}
        # REFUSED is played by not listening at all.
        self.listen_on = {b: a for b, a in addresses.items() if b is not Behaviour.REFUSED}
        self.connections = 0  # accepted since start(), on every address
        self._host_name = host_name
        self._deliver = deliver
        self._requested_port = port
        self._port = 0
        self._contexts = tls_contexts(files)  # replaced whole by use_certificates()
        self._servers: list[asyncio.Server] = []
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        # The clients of lab.scripted servers, by the task that plays to each (kept referenced here:
        # the loop only holds weak references to its tasks).
        self._scripted: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._loop = LoopThread("lab-smtp")
        # One thread stores messages, one at a time: SQLite and the mailbox's pruning like it so.
        self._store = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab-store")

    @property
    def port(self) -> int:
        assert self._port, "start() first"
        return self._port

    def start(self) -> LabSmtp:
        logging.getLogger("mail.log").addFilter(_HANDSHAKE_FAILURES)  # aiosmtpd's logger; once
        self._loop.start()
        try:
            self._loop.call(self._bind())
        except BaseException:
            self.stop()
            raise
        return self

    def use_certificates(self, files: LabFiles) -> None:
        """Present these certificates from the next connection on (sessions under way keep theirs)."""
        self._contexts = tls_contexts(files)

    async def store(self, delivery: Delivery) -> None:
        await asyncio.get_running_loop().run_in_executor(self._store, self._deliver, delivery)

    def stop(self) -> None:
        if not self._loop.stop(self._shut_down):
            return
        self._store.shutdown(wait=True)  # a message being stored is stored

    # --- On the loop's thread --------------------------------------------------------------------

    async def _bind(self) -> None:
        attempts = PORT_ATTEMPTS if self._requested_port == 0 else 1
        for attempt in range(1, attempts + 1):
            try:
                await self._bind_all(self._requested_port)
                return
            except OSError as exc:
                await self._close_servers()
                if exc.errno != errno.EADDRINUSE or attempt == attempts:
                    raise

    async def _bind_all(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        for behaviour, address in self.listen_on.items():
            try:
                server = await loop.create_server(
                    functools.partial(self._protocol, behaviour, address), host=address, port=port
                )
            except OSError as exc:
                raise OSError(exc.errno, _bind_words(address, port, exc)) from exc
            self._servers.append(server)
            port = port or int(server.sockets[0].getsockname()[1])
        self._port = port

    def _protocol(self, behaviour: Behaviour, address: str) -> asyncio.BaseProtocol:
        """A new connection's protocol: aiosmtpd, or a `lab.scripted` server."""
        self.connections += 1
        if behaviour in SCRIPTS:
            return self._scripted_protocol(behaviour)
        protocol = SMTP(
            _Handler(self, behaviour, address),
            hostname=self._greeting_name(behaviour),
            ident="EAC console lab",
            tls_context=self._contexts.get(behaviour),
            data_size_limit=MAX_MESSAGE_BYTES,
            timeout=IDLE_TIMEOUT_SECONDS,
        )
        self._sessions.add(protocol)
        return protocol

    def _scripted_protocol(self, behaviour: Behaviour) -> asyncio.StreamReaderProtocol:
        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            client = Client(reader, writer, self._greeting_name(behaviour), IDLE_TIMEOUT_SECONDS)
            play = run_script(behaviour, client, self._contexts.get(behaviour))
            task = asyncio.get_running_loop().create_task(play)
            self._scripted[task] = writer
            task.add_done_callback(self._forget)

        return asyncio.StreamReaderProtocol(asyncio.StreamReader(MAX_LINE_BYTES), connected)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._scripted.pop(task, None)

    def _greeting_name(self, behaviour: Behaviour) -> str:
        return self._host_name or banner_name(behaviour)

    async def _shut_down(self) -> None:
        await self._close_servers()
        # A client still connected doesn't hold up the stop.
        for protocol in list(self._sessions):
            if isinstance(protocol.transport, asyncio.Transport):
                protocol.transport.abort()
        for writer in list(self._scripted.values()):
            transport = writer.transport
            if isinstance(transport, asyncio.Transport):
                transport.abort()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _close_servers(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(server.wait_closed() for server in servers)), timeout=5
            )


def _bind_words(address: str, port: int, exc: OSError) -> str:
    words = f"The lab SMTP server can't listen on {address}:{port}: {exc.strerror or exc}."
    if exc.errno == errno.EADDRNOTAVAIL:
        first, last = LISTENING[0].address, LISTENING[-1].address
        words += (
            f" The lab needs every loopback address from {first} to {last} (Linux has them;"
            " on macOS add each with `sudo ifconfig lo0 alias 127.0.0.N up`)."
        )
    return words
