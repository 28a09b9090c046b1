"""The probe's SMTP plumbing: an smtplib session pinned to a checked address that writes a
swaks-style transcript (secrets redacted, message bodies omitted), and the watchdog and clock behind
deadlines.

Traps it avoids: smtplib's starttls() without a context verifies nothing, and takes the TLS name
from `_host`; getaddrinfo is never used (so no unbounded, unchecked lookup); a tarpit that trickles
bytes never trips a per-recv timeout, so a watchdog enforces the run's total deadline
(docs/validation.md, "Deadlines").
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import threading
import time
from datetime import UTC, datetime

# The server hung up, in the words of smtplib, the socket or OpenSSL.
CLOSED_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionError, ssl.SSLEOFError)


def is_timeout(exc: BaseException) -> bool:
    # smtplib turns a read timeout into SMTPServerDisconnected; the timeout is its context.
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def reply_line(code: int, message: bytes | str) -> str:
    """A server reply on one line, as error messages quote it."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


class Session(smtplib.SMTP):
    """smtplib pinned to an address the policy already checked, writing the transcript as it goes.

    smtplib takes the TLS name (SNI) from `_host`, which only its constructor sets; we construct it
    without a host (so it never calls getaddrinfo), set `_host` to the name, and open the socket to
    the pinned address ourselves.
    """

    def __init__(
        self, name: str, helo_name: str, transcript: list[str], replies: list[str]
    ) -> None:
        super().__init__(local_hostname=helo_name)  # a local name, or smtplib would ask DNS
        self._host = name
        self.transcript = transcript
        self.replies = replies  # the server's reply lines, for the task being run
        self.encrypted = False
        self.broken = False  # the transport failed: close without QUIT

    def open(self, address: str, port: int, timeout: float) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
        try:
            sock.settimeout(timeout)
            sock.connect((address, port))
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def putcmd(self, cmd: str, args: str = "") -> None:
        cmd = cmd.upper()
        self.log("->", "AUTH [redacted]" if cmd == "AUTH" else f"{cmd} {args}".rstrip())
        super().putcmd(cmd, args)

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        lines = message.decode("utf-8", "replace").split("\n")
        for index, line in enumerate(lines):
            reply = f"{code}{'-' if index < len(lines) - 1 else ' '}{line}".rstrip()
            self.replies.append(reply)
            self.log("<-", reply)
        return code, message

    def send_message_data(self, message: bytes) -> None:
        """The message itself, after DATA's 354, dot-stuffed and terminated; the transcript shows
        its size, never its text."""
        payload = re.sub(rb"(?m)^\.", b"..", message)
        payload += (b"" if payload.endswith(b"\r\n") else b"\r\n") + b".\r\n"
        self.log("->", f"[message, {len(payload)} bytes]")
        self.send(payload)

    def log(self, arrow: str, text: str) -> None:
        if self.encrypted:  # swaks' arrows inside TLS
            arrow = {"->": "~>", "<-": "<~"}[arrow]
        self.transcript.append(f"{arrow} {text}")

    def extensions(self) -> str:
        """The ESMTP extensions of the last EHLO reply, e.g. "SIZE 10240000, STARTTLS"."""
        features = self.esmtp_features.items()
        return (
            ", ".join(" ".join(f"{name.upper()} {value}".split()) for name, value in features)
            or "none"
        )

    def start_tls(self, context: ssl.SSLContext) -> None:
        code, message = self.docmd("STARTTLS")
        if code != 220:
            raise smtplib.SMTPResponseException(code, message)
        if self.file is not None:
            # Drop whatever the server sent ahead of the handshake (STARTTLS command injection).
            self.file.close()
            self.file = None
        assert self.sock is not None  # docmd() just used it
        # Wrap first and shake hands second, so the watchdog can already shut the TLS socket down.
        tls = context.wrap_socket(
            self.sock, server_hostname=self._host, do_handshake_on_connect=False
        )
        self.sock = tls
        self.encrypted = True
        tls.do_handshake()
        # RFC 3207: forget everything learnt before TLS; the caller says EHLO again.
        self.helo_resp = self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False

    @property
    def tls_socket(self) -> ssl.SSLSocket:
        assert isinstance(self.sock, ssl.SSLSocket)
        return self.sock


class Clock:
    """When a task started (UTC, for the record) and how long it took (monotonic)."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self._start = time.monotonic()

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self._start) * 1000)


class Watchdog:
    """Ends the run at its total deadline.

    Socket timeouts can't: a server that trickles one byte a second never lets a single recv()
    time out. So a timer shuts the guarded session's socket down, which wakes up whatever waits on
    it.
    """

    def __init__(self, seconds: float) -> None:
        self.budget = seconds
        self.fired = False
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._session: Session | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        self._timer.join()

    @property
    def expired(self) -> bool:
        return self.fired or self.remaining() <= 0

    def remaining(self) -> float:
        return self._ends - time.monotonic()

    def guard(self, session: Session | None) -> None:
        with self._lock:
            self._session = session

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._session.sock if self._session is not None else None
            if sock is not None:
                # The plain socket's shutdown, even for an SSLSocket: SSLSocket.shutdown() would
                # also drop its SSL object under the reading thread's feet.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
