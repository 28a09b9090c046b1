"""Page benchmarks, run by `make bench` (never by the test suite): what a signed-in admin's
requests cost as the tenant grows.

For tenants of 10, 2,000 and 10,000 connectors (a fifth of them inbound) it prints the median and
95th-percentile server time and the query count of: the Connectors page, its search (the table
htmx swaps in), a connector's details panel, the Mail flow explorer answering a question, each
wizard step's POST, and a bare view that only checks the sign-in — then the targets: every page
within 1.5× between 10 and 10,000 connectors, p95 ≤ 30 ms at 2,000 connectors and 500 accepted
domains, a wizard step POST within 3× the bare view (medians: the steadier figure). Also the bytes of CSS and JavaScript the
wizard downloads (target ≤ 150 KB).

`python bench/pages.py` uses a scratch SQLite database; `--postgres URL` a scratch PostgreSQL
database at URL (dropped and created afresh). Times are measured around Django's test client, in
the process: the server's own time, without the network."""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
parser = argparse.ArgumentParser()
parser.add_argument("--postgres", help="URL of a scratch database to recreate and use")
parser.add_argument("--repeats", type=int, default=60, help="requests timed per page and size")
arguments = parser.parse_args()
from bench.django_setup import recreate_database, start_django  # noqa: E402

if arguments.postgres:
    recreate_database(arguments.postgres)

scratch = start_django("eac-bench-pages-", arguments.postgres)

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector  # noqa: E402
from eac import services  # noqa: E402
from eac.models import AcceptedDomain, DomainType, Tenant, User  # noqa: E402
from eac.roles import Role  # noqa: E402

settings.ROOT_URLCONF = "bench.urls"  # the console's URLs and the bare view
SIZES = ((10, 10), (2000, 500), (10000, 500))  # (connectors, accepted domains)
TARGET_SIZE = (2000, 500)
HTMX = {"HX-Request": "true"}
WIZARD_STEPS: list[tuple[str, dict[str, Any]]] = [
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
    ("validation", {"action": "proceed", "recipients": ["john@contoso.com"]}),
]


