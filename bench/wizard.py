"""Wizard benchmarks, run by `make bench`: server time of each step's POST and of the
list page (p50/p95) in a tenant with 2,000 connectors and 500 accepted domains — target p95 ≤ 50 ms
— and the bytes of CSS and JavaScript a browser downloads for the whole wizard (target ≤ 150 KB).

`python bench/wizard.py` uses a scratch SQLite database; `--postgres URL` a scratch PostgreSQL
database at URL (dropped and created afresh)."""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
parser = argparse.ArgumentParser()
parser.add_argument("--postgres", help="URL of a scratch database to recreate and use")
arguments = parser.parse_args()
if arguments.postgres:
    import psycopg

    name = arguments.postgres.rsplit("/", 1)[1]
    with psycopg.connect(
        arguments.postgres.rsplit("/", 1)[0] + "/postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

from bench.django_setup import start_django  # noqa: E402

scratch = start_django("eac-bench-wizard-", arguments.postgres)

from django.contrib.staticfiles import finders  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from connectors.models import ConnectorDraft, OutboundConnector  # noqa: E402
from eac import services  # noqa: E402
from eac.models import AcceptedDomain, User  # noqa: E402
from eac.roles import Role  # noqa: E402

CONNECTORS, DOMAINS, REPEATS = 2000, 500, 30
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("scenario", {"source": "office365", "target": "your_org"}),
    ("name", {"name": "Bench connector", "turn_on": "on", "retain_headers": "on"}),
    ("use", {"use": "domains", "recipient_domains": ["contoso.com", "*.contoso.com"]}),
    ("routing", {"smart_hosts": ["mail.contoso.com"], "smart_hosts_new": "mail2.contoso.com"}),
    (
        "security",
        {
            "tls": "on",
            "certificate": "trusted_ca",
            "match_domain": "on",
            "tls_domain": "*.contoso.com",
        },
    ),
]


def populate() -> Client:
    tenant = services.tenant_create(name="Bench", initial_label="bench")
    AcceptedDomain.objects.bulk_create(
        AcceptedDomain(tenant=tenant, name=f"d{i}.bench.example") for i in range(DOMAINS)
    )
    OutboundConnector.objects.bulk_create(
        OutboundConnector(
            tenant=tenant,
            name=f"Connector {i:05}",
            connector_type="OnPremises",
            use_mx_record=False,
            smart_hosts=[f"mail{i}.bench.example"],
            recipient_domains=[f"d{i % DOMAINS}.bench.example"],
        )
        for i in range(CONNECTORS)
    )
    user = User.objects.create_user("admin@bench.example", "x")
    services.membership_grant(tenant=tenant, user=user, role=Role.ORGANIZATION_MANAGEMENT)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def percentiles(timings: list[float]) -> tuple[float, float]:
    return statistics.median(timings), statistics.quantiles(timings, n=20)[-1]


def time_steps(client: Client) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"list page (GET)": []}
    client.get(reverse("connectors:list"))  # warm-up: templates compiled, URL resolver built
    for _ in range(REPEATS):
        started = time.perf_counter()
        client.get(reverse("connectors:list"))
        timings["list page (GET)"].append((time.perf_counter() - started) * 1000)
        client.post(reverse("connectors:wizard_start"))
        draft = ConnectorDraft.objects.latest("created_at")
        for key, data in [
            *STEPS,
            ("validation", {"action": "proceed", "recipients": ["john@contoso.com"]}),
        ]:
            url = reverse("connectors:wizard_step", args=[draft.pk, key])
            started = time.perf_counter()
            response = client.post(url, {"action": "next", **data})
            timings.setdefault(f"{key} (POST)", []).append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302, (key, response.status_code)
    return timings


def asset_bytes(client: Client) -> tuple[int, int, list[str]]:
    client.post(reverse("connectors:wizard_start"))
    draft = ConnectorDraft.objects.latest("created_at")
    html = client.get(
        reverse("connectors:wizard_step", args=[draft.pk, "scenario"])
    ).content.decode()
    urls = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', html)
    raw = gz = 0
    for url in urls:
        data = Path(finders.find(url.removeprefix("/static/"))).read_bytes()  # type: ignore[arg-type]
        raw += len(data)
        gz += len(gzip.compress(data))
    return raw, gz, urls


def main() -> None:
    call_command("migrate", verbosity=0)
    client = populate()
    print(
        f"database: {connection.vendor}; {CONNECTORS} connectors, {DOMAINS} accepted domains; {REPEATS} runs; ms"
    )
    print(f"{'request':<28}{'p50':>8}{'p95':>8}")
    for label, timings in time_steps(client).items():
        p50, p95 = percentiles(timings)
        print(
            f"{label:<28}{p50:>8.1f}{p95:>8.1f}{'' if p95 <= 50 else '   (over the 50 ms target)'}"
        )
    raw, gz, urls = asset_bytes(client)
    print(
        f"CSS + JS for the wizard: {raw / 1024:.1f} KB ({gz / 1024:.1f} KB gzipped) in {len(urls)} files; target ≤ 150 KB"
    )


if __name__ == "__main__":
    main()
