"""The lab CA is made once and kept; the server certificates follow the names they must carry."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from console.env import env_ca_file, env_nameservers, env_networks
from lab.ca import WRONG_NAME, ensure_ca, ensure_lab_ca
from lab.server import lab_environment

CONTOSO_NAMES = ("contoso.com", "*.contoso.com")


def certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


def names_on(path: Path) -> set[str]:
    sans = certificate(path).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return set(sans.value.get_values_for_type(x509.DNSName))


def test_it_creates_the_ca_once_and_reuses_it(tmp_path: Path) -> None:
    first = ensure_lab_ca(tmp_path, CONTOSO_NAMES)
    ca_pem, good_pem = first.ca.read_bytes(), first.good.certificate.read_bytes()

    again = ensure_lab_ca(tmp_path, reversed(CONTOSO_NAMES))

    assert again == first
    assert again.ca.read_bytes() == ca_pem
    assert again.good.certificate.read_bytes() == good_pem  # same names: nothing issued again
    assert first.ca == tmp_path / "lab" / "ca.pem"


def test_it_issues_the_server_certificates_again_when_the_names_change_but_keeps_the_ca(
    tmp_path: Path,
) -> None:
    first = ensure_lab_ca(tmp_path, CONTOSO_NAMES)
    ca_pem = first.ca.read_bytes()
    assert "*.fabrikam.com" not in names_on(first.good.certificate)

    second = ensure_lab_ca(tmp_path, (*CONTOSO_NAMES, "fabrikam.com", "*.fabrikam.com"))

    assert second.ca.read_bytes() == ca_pem
    assert "*.fabrikam.com" in names_on(second.good.certificate)
    assert "*.fabrikam.com" in names_on(second.expired.certificate)


def test_the_good_certificate_covers_localhost_the_lab_zone_the_front_door_and_the_names_given(
    tmp_path: Path,
) -> None:
    files = ensure_lab_ca(tmp_path, ("Contoso.COM.", "*.contoso.com"))

    assert names_on(files.good.certificate) == {
        "localhost",
        "*.lab.test",
        "mail.protection.outlook.com",
        "*.mail.protection.outlook.com",
        "contoso.com",
        "*.contoso.com",
    }
    assert certificate(files.good.certificate).issuer == certificate(files.ca).subject


def test_the_misbehaving_certificates_each_have_one_fault(tmp_path: Path) -> None:
    files = ensure_lab_ca(tmp_path, CONTOSO_NAMES)
    ca = certificate(files.ca)

    assert names_on(files.wrong_name.certificate) == {WRONG_NAME}
    assert certificate(files.wrong_name.certificate).issuer == ca.subject

    expired = certificate(files.expired.certificate)
    assert expired.not_valid_after_utc < datetime.now(UTC)
    assert names_on(files.expired.certificate) == names_on(files.good.certificate)
    assert expired.issuer == ca.subject

    self_signed = certificate(files.self_signed.certificate)
    assert self_signed.issuer == self_signed.subject != ca.subject
    assert self_signed.not_valid_after_utc > datetime.now(UTC)
    assert names_on(files.self_signed.certificate) == names_on(files.good.certificate)

    untrusted = certificate(files.untrusted_ca.certificate)
    assert untrusted.issuer not in (ca.subject, untrusted.subject)  # a CA, but not the lab's
    assert names_on(files.untrusted_ca.certificate) == names_on(files.good.certificate)

    assert names_on(files.wildcard.certificate) == {
        "*.lab.test",
        "*.mail.protection.outlook.com",
        "*.contoso.com",
    }
    assert certificate(files.wildcard.certificate).issuer == ca.subject


def test_keys_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    files = ensure_lab_ca(tmp_path, CONTOSO_NAMES)

    keys = [tmp_path / "lab" / "ca.key"] + [pair.key for pair in files.pairs]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_a_name_that_cannot_go_on_a_certificate_is_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = ensure_lab_ca(tmp_path, ("contoso.com", "bad..name"))

    assert "contoso.com" in files.names
    assert "bad..name" not in files.names
    assert "bad..name" in caplog.text


def test_lab_environment_points_a_worker_at_the_lab_with_settings_the_worker_accepts(
    tmp_path: Path,
) -> None:
    environment = lab_environment(tmp_path, 5301, 2526)

    assert environment == {
        "EAC_DNS_NAMESERVERS": "127.0.0.1:5301",
        "EAC_SMTP_PORT": "2526",
        "EAC_TRUSTED_CA_FILE": str(tmp_path / "lab" / "ca.pem"),
        "EAC_PROBE_ALLOWED_NETWORKS": "127.0.0.0/8",
        "EAC_PROBE_LAB_ONLY": "1",
    }
    # The CA exists already, so a worker started before the lab can load its settings.
    assert env_ca_file("EAC_TRUSTED_CA_FILE", environment) == tmp_path / "lab" / "ca.pem"
    assert env_nameservers("EAC_DNS_NAMESERVERS", environment) == (("127.0.0.1", 5301),)
    assert [str(n) for n in env_networks("EAC_PROBE_ALLOWED_NETWORKS", environment)] == [
        "127.0.0.0/8"
    ]
    assert ensure_ca(tmp_path).read_bytes() == Path(environment["EAC_TRUSTED_CA_FILE"]).read_bytes()
