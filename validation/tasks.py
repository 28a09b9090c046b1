"""The Celery task: a thin wrapper that claims a run, runs the probe, and stores what it finds."""

from __future__ import annotations

import itertools
import socket

import dns.resolver
from celery import shared_task
from django.conf import settings

from validation import recording
from validation.models import ValidationRun
from validation.policy import EgressPolicy
from validation.probe import ProbeConfig, TaskResult, TlsMode, run_probe

STAGE_TIMEOUT_SECONDS = 15.0


def make_resolver(lifetime: float) -> dns.resolver.Resolver:
    """The operator's nameservers (EAC_DNS_NAMESERVERS), else the system's."""
    nameservers = settings.EAC_DNS_NAMESERVERS
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = [ip for ip, _ in nameservers]
        resolver.nameserver_ports = dict(nameservers)
    resolver.timeout = min(2.0, lifetime)
    resolver.lifetime = lifetime
    return resolver


def probe_config(run: ValidationRun) -> ProbeConfig:
    target = run.target
    total = float(settings.EAC_PROBE_TIMEOUT_SECONDS)
    use_mx = bool(target["use_mx_record"])
    return ProbeConfig(
        run_id=str(run.id),
        sender=run.tenant.validation_sender,
        recipients=tuple(run.recipients),
        smart_hosts=() if use_mx else tuple(target["smart_hosts"]),
        # MX routing delivers to the recipients' own domains, so those are the MX lookups to make.
        mx_domains=tuple(dict.fromkeys(r.rsplit("@", 1)[1] for r in run.recipients))
        if use_mx
        else (),
        port=settings.EAC_SMTP_PORT,
        tls_mode=TlsMode(target["tls_settings"] or TlsMode.OPPORTUNISTIC),
        tls_domain=target["tls_domain"] or "",
        ca_file=str(settings.EAC_TRUSTED_CA_FILE) if settings.EAC_TRUSTED_CA_FILE else None,
        helo_name=socket.getfqdn(),
        stage_timeout=min(STAGE_TIMEOUT_SECONDS, total),
        total_timeout=total,
    )


@shared_task(name="validation.run", acks_late=True, ignore_result=True)
def run_validation(run_id: str) -> None:
    recording.sweep_interrupted()
    run = recording.validation_claim(run_id)
    if run is None:
        return  # already taken (a redelivery), finished, stopped or gone: never probe twice
    config = probe_config(run)
    counter = itertools.count(1)

    def record(result: TaskResult) -> None:
        recording.validation_record_task(run, next(counter), result)

    outcome = run_probe(
        config,
        resolver=make_resolver(config.stage_timeout),
        policy=EgressPolicy(
            settings.EAC_PROBE_ALLOWED_NETWORKS, lab_only=settings.EAC_PROBE_LAB_ONLY
        ),
        on_task=record,
        should_stop=lambda: recording.stop_requested(run_id),
    )
    recording.validation_finish(run, outcome)
