"""The egress policy a `make run` worker ends up with (docs/validation.md, "Egress policy"): the
lab's loopback allowance comes with lab-only confinement, and goes with it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from console.env import env_bool, env_networks
from console.management.commands.runconsole import lab_worker_environment
from lab.server import lab_environment
from validation.policy import REFUSED, EgressPolicy


def worker_policy(environ: Mapping[str, str]) -> EgressPolicy:
    """The policy the worker builds from its environment, as its settings and task do."""
    return EgressPolicy(
        env_networks("EAC_PROBE_ALLOWED_NETWORKS", environ),
        lab_only=env_bool("EAC_PROBE_LAB_ONLY", False, environ),
    )


@pytest.fixture
def lab(tmp_path: Path) -> dict[str, str]:
    return lab_environment(tmp_path, 5301, 2526)


def test_the_lab_alone_confines_the_worker_to_loopback(lab: dict[str, str]):
    policy = worker_policy(lab_worker_environment({}, lab))
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("8.8.8.8") == REFUSED


@pytest.mark.parametrize(
    "override",
    [
        {"EAC_SMTP_PORT": "25"},
        {"EAC_DNS_NAMESERVERS": "192.0.2.53"},
        {"EAC_TRUSTED_CA_FILE": "/etc/ssl/certs/ca-certificates.crt"},
        {"EAC_PROBE_LAB_ONLY": "0"},
    ],
    ids=lambda override: next(iter(override)),
)
def test_overriding_a_probe_setting_drops_the_lab_allowance_with_the_confinement(
    lab: dict[str, str], override: dict[str, str]
):
    environ = lab_worker_environment(override, lab)
    assert "EAC_PROBE_ALLOWED_NETWORKS" not in environ
    policy = worker_policy(environ)
    assert policy.refusal("8.8.8.8") is None
    assert policy.refusal("127.0.0.1") == REFUSED


def test_networks_the_user_allowed_stay_allowed_when_the_confinement_goes(lab: dict[str, str]):
    environ = lab_worker_environment(
        {"EAC_SMTP_PORT": "25", "EAC_PROBE_ALLOWED_NETWORKS": "127.0.0.0/8"}, lab
    )
    policy = worker_policy(environ)
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("8.8.8.8") is None


def test_a_user_who_keeps_lab_only_on_keeps_the_lab_allowance(lab: dict[str, str]):
    environ = lab_worker_environment({"EAC_SMTP_PORT": "2600", "EAC_PROBE_LAB_ONLY": "1"}, lab)
    policy = worker_policy(environ)
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("8.8.8.8") == REFUSED
