"""The lab's certificate authority and the server certificates its SMTP servers present.

Everything lives under `<var_dir>/lab/`: the CA (`ca.pem`, the file a worker trusts through
EAC_TRUSTED_CA_FILE, and `ca.key`), then a certificate and key per kind of server certificate. The
CA is made once and kept, so a worker started earlier keeps trusting the lab; the server
certificates are issued again whenever the names they must carry change (a tenant added a
domain). Keys are written 0600. Plain Python, no Django.

Each misbehaving certificate has exactly one fault, so a validation fails for the reason the
trainee is meant to find: `wrongname` names another host, `expired` expired yesterday,
`selfsigned` vouches for itself, `untrustedca` comes from a CA made for the occasion and thrown
away (nobody trusts it), and `wildcard` carries only the `*.domain` names.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import idna
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lab.behaviours import Behaviour

logger = logging.getLogger(__name__)

LAB_ZONE = "lab.test"
# The names Office 365's front door answers to (each organization's MX host is
# <domain-with-dashes>.mail.protection.outlook.com); the lab DNS points them at the front door.
FRONT_DOOR_ZONE = "mail.protection.outlook.com"
# Always on the good certificate: the lab's own zone, localhost for a quick manual test, and the
# front door's names, so the front door presents the good certificate too.
BUILTIN_NAMES = ("localhost", f"*.{LAB_ZONE}", FRONT_DOOR_ZONE, f"*.{FRONT_DOOR_ZONE}")
WRONG_NAME = "mail.wrong-name.example"
UNTRUSTED_CA_NAME = "Nobody's CA (untrusted, lab)"
SELF_SIGNED_DAYS = 3650
STATE_FILE = "certificates.json"  # which names, under which CA, the certificates were issued for


@dataclass(frozen=True)
class KeyPair:
    certificate: Path  # PEM, the server certificate then its chain
    key: Path  # PEM private key, 0600


@dataclass(frozen=True)
class LabFiles:
    directory: Path
    ca: Path  # the trust anchor: EAC_TRUSTED_CA_FILE
    names: tuple[str, ...]  # on the good, the expired and the self-signed certificate
    good: KeyPair
    self_signed: KeyPair
    wrong_name: KeyPair
    expired: KeyPair
    untrusted_ca: KeyPair
    wildcard: KeyPair

    @property
    def pairs(self) -> tuple[KeyPair, ...]:
        return (
            self.good,
            self.self_signed,
            self.wrong_name,
            self.expired,
            self.untrusted_ca,
            self.wildcard,
        )

    def pair_for(self, behaviour: Behaviour) -> KeyPair | None:
        """The certificate a behaviour's server presents; None for the ones without STARTTLS."""
        return {
            Behaviour.GOOD: self.good,
            Behaviour.REJECT_RCPT: self.good,
            Behaviour.REJECT_DATA: self.good,
            Behaviour.TLS10_ONLY: self.good,  # its fault is the TLS version, not the certificate
            Behaviour.SELF_SIGNED: self.self_signed,
            Behaviour.WRONG_NAME: self.wrong_name,
            Behaviour.EXPIRED: self.expired,
            Behaviour.UNTRUSTED_CA: self.untrusted_ca,
            Behaviour.WILDCARD: self.wildcard,
        }.get(behaviour)


def lab_directory(var_dir: Path | str) -> Path:
    return Path(var_dir) / "lab"


def certificate_names(extra_names: Iterable[str] = ()) -> tuple[str, ...]:
    """The good certificate's names: BUILTIN_NAMES and `extra_names` (`contoso.com`,
    `*.contoso.com`…), normalized to lower-case ASCII, sorted, without duplicates. A name that
    can't go on a certificate is left out with a warning rather than stopping the lab."""
    names = set(BUILTIN_NAMES)
    for raw in extra_names:
        name = raw.strip().lower().rstrip(".")
        if not name:
            continue
        try:
            names.add(_ascii_name(name))
        except idna.IDNAError as exc:
            logger.warning("The lab certificate leaves out %r: %s", raw, exc)
    return tuple(sorted(names))


def wildcard_names(names: Iterable[str]) -> tuple[str, ...]:
    """The `*.domain` names among `names`: what the wildcard-only certificate carries."""
    return tuple(name for name in names if name.startswith("*."))


