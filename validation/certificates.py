"""What the probe makes of a server's TLS: the contexts it shakes hands with, the certificate it saw
(decoded with cryptography, as the stdlib only decodes certificates it verified), DomainValidation's
name matching, and the words for a chain OpenSSL didn't trust."""

from __future__ import annotations

import functools
import os
import ssl
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

# OpenSSL's reasons for "no TLS version in common", from either side of the handshake.
OLD_TLS_REASONS = frozenset(
    {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE"}
)
# OpenSSL verify codes (X509_V_ERR_*) that have words of their own in WORDS.
TRUST_ERROR_WORDS = {9: "not-yet-valid", 10: "expired", 18: "self-signed", 19: "self-signed"}


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    sans: tuple[str, ...]
    issuer: str
    not_before: datetime
    not_after: datetime
    tls_version: str  # e.g. "TLSv1.3"
    cipher: str
    trusted: bool | None  # None: not checked (EncryptionOnly / opportunistic)
    trust_error: str  # why the chain isn't trusted, in words ("certificate has expired")
    name_matched: bool | None  # None: no name required (not DomainValidation)


def any_certificate_context() -> ssl.SSLContext:
    # EncryptionOnly and opportunistic TLS accept any certificate, but still only TLS 1.2 or later.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def chain_checking_context(ca_file: str | None) -> ssl.SSLContext:
    """The system store plus `ca_file`; raises OSError or ValueError when `ca_file` won't load.

    Loading the system store costs about 30 ms of CPU, most of what a whole probe costs, so a
    worker keeps one context per version of `ca_file` (its size and modification time: a new file
    is read without a restart; an updated system store, at the worker's next start). A configured
    SSLContext may be shared by the probes running at once in a worker's threads.
    """
    if not ca_file:
        return _chain_checking_context(None, None)
    stat = os.stat(ca_file)
    return _chain_checking_context(ca_file, (stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _chain_checking_context(ca_file: str | None, version: object) -> ssl.SSLContext:
    context = ssl.create_default_context()  # the system store, CERT_REQUIRED, TLS 1.2+
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    # EXO's CertificateValidation checks the chain, not the name; DomainValidation's name is
    # compared with TlsDomain afterwards, as OpenSSL can't take a wildcard on our side.
    context.check_hostname = False
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def is_old_tls(exc: BaseException) -> bool:
    """The handshake failed because the server only speaks TLS older than 1.2."""
    return isinstance(exc, ssl.SSLError) and exc.reason in OLD_TLS_REASONS


def trust_words(exc: ssl.SSLCertVerificationError) -> str:
    """The WORDS entry for a certificate chain OpenSSL refused."""
    return TRUST_ERROR_WORDS.get(exc.verify_code, "untrusted")


def cipher_words(tls: ssl.SSLSocket) -> str:
    cipher = tls.cipher()
    return f"{tls.version()}:{cipher[0]}:{cipher[2]}" if cipher else str(tls.version())


def summarize(
    tls: ssl.SSLSocket, *, trusted: bool | None, trust_error: str = "", required_name: str | None
) -> CertificateSummary | None:
    der = tls.getpeercert(binary_form=True)
    try:
        cert = x509.load_der_x509_certificate(der) if der else None
    except ValueError:
        cert = None
    if cert is None:
        return None
    cipher = tls.cipher()
    return CertificateSummary(
        subject=cert.subject.rfc4514_string(),
        sans=_subject_alternative_names(cert),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        tls_version=tls.version() or "",
        cipher=cipher[0] if cipher else "",
        trusted=trusted,
        trust_error=trust_error,
        name_matched=None
        if required_name is None
        else any(name_matches(n, required_name) for n in _certificate_names(cert)),
    )


def transcript_lines(certificate: CertificateSummary, required: str) -> list[str]:
    """What the transcript says of a certificate; `required` names what DomainValidation wants."""
    lines = [
        f"=== TLS peer certificate: subject={certificate.subject or '(empty)'}; "
        f"SANs={', '.join(certificate.sans) or '(none)'}; issuer={certificate.issuer}; "
        f"not after={certificate.not_after:%Y-%m-%d %H:%M} UTC"
    ]
    if certificate.trusted:
        lines.append("=== TLS peer certificate passed CA verification")
    if certificate.name_matched is not None:
        verdict = "matches" if certificate.name_matched else "doesn't match"
        lines.append(f"=== TLS peer certificate {verdict} {required}")
    return lines


def name_matches(presented: str, required: str) -> bool:
    """A certificate name against the connector's TlsDomain: "*" stands for one whole leftmost
    label, on either side (EXO takes TlsDomain *.contoso.com)."""
    presented, required = presented.lower().rstrip("."), required.lower().rstrip(".")
    if presented == required:
        return True
    presented_first, _, presented_rest = presented.partition(".")
    required_first, _, required_rest = required.partition(".")
    if presented_rest != required_rest or "." not in presented_rest or "*" in presented_rest:
        return False  # a wildcard never spans a dot, nor covers a bare TLD ("*.com")
    if not presented_first or not required_first:
        return False
    return presented_first == "*" or required_first == "*"


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def _subject_alternative_names(cert: x509.Certificate) -> tuple[str, ...]:
    san = _san(cert)
    if san is None:
        return ()
    addresses = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return (*san.get_values_for_type(x509.DNSName), *addresses)


def _certificate_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The DNS names a certificate is for: its SAN DNS names, or its CN when it has none."""
    san = _san(cert)
    if san is not None and (names := san.get_values_for_type(x509.DNSName)):
        return tuple(names)
    return tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
