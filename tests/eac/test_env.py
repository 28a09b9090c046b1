"""Settings come from the environment, and a bad value stops start-up with the variable named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from django.core.exceptions import ImproperlyConfigured

from console import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [
        ("DEBUG", "maybe", lambda e: env.env_bool("DEBUG", False, e)),
        (
            "EAC_SMTP_PORT",
            "0",
            lambda e: env.env_int("EAC_SMTP_PORT", 25, minimum=1, maximum=65535, environ=e),
        ),
        (
            "EAC_SMTP_PORT",
            "twenty-five",
            lambda e: env.env_int("EAC_SMTP_PORT", 25, minimum=1, maximum=65535, environ=e),
        ),
        (
            "EAC_PROBE_TIMEOUT_SECONDS",
            "-1",
            lambda e: env.env_seconds("EAC_PROBE_TIMEOUT_SECONDS", 90, maximum=600, environ=e),
        ),
        (
            "EAC_PROBE_TIMEOUT_SECONDS",
            "nan",
            lambda e: env.env_seconds("EAC_PROBE_TIMEOUT_SECONDS", 90, maximum=600, environ=e),
        ),
        (
            "EAC_DNS_NAMESERVERS",
            "dns.google",
            lambda e: env.env_nameservers("EAC_DNS_NAMESERVERS", e),
        ),
        (
            "EAC_DNS_NAMESERVERS",
            "127.0.0.1:99999",
            lambda e: env.env_nameservers("EAC_DNS_NAMESERVERS", e),
        ),
        (
            "EAC_PROBE_ALLOWED_NETWORKS",
            "10.0.0.1/8",
            lambda e: env.env_networks("EAC_PROBE_ALLOWED_NETWORKS", e),
        ),
        (
            "EAC_TRUSTED_CA_FILE",
            "/nonexistent/ca.pem",
            lambda e: env.env_ca_file("EAC_TRUSTED_CA_FILE", e),
        ),
        (
            "CELERY_BROKER_URL",
            "http://broker",
            lambda e: env.env_broker_url("CELERY_BROKER_URL", "filesystem://", e),
        ),
    ],
)
def test_a_bad_value_is_refused_with_the_variable_named(name: str, value: str, reader) -> None:
    with pytest.raises(ImproperlyConfigured, match=name):
        reader({name: value})


def test_nameservers_take_ports_and_bracketed_ipv6() -> None:
    servers = env.env_nameservers("X", {"X": "127.0.0.1, 127.0.0.1:5353, [::1]:53, ::1"})
    assert servers == (("127.0.0.1", 53), ("127.0.0.1", 5353), ("::1", 53), ("::1", 53))


def test_a_ca_file_must_hold_a_certificate(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ImproperlyConfigured, match="EAC_TRUSTED_CA_FILE"):
        env.env_ca_file("EAC_TRUSTED_CA_FILE", {"EAC_TRUSTED_CA_FILE": str(junk)})
    good = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(good))
    assert env.env_ca_file("EAC_TRUSTED_CA_FILE", {"EAC_TRUSTED_CA_FILE": str(good)}) == good


def test_secrets_can_come_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("s3cret\n")
    assert env.env_secret("SECRET_KEY", {"SECRET_KEY_FILE": str(path)}) == "s3cret"


def _manage(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    unset = {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ | overrides,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_stops_with_a_clear_message_and_no_traceback() -> None:
    result = _manage("check", SECRET_KEY="x" * 50, EAC_SMTP_PORT="70000")
    assert result.returncode == 2
    assert "EAC_SMTP_PORT must be between 1 and 65535" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_secret_key_is_required_when_debug_is_off() -> None:
    result = _manage("check")
    assert result.returncode == 2
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_deployment_check_passes_with_production_settings(tmp_path: Path) -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-production-key-" + "k" * 50,
        DEBUG="0",
        ALLOWED_HOSTS="eac.contoso.com",
        EAC_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