def ensure_ca(var_dir: Path | str) -> Path:
    """The lab CA's certificate file, created on first use; safe to call from several processes."""
    directory = _prepare(var_dir)
    with _locked(directory):
        _load_or_create_ca(directory)
    return directory / "ca.pem"


def ensure_lab_ca(var_dir: Path | str, extra_names: Iterable[str] = ()) -> LabFiles:
    """The CA (made once) and the server certificates for `certificate_names(extra_names)`,
    issued again only when those names, or the CA, changed."""
    directory = _prepare(var_dir)
    names = certificate_names(extra_names)
    files = _files(directory, names)
    with _locked(directory):
        ca = _load_or_create_ca(directory)
        state = {"names": list(names), "ca": hashlib.sha256(ca.cert_pem.bytes()).hexdigest()}
        if _read_state(directory) == state and _all_exist(files):
            return files
        logger.info("Issuing the lab's server certificates for %s", ", ".join(names))
        _issue_server_certificates(ca, files)
        _write(directory / STATE_FILE, json.dumps(state, indent=2).encode(), 0o644)
    return files


# --- Implementation ------------------------------------------------------------------------------


def _prepare(var_dir: Path | str) -> Path:
    directory = lab_directory(var_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # `make run` starts the lab beside a console that may ask for the CA at the same moment.
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load_or_create_ca(directory: Path) -> trustme.CA:
    cert, key = directory / "ca.pem", directory / "ca.key"
    if cert.is_file() and key.is_file():
        return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
    ca = trustme.CA(organization_name="EAC console lab CA")
    _write(key, ca.private_key_pem.bytes(), 0o600)
    _write(cert, ca.cert_pem.bytes(), 0o644)
    logger.info("Created the lab CA in %s", cert)
    return ca


def _files(directory: Path, names: tuple[str, ...]) -> LabFiles:
    def pair(stem: str) -> KeyPair:
        return KeyPair(directory / f"{stem}.pem", directory / f"{stem}.key")

    return LabFiles(
        directory=directory,
        ca=directory / "ca.pem",
        names=names,
        good=pair("good"),
        self_signed=pair("selfsigned"),
        wrong_name=pair("wrongname"),
        expired=pair("expired"),
        untrusted_ca=pair("untrustedca"),
        wildcard=pair("wildcard"),
    )


def _all_exist(files: LabFiles) -> bool:
    return all(p.certificate.is_file() and p.key.is_file() for p in files.pairs)


def _read_state(directory: Path) -> object:
    try:
        return json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _issue_server_certificates(ca: trustme.CA, files: LabFiles) -> None:
    now = datetime.now(UTC)
    leaves = {
        files.good: ca.issue_cert(*files.names),
        files.wrong_name: ca.issue_cert(WRONG_NAME),
        # Expired yesterday, with the right names: expiry is its only fault.
        files.expired: ca.issue_cert(
            *files.names, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1)
        ),
        # The good names from a CA nobody has: the chain ends at an issuer no client knows.
        files.untrusted_ca: trustme.CA(organization_name=UNTRUSTED_CA_NAME).issue_cert(
            *files.names
        ),
        files.wildcard: ca.issue_cert(*wildcard_names(files.names)),
    }
    for pair, leaf in leaves.items():
        _write(pair.key, leaf.private_key_pem.bytes(), 0o600)
        _write(pair.certificate, b"".join(pem.bytes() for pem in leaf.cert_chain_pems), 0o644)
    key_pem, cert_pem = _self_signed(files.names, now)
    _write(files.self_signed.key, key_pem, 0o600)
    _write(files.self_signed.certificate, cert_pem, 0o644)


def _self_signed(names: tuple[str, ...], now: datetime) -> tuple[bytes, bytes]:
    """A real self-signed server certificate (not a CA's), with the good certificate's names."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "EAC console lab, self-signed"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"mail.{LAB_ZONE}"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def _ascii_name(name: str) -> str:
    """`name` as it goes on a certificate: A-labels, a leading `*.` kept as it is."""
    wildcard = name.startswith("*.")
    rest = name[2:] if wildcard else name
    encoded = idna.encode(rest, uts46=True).decode("ascii")
    return f"*.{encoded}" if wildcard else encoded


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write whole or not at all: another process may be reading the previous version."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
        os.chmod(temporary, mode)  # os.open's mode is masked by the umask
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
