"""Benchmarks, run by `make bench` (never by the test suite): list pages at tenant sizes.

Prints, per page and size, the median and 95th-percentile server time and the query count, on a
throw-away SQLite database (or DATABASE_URL's, if you point it at a scratch PostgreSQL).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.django_setup import start_django  # noqa: E402

scratch = start_django("eac-bench-", os.environ.get("DATABASE_URL"))

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from connectors.models import OutboundConnector  # noqa: E402
from eac import services  # noqa: E402
from eac.models import User  # noqa: E402
from eac.roles import Role  # noqa: E402

SIZES = (10, 100, 1000)
REPEATS = 30


def populate(size: int) -> Client:
    tenant = services.tenant_create(name=f"Bench {size}", initial_label=f"bench{size}")
    OutboundConnector.objects.bulk_create(
        OutboundConnector(
            tenant=tenant,
            name=f"Connector {i:05}",
            connector_type="OnPremises",
            use_mx_record=False,
            smart_hosts=[f"mail{i}.bench.example"],
            recipient_domains=[f"d{i}.example"],
        )
        for i in range(size)
    )
    for i in range(min(size, 200)):
        services.accepted_domain_add(tenant=tenant, actor=None, name=f"d{i}.bench{size}.example")
    user = User.objects.create_user(f"admin@bench{size}.example", "x")
    services.membership_grant(tenant=tenant, user=user, role=Role.ORGANIZATION_MANAGEMENT)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def measure(client: Client, url: str, **params: str) -> tuple[float, float, int]:
    timings = []
    client.get(url, params)  # warm-up: templates compiled, caches filled
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    p95 = statistics.quantiles(timings, n=20)[-1]
    return statistics.median(timings), p95, len(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}; {REPEATS} requests each; times in ms (server side, test client)"
    )
    print(f"{'page':<34}{'size':>6}{'median':>9}{'p95':>9}{'queries':>9}")
    for size in SIZES:
        client = populate(size)
        for label, url, params in (
            ("Connectors list", "/mail-flow/connectors/", {}),
            (
                "Connectors list, search + sort",
                "/mail-flow/connectors/",
                {"q": "1", "sort": "name", "desc": "1"},
            ),
            ("Accepted domains (≤200)", "/mail-flow/accepted-domains/", {}),
        ):
            median, p95, queries = measure(client, url, **params)
            print(f"{label:<34}{size:>6}{median:>9.1f}{p95:>9.1f}{queries:>9}")


if __name__ == "__main__":
    main()
