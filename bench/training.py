"""Training benchmarks, run by `make bench`: creating a class of 30 trainees (accounts
with the production password hasher, 30 sandboxes built from a scenario), and the trainer's live
progress table — the request the class page repeats every 5 s, which runs every task's check
for every trainee — p50/p95 server time, and the trainee panel's poll.

Uses a scratch SQLite database (DEBUG off)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.django_setup import start_django  # noqa: E402

scratch = start_django("eac-bench-training-")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from connectors.services import inbound_connector_create, outbound_connector_create  # noqa: E402
from eac.models import User  # noqa: E402
from training.scenarios import get_scenario  # noqa: E402
from training.services import class_create  # noqa: E402

TRAINEES = 30
ROUNDS = 40


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def timed_get(client: Client, url: str, headers: dict[str, str]) -> tuple[list[float], int]:
    client.get(url, headers=headers)  # warm-up
    samples = []
    # Counted with a wrapper: each request resets the debug query log as it starts.
    queries: list[str] = []

    def counting(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(counting):
        client.get(url, headers=headers)
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return samples, len(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    trainer = User.objects.create_user("trainer@lab.test", "bench-password", is_trainer=True)
    scenario = get_scenario("hybrid")
    assert scenario is not None
    start = time.perf_counter()
    training_class, credentials = class_create(
        trainer=trainer, name="Bench", scenario=scenario, trainees=TRAINEES
    )
    created = time.perf_counter() - start
    # Half the class half-way through: connectors both ways, so the explorer checks have work.
    for seat in list(training_class.seats.select_related("tenant"))[: TRAINEES // 2]:
        outbound_connector_create(
            tenant=seat.tenant,
            actor=None,
            name="To Contoso",
            connector_type="OnPremises",
            recipient_domains=["contoso.com"],
            use_mx_record=False,
            smart_hosts=["mail.contoso.com"],
            tls_settings="CertificateValidation",
        )
        inbound_connector_create(
            tenant=seat.tenant,
            actor=None,
            name="From Contoso",
            connector_type="OnPremises",
            sender_domains=["*"],
            tls_sender_certificate_name="mail.contoso.com",
        )
    print(
        f"class of {TRAINEES} created in {created:.1f} s "
        f"({created / TRAINEES * 1000:.0f} ms per trainee, password hashing included)"
    )

    trainer_client = Client()
    trainer_client.force_login(trainer)
    url = reverse("training:class", args=[training_class.pk])
    samples, queries = timed_get(
        trainer_client, url, {"HX-Request": "true", "HX-Target": "progress"}
    )
    p50, p95 = percentiles(samples)
    print(
        f"trainer's progress poll ({TRAINEES} trainees x {len(scenario.tasks)} tasks): "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, {queries} queries"
    )

    trainee = User.objects.get(email=credentials[0].email)
    trainee_client = Client()
    trainee_client.force_login(trainee)
    samples, queries = timed_get(trainee_client, reverse("training:panel"), {"HX-Request": "true"})
    p50, p95 = percentiles(samples)
    print(f"trainee's panel poll: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {queries} queries")


if __name__ == "__main__":
    main()