def populate(connectors: int, domains: int) -> tuple[Client, Tenant]:
    """A tenant with `connectors` connectors (four outbound to one inbound), `domains` accepted
    domains, half of them Internal relay, and a signed-in admin."""
    tenant = services.tenant_create(name=f"Bench {connectors}", initial_label=f"bench{connectors}")
    AcceptedDomain.objects.bulk_create(
        AcceptedDomain(
            tenant=tenant,
            name=f"d{i}.bench.example",
            domain_type=DomainType.INTERNAL_RELAY if i % 2 else DomainType.AUTHORITATIVE,
        )
        for i in range(domains - 1)
    )
    inbound = connectors // 5
    OutboundConnector.objects.bulk_create(
        OutboundConnector(
            tenant=tenant,
            name=f"Outbound {i:05}",
            connector_type="OnPremises" if i % 3 else "Partner",
            use_mx_record=False,
            smart_hosts=[f"mail{i}.bench.example"],
            recipient_domains=[f"d{i % domains}.bench.example"],
        )
        for i in range(connectors - inbound)
    )
    InboundConnector.objects.bulk_create(
        InboundConnector(
            tenant=tenant,
            name=f"Inbound {i:05}",
            connector_type="Partner" if i % 2 else "OnPremises",
            sender_domains=[f"partner{i}.example"],
            sender_ip_addresses=[f"192.0.2.{i % 250 + 1}"],
        )
        for i in range(inbound)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # statistics, as autovacuum keeps them after a load
            cursor.execute("ANALYZE")
    user = User.objects.create_user(f"admin@bench{connectors}.example", "x")
    services.membership_grant(tenant=tenant, user=user, role=Role.ORGANIZATION_MANAGEMENT)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client, tenant


Request = Callable[[], Any]  # the test client's response
Figures = dict[str, tuple[float, float, int]]  # per request: p50 ms, p95 ms, queries


def page_requests(client: Client, tenant: Tenant) -> dict[str, Request]:
    connector = OutboundConnector.objects.filter(tenant=tenant).order_by("name").last()
    assert connector is not None
    details = reverse("connectors:details", args=["outbound", connector.pk])
    explorer = {"sender": "sun@gmail.com", "recipient": "someone@d7.bench.example"}
    return {
        "Connectors page": lambda: client.get("/mail-flow/connectors/"),
        "Connectors search (table)": lambda: client.get(
            "/mail-flow/connectors/",
            {"q": "1", "sort": "name", "desc": "1"},
            headers=HTMX | {"HX-Target": "connector-table"},
        ),
        "Details panel": lambda: client.get(details, headers=HTMX),
        "Mail flow explorer": lambda: client.get("/mail-flow/explorer/", explorer),
        "Accepted domains": lambda: client.get("/mail-flow/accepted-domains/"),
        "Bare view": lambda: client.get("/bench/bare/"),
    }


def wizard_requests(client: Client) -> dict[str, Request]:
    """Add a connector (a new draft), then each step's POST in order on that draft: a draft
    moves on once per step, so every round starts a new one."""
    draft: dict[str, str] = {}

    def start() -> Any:
        response = client.post(reverse("connectors:wizard_start"))
        draft["url"] = response["Location"].rsplit("/", 2)[0]  # …/new/<draft>/<first step>/
        return response

    def answer(key: str, data: dict[str, Any]) -> Any:
        return client.post(f"{draft['url']}/{key}/", {"action": "next", **data})

    return {"Wizard: start (POST)": start} | {
        f"Wizard: {key} (POST)": partial(answer, key, data) for key, data in WIZARD_STEPS
    }


def timed(request: Request) -> tuple[float, int]:
    """The request's server time in ms and its queries."""
    queries = 0

    def count(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(*args)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        response = request()
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code in (200, 302), response.status_code
    return elapsed, queries


def measure(repeats: int) -> dict[tuple[int, int], Figures]:
    """Every request at every size, round after round, so the sizes share whatever else the
    machine is doing; the first round warms up (templates compiled, what is kept filled)."""
    requests: dict[tuple[int, int], dict[str, Request]] = {}
    for size in SIZES:
        client, tenant = populate(*size)
        requests[size] = page_requests(client, tenant) | wizard_requests(client)
    samples: dict[tuple[tuple[int, int], str], list[float]] = {}
    queries: dict[tuple[tuple[int, int], str], int] = {}
    for attempt in range(repeats + 1):
        for size in SIZES:
            for label, request in requests[size].items():
                elapsed, count = timed(request)
                if attempt:
                    samples.setdefault((size, label), []).append(elapsed)
                    queries[(size, label)] = count
    return {
        size: {
            label: (
                statistics.median(samples[(size, label)]),
                statistics.quantiles(samples[(size, label)], n=20)[-1],
                queries[(size, label)],
            )
            for label in requests[size]
        }
        for size in SIZES
    }


def asset_bytes(client: Client) -> tuple[int, int, int]:
    client.post(reverse("connectors:wizard_start"))
    draft = ConnectorDraft.objects.latest("created_at")
    html = client.get(
        reverse("connectors:wizard_step", args=[draft.pk, "scenario"])
    ).content.decode()
    urls = re.findall(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"', html)
    raw = gz = 0
    for url in urls:
        data = Path(finders.find(url.removeprefix("/static/"))).read_bytes()  # type: ignore[arg-type]
        raw, gz = raw + len(data), gz + len(gzip.compress(data))
    return raw, gz, len(urls)


def verdict(holds: bool) -> str:
    return "holds" if holds else "MISSED"


def main() -> None:
    call_command("migrate", verbosity=0)
    repeats = arguments.repeats
    print(f"database: {connection.vendor}; {repeats} requests per page and size; server time in ms")
    results = measure(repeats)
    print(f"{'request':<30}" + "".join(f"{f'{c:,}/{d}':>22}" for c, d in SIZES))
    print(f"{'':<30}" + "".join(f"{'p50':>8}{'p95':>8}{'queries':>6}" for _ in SIZES))
    labels = list(results[SIZES[0]])
    for label in labels:
        cells = "".join(
            f"{results[s][label][0]:>8.1f}{results[s][label][1]:>8.1f}{results[s][label][2]:>6}"
            for s in SIZES
        )
        print(f"{label:<30}{cells}")
    smallest, largest = results[SIZES[0]], results[SIZES[-1]]
    print("\ntargets")
    for label in labels:
        if label == "Bare view":
            continue
        if label == "Accepted domains":  # not one of the targets' pages
            print(f"{label:<30} lists every domain (10, then 500): it costs what it shows")
            continue
        ratio = largest[label][0] / smallest[label][0]
        at_target = results[TARGET_SIZE][label][1]
        print(
            f"{label:<30} 10,000 vs 10 connectors: {ratio:4.2f}× (≤ 1.5×, {verdict(ratio <= 1.5)}); "
            f"p95 at 2,000/500: {at_target:5.1f} ms (≤ 30 ms, {verdict(at_target <= 30)})"
        )
    bare = results[TARGET_SIZE]["Bare view"]
    steps = {k: v for k, v in results[TARGET_SIZE].items() if k.startswith("Wizard")}
    slowest = max(steps, key=lambda k: steps[k][0])
    ratio = steps[slowest][0] / bare[0]
    print(
        f"slowest wizard step POST at 2,000/500, p50: {slowest} {steps[slowest][0]:.1f} ms = "
        f"{ratio:.1f}× the bare view's {bare[0]:.1f} ms (≤ 3×, {verdict(ratio <= 3)}); "
        f"p95 {steps[slowest][1]:.1f} ms against {bare[1]:.1f} ms"
    )
    client, _ = populate(1, 1)
    raw, gz, files = asset_bytes(client)
    print(
        f"CSS + JS for the wizard: {raw / 1024:.1f} KB ({gz / 1024:.1f} KB gzipped) in {files} files "
        f"(≤ 150 KB, {verdict(raw <= 150 * 1024)})"
    )


if __name__ == "__main__":
    main()
