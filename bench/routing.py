"""Connector selection benchmark, run by `make bench`: decisions per second for 100,000
recipients against a tenant with 10,000 outbound connectors and 5,000 accepted domains — target
≥ 100,000 decisions/s and ≥ 20× the naive scan over every connector — and the same at 100 and 1,000
connectors, to show that a decision's cost doesn't grow with the number of connectors.

Pure Python over plain facts, no database: `router_for_tenant` only adds its two queries. The
naive scan is timed on the first 1,000 recipients (at 10,000 connectors the full 100,000 would
take minutes) and its time for 100,000 extrapolated; both answer the same on that sample."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.mailflow.routing import (  # noqa: E402
    AcceptedDomainFact,
    ConnectorFact,
    Decision,
    Router,
    naive_decide,
)

ACCEPTED, RECIPIENTS, NAIVE_SAMPLE, REPEATS = 5_000, 100_000, 1_000, 3
SIZES = (100, 1_000, 10_000)
TARGET_RATE, TARGET_SPEEDUP = 100_000, 20


def accepted_domains() -> list[AcceptedDomainFact]:
    # Every tenth is an Internal relay domain that accepts its subdomains too.
    return [AcceptedDomainFact(f"d{i}.bench.example", i % 10 == 0) for i in range(ACCEPTED)]


def connectors(count: int) -> list[ConnectorFact]:
    """One connector for all accepted domains; a fifth for a wildcard zone, the rest for two
    partner domains each; a few turned off or scoped to transport rules."""
    facts = [
        ConnectorFact("all", "All accepted domains", True, False, True, (), "OnPremises"),
    ]
    for i in range(1, count):
        if i % 5 == 0:
            patterns: tuple[str, ...] = (f"*.zone{i}.example",)
        else:
            patterns = (f"partner{i}.example", f"partner{i}.net")
        facts.append(
            ConnectorFact(
                str(i), f"Connector {i:05}", i % 50 != 7, i % 97 == 3, False, patterns, "Partner"
            )
        )
    return facts


def recipients(connector_count: int, rng: random.Random) -> list[str]:
    """A mix: partner domains, hosts in wildcard zones, accepted domains and subdomains of the
    relay ones, and the internet (a fresh domain each time, as most internet mail is)."""
    kinds: list[Callable[[int], str]] = [
        lambda n: f"partner{rng.randrange(1, connector_count)}.example",
        lambda n: f"mail.eu.zone{rng.randrange(5, connector_count, 5)}.example",
        lambda n: f"d{rng.randrange(ACCEPTED)}.bench.example",
        lambda n: f"hq.d{rng.randrange(0, ACCEPTED, 10)}.bench.example",
        lambda n: f"site{n}.example.org",
    ]
    weights = [35, 15, 20, 5, 25]
    return [f"user{n}@{rng.choices(kinds, weights)[0](n)}" for n in range(RECIPIENTS)]


def best_rate(decide: Callable[[str], Decision], addresses: list[str]) -> float:
    """Decisions per second, the best of a few runs (the others met a busy machine)."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        for address in addresses:
            decide(address)
        best = min(best, time.perf_counter() - started)
    return len(addresses) / best


def flag(ok: bool) -> str:
    return "" if ok else "   (short of the target)"


def main() -> None:
    rng = random.Random(6)  # noqa: S311 -- reproducible test data, not secrets
    accepted = accepted_domains()
    print(
        f"{ACCEPTED:,} accepted domains; {RECIPIENTS:,} recipients per run, best of {REPEATS} runs"
    )
    print(f"{'connectors':>10}{'index build ms':>16}{'decisions/s':>14}{'µs/decision':>13}")
    rates: dict[int, float] = {}
    for size in SIZES:
        facts = connectors(size)
        addresses = recipients(size, rng)
        started = time.perf_counter()
        router = Router(facts, accepted)
        build_ms = (time.perf_counter() - started) * 1000
        rates[size] = best_rate(router.decide, addresses)
        print(
            f"{size:>10,}{build_ms:>16.1f}{rates[size]:>14,.0f}{1e6 / rates[size]:>13.2f}"
            f"{flag(rates[size] >= TARGET_RATE)}"
        )

    facts = connectors(SIZES[-1])
    addresses = recipients(SIZES[-1], rng)
    router = Router(facts, accepted)
    sample = addresses[:NAIVE_SAMPLE]
    disagreements = [a for a in sample if router.decide(a) != naive_decide(facts, accepted, a)]
    started = time.perf_counter()
    for address in sample:
        naive_decide(facts, accepted, address)
    naive_seconds = time.perf_counter() - started
    naive_rate = len(sample) / naive_seconds
    speedup = rates[SIZES[-1]] / naive_rate
    print(
        f"naive scan at {SIZES[-1]:,} connectors: {naive_rate:,.0f} decisions/s on {len(sample):,} "
        f"recipients ({naive_seconds:.1f} s); extrapolated to {RECIPIENTS:,}: "
        f"{RECIPIENTS / naive_rate:,.0f} s against the router's {RECIPIENTS / rates[SIZES[-1]]:.2f} s"
    )
    print(
        f"router ÷ naive: {speedup:,.0f}× (target ≥ {TARGET_SPEEDUP}×){flag(speedup >= TARGET_SPEEDUP)}"
    )
    print(f"router and naive disagree on {len(disagreements)} of {len(sample):,} recipients")

    # Typed in capitals, every domain takes the parser's UTS #46 mapping instead of the quick
    # path for names already canonical: the parser's cost, not the lookup's.
    shouted = [address.upper() for address in addresses]
    print(
        f"same {RECIPIENTS:,} recipients in capitals (each through parse_domain): "
        f"{best_rate(router.decide, shouted):,.0f} decisions/s"
    )
    if disagreements:
        sys.exit(f"router and naive scan disagree, e.g. on {disagreements[0]}")


if __name__ == "__main__":
    main()
