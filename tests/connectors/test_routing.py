"""Which outbound connector Office 365 picks for a recipient (docs/routing.md), as tables over plain facts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from connectors.mailflow.routing import (
    DOCUMENTED,
    MOST_SPECIFIC,
    ORDERS,
    AcceptedDomainFact,
    ConnectorFact,
    Decision,
    Router,
    canonical_domain,
    naive_decide,
)
from eac.models import SelectionOrder
from eac.values import InvalidValue, parse_domain, parse_domain_pattern


def connector(name: str, *patterns: str, **fields: Any) -> ConnectorFact:
    """A connector to your organization's server, with its patterns canonical as stored."""
    values: dict[str, Any] = {
        "id": name,
        "name": name,
        "enabled": True,
        "is_transport_rule_scoped": False,
        "all_accepted_domains": False,
        "recipient_domains": tuple(str(parse_domain_pattern(p)) for p in patterns),
        "connector_type": "OnPremises",
    }
    return ConnectorFact(**(values | fields))


def accepted(*names: str, match_subdomains: bool = False) -> list[AcceptedDomainFact]:
    return [AcceptedDomainFact(parse_domain(name), match_subdomains) for name in names]


SEED_ACCEPTED = accepted(
    "contoso.com", "sales.contoso.com", "fabrikam.com", "contoso.onmicrosoft.com"
)
CONNECTOR_1 = connector("Connector 1", all_accepted_domains=True)
CONNECTOR_2 = connector("Connector 2", "contoso.com")
CONNECTOR_3 = connector("Connector 3", "*.contoso.com")
SEED = [CONNECTOR_1, CONNECTOR_2, CONNECTOR_3]


def decide(
    connectors: list[ConnectorFact],
    recipient: str,
    *,
    domains: list[AcceptedDomainFact] = SEED_ACCEPTED,
    order: str = MOST_SPECIFIC,
    from_on_premises: bool = False,
) -> Decision:
    decision = Router(connectors, domains, order).decide(
        recipient, from_on_premises=from_on_premises
    )
    assert decision == naive_decide(
        connectors, domains, recipient, order, from_on_premises=from_on_premises
    )
    return decision


def chosen(decision: Decision) -> str | None:
    return decision.connector.name if decision.connector else None


@pytest.mark.parametrize(
    ("recipient", "order", "name", "rule", "reason"),
    [
        (
            "john@fabrikam.com",
            MOST_SPECIFIC,
            "Connector 1",
            "all_accepted",
            "all accepted domains (fabrikam.com is an accepted domain)",
        ),
        ("john@contoso.com", MOST_SPECIFIC, "Connector 2", "exact", "exact match on contoso.com"),
        (
            "john@sales.contoso.com",
            MOST_SPECIFIC,
            "Connector 3",
            "wildcard",
            "wildcard *.contoso.com",
        ),
        (
            "john@fabrikam.com",
            DOCUMENTED,
            "Connector 1",
            "all_accepted",
            "all accepted domains (fabrikam.com is an accepted domain)",
        ),
        ("john@contoso.com", DOCUMENTED, "Connector 2", "exact", "exact match on contoso.com"),
        (
            "john@sales.contoso.com",
            DOCUMENTED,
            "Connector 1",
            "all_accepted",
            "all accepted domains (sales.contoso.com is an accepted domain)",
        ),
        ("john@mail.contoso.com", DOCUMENTED, "Connector 3", "wildcard", "wildcard *.contoso.com"),
        ("sun@gmail.com", MOST_SPECIFIC, None, "none", "no connector: delivered by MX"),
        ("sun@gmail.com", DOCUMENTED, None, "none", "no connector: delivered by MX"),
    ],
)
def test_the_seed_example_comes_out_as_the_article_says(
    recipient: str, order: str, name: str | None, rule: str, reason: str
) -> None:
    decision = decide(SEED, recipient, order=order)

    assert (chosen(decision), decision.rule, decision.reason) == (name, rule, reason)


def test_turning_connector_2_off_sends_contoso_com_to_the_wildcard_that_covers_it() -> None:
    connectors = [CONNECTOR_1, connector("Connector 2", "contoso.com", enabled=False), CONNECTOR_3]

    decision = decide(connectors, "john@contoso.com")

    assert (chosen(decision), decision.reason) == ("Connector 3", "wildcard *.contoso.com")


def test_the_decision_names_the_canonical_recipient_domain() -> None:
    assert decide(SEED, "John@Sales.Contoso.COM.").domain == "sales.contoso.com"


@pytest.mark.parametrize(
    ("recipient", "name", "reason"),
    [
        ("a@sales.contoso.com", "Sales", "exact match on sales.contoso.com"),
        ("a@eu.sales.contoso.com", "Contoso subdomains", "wildcard *.contoso.com"),
        ("a@contoso.com", "Contoso subdomains", "wildcard *.contoso.com"),
        ("a@fabrikam.com", "Every .com", "wildcard *.com"),
        ("a@fabrikam.net", None, "no connector: delivered by MX"),
    ],
)
def test_the_longest_wildcard_suffix_wins_and_an_exact_domain_beats_it(
    recipient: str, name: str | None, reason: str
) -> None:
    connectors = [
        connector("Every .com", "*.com"),
        connector("Contoso subdomains", "*.contoso.com"),
        connector("Sales", "sales.contoso.com"),
    ]

    decision = decide(connectors, recipient, domains=[])

    assert (chosen(decision), decision.reason) == (name, reason)


@pytest.mark.parametrize("order", ORDERS)
def test_a_star_connector_takes_what_nothing_more_specific_claims(order: str) -> None:
    connectors = [*SEED, connector("Everything", "*", connector_type="Partner")]

    internet = decide(connectors, "sun@gmail.com", order=order)
    accepted_domain = decide(connectors, "john@fabrikam.com", order=order)

    assert (chosen(internet), internet.rule, internet.reason) == (
        "Everything",
        "any",
        "* (all recipient domains)",
    )
    assert chosen(accepted_domain) == "Connector 1"


def test_a_connector_for_all_accepted_domains_and_star_also_carries_internet_mail() -> None:
    # Reported in MicrosoftDocs/office-docs-powershell#8739: gmail.com went through such a connector.
    both = connector("Route all via on-premises", "*", all_accepted_domains=True)

    assert chosen(decide([both], "sun@gmail.com")) == "Route all via on-premises"


@pytest.mark.parametrize(
    ("recipient", "reason"),
    [
        (
            "a@eu.relay.example",
            "all accepted domains (eu.relay.example is a subdomain of relay.example, which accepts its subdomains)",
        ),
        (
            "a@x.eu.relay.example",
            "all accepted domains (x.eu.relay.example is a subdomain of relay.example, which accepts its subdomains)",
        ),
        ("a@relay.example", "all accepted domains (relay.example is an accepted domain)"),
    ],
)
def test_match_subdomains_makes_every_subdomain_an_accepted_domain(
    recipient: str, reason: str
) -> None:
    domains = accepted("relay.example", match_subdomains=True)

    decision = decide([CONNECTOR_1], recipient, domains=domains)

    assert (chosen(decision), decision.reason) == ("Connector 1", reason)


def test_without_match_subdomains_a_subdomain_is_not_accepted() -> None:
    decision = decide([CONNECTOR_1], "a@eu.relay.example", domains=accepted("relay.example"))

    assert decision.rule == "none"


def test_the_nearest_parent_that_accepts_subdomains_is_named() -> None:
    domains = accepted("relay.example", "eu.relay.example", match_subdomains=True)

    decision = decide([CONNECTOR_1], "a@x.eu.relay.example", domains=domains)

    assert "subdomain of eu.relay.example," in decision.reason


@pytest.mark.parametrize(
    ("recipient", "name", "reason"),
    [
        ("anna@Bücher.example", "Bücher", "exact match on xn--bcher-kva.example"),
        ("anna@xn--bcher-kva.example", "Bücher", "exact match on xn--bcher-kva.example"),
        ("anna@BÜCHER.EXAMPLE.", "Bücher", "exact match on xn--bcher-kva.example"),
        ("anna@laden.bücher.example", "Bücher shops", "wildcard *.xn--bcher-kva.example"),
        ("anna@laden.xn--bcher-kva.example", "Bücher shops", "wildcard *.xn--bcher-kva.example"),
    ],
)
def test_internationalized_domains_match_in_either_form(
    recipient: str, name: str, reason: str
) -> None:
    connectors = [
        connector("Bücher", "BÜCHER.example"),
        connector("Bücher shops", "*.bücher.example"),
    ]

    decision = decide(connectors, recipient, domains=[])

    assert (chosen(decision), decision.reason) == (name, reason)


@pytest.mark.parametrize("recipient", ["JOHN@CONTOSO.COM", "john@contoso.com.", "Contoso.Com."])
def test_case_and_a_trailing_dot_make_no_difference(recipient: str) -> None:
    decision = decide(SEED, recipient)

    assert (chosen(decision), decision.domain) == ("Connector 2", "contoso.com")


def test_a_connector_scoped_to_transport_rules_is_never_chosen_by_domain() -> None:
    scoped = connector("Redirect only", "contoso.com", "*", is_transport_rule_scoped=True)

    assert chosen(decide([scoped, CONNECTOR_3], "john@contoso.com")) == "Connector 3"
    assert decide([scoped], "sun@gmail.com").rule == "none"


def test_disabled_connectors_are_never_chosen() -> None:
    off = connector("Off", "contoso.com", "*", all_accepted_domains=True, enabled=False)

    assert decide([off], "john@contoso.com").rule == "none"


@pytest.mark.parametrize(
    "connectors",
    [
        [connector("beta", "*.contoso.com"), connector("Alpha", "*.contoso.com")],
        [connector("Alpha", "*.contoso.com"), connector("beta", "*.contoso.com")],
    ],
)
def test_equal_wildcards_go_to_the_name_that_sorts_first_ignoring_case(
    connectors: list[ConnectorFact],
) -> None:
    assert chosen(decide(connectors, "a@sales.contoso.com")) == "Alpha"


@pytest.mark.parametrize(
    ("patterns", "fields", "recipient"),
    [
        (("contoso.com",), {}, "a@contoso.com"),
        ((), {"all_accepted_domains": True}, "a@fabrikam.com"),
        (("*",), {}, "a@gmail.com"),
    ],
)
def test_every_kind_of_tie_goes_to_the_name_that_sorts_first(
    patterns: tuple[str, ...], fields: dict[str, Any], recipient: str
) -> None:
    connectors = [
        connector(name, *patterns, **fields) for name in ("Zulu", "mike", "Bravo", "charlie")
    ]

    assert chosen(decide(connectors, recipient)) == "Bravo"


def test_connectors_whose_names_differ_only_in_case_tie_on_their_ids() -> None:
    connectors = [
        connector("Relay", "contoso.com", id="b"),
        connector("RELAY", "contoso.com", id="a"),
    ]

    assert decide(connectors, "a@contoso.com").connector == connectors[1]


@pytest.mark.parametrize(
    "recipient", ["john@", "not a domain", "john@192.0.2.1", "john@contoso", "", "a@*.contoso.com"]
)
def test_what_is_not_a_recipient_is_refused_by_the_domain_parser(recipient: str) -> None:
    with pytest.raises(InvalidValue):
        Router(SEED, SEED_ACCEPTED).decide(recipient)


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown selection order"):
        Router(SEED, SEED_ACCEPTED, "alphabetical")


def test_the_orders_are_the_tenant_settings_values() -> None:
    assert set(ORDERS) == set(SelectionOrder.values)


# --- centralized mail transport (RouteAllMessagesViaOnPremises) -------------------------------

HYBRID = connector("Hybrid outbound", route_all_messages_via_on_premises=True)
TO_PARTNER = connector("A partner", "partner.example", connector_type="Partner")
EVERYTHING = connector("All mail", "*", connector_type="Partner")


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "recipient",
    [
        "sun@gmail.com",  # MX before
        "ann@partner.example",  # the partner's connector by exact domain before
        "john@mail.contoso.com",  # Connector 3's wildcard before: contoso.com accepts no subdomains
    ],
)
def test_centralized_mail_transport_takes_every_recipient_outside_the_organization(
    recipient: str, order: str
) -> None:
    decision = decide([*SEED, TO_PARTNER, EVERYTHING, HYBRID], recipient, order=order)

    domain = recipient.rpartition("@")[2]
    assert (chosen(decision), decision.rule, decision.reason) == (
        "Hybrid outbound",
        "centralized",
        f"centralized mail transport: {domain} isn't an accepted domain, so the message goes "
        "through your email server first",
    )


@pytest.mark.parametrize(
    ("recipient", "name"),
    [
        ("john@contoso.com", "Connector 2"),
        ("john@sales.contoso.com", "Connector 3"),
        ("john@fabrikam.com", "Connector 1"),
    ],
)
def test_recipients_in_accepted_domains_route_as_without_it(recipient: str, name: str) -> None:
    assert chosen(decide([*SEED, HYBRID], recipient)) == name


def test_a_subdomain_accepted_through_match_subdomains_is_inside_the_organization() -> None:
    domains = accepted("relay.example", match_subdomains=True)

    inside = decide([CONNECTOR_1, HYBRID], "a@eu.relay.example", domains=domains)
    outside = decide([CONNECTOR_1, HYBRID], "a@relay.example.org", domains=domains)

    assert (chosen(inside), inside.rule) == ("Connector 1", "all_accepted")
    assert (chosen(outside), outside.rule) == ("Hybrid outbound", "centralized")


def test_an_accepted_domain_no_connector_carries_is_not_sent_on_premises_by_it() -> None:
    # Bob's contoso.com mailbox is in Office 365: centralized transport doesn't touch it.
    assert decide([HYBRID], "bob@contoso.com").rule == "none"


def test_mail_that_came_from_your_server_is_not_sent_back_there() -> None:
    decision = decide([*SEED, EVERYTHING, HYBRID], "sun@gmail.com", from_on_premises=True)

    assert (chosen(decision), decision.rule) == ("All mail", "any")
    assert decide([HYBRID], "sun@gmail.com", from_on_premises=True).rule == "none"


@pytest.mark.parametrize(
    "fields",
    [
        {"enabled": False},
        {"is_transport_rule_scoped": True},
        {"connector_type": "Partner"},  # Exchange refuses the setting there; ignored if it gets in
    ],
)
def test_a_connector_selection_cant_use_gives_no_centralized_transport(
    fields: dict[str, Any],
) -> None:
    unusable = connector("Hybrid outbound", route_all_messages_via_on_premises=True, **fields)

    assert decide([*SEED, unusable], "sun@gmail.com").rule == "none"
    assert Router([unusable], SEED_ACCEPTED).centralized is None


def test_two_centralized_connectors_tie_on_the_name_that_sorts_first() -> None:
    connectors = [
        connector(name, route_all_messages_via_on_premises=True)
        for name in ("zulu", "Mike", "bravo")
    ]

    assert chosen(decide(connectors, "sun@gmail.com")) == "bravo"
    assert Router(connectors, SEED_ACCEPTED).centralized == connectors[2]


# --- properties --------------------------------------------------------------------------------

LABELS = st.sampled_from(["a", "b", "mail", "xn--bcher-kva"])
TOP_LEVEL = st.sampled_from(["com", "example"])
DOMAINS = st.builds(
    lambda labels, top: ".".join([*labels, top]),
    st.lists(LABELS, min_size=1, max_size=3),
    TOP_LEVEL,
)
PATTERNS = st.one_of(
    st.just("*"), DOMAINS, DOMAINS.map(lambda d: f"*.{d}"), TOP_LEVEL.map(lambda t: f"*.{t}")
)
CONNECTOR_SPECS = st.tuples(
    st.sampled_from(["Alpha", "alpha", "Beta", "gamma"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.lists(PATTERNS, max_size=3).map(tuple),
    st.sampled_from(["OnPremises", "Partner"]),
    # Mostly off: with one centralized connector on, every recipient outside the accepted
    # domains goes to it, and the other rules would rarely be compared.
    st.sampled_from([False, False, False, True]),
)


@st.composite
def connector_lists(draw: st.DrawFn) -> list[ConnectorFact]:
    specs = draw(st.lists(CONNECTOR_SPECS, max_size=8))
    ids = draw(st.permutations(range(len(specs))))
    return [
        ConnectorFact(
            f"{i:02}", name, enabled, not unscoped, all_accepted, patterns, kind, centralized
        )
        for i, (name, enabled, unscoped, all_accepted, patterns, kind, centralized) in zip(
            ids, specs, strict=True
        )
    ]


@given(
    connectors=connector_lists(),
    domains=st.lists(st.builds(AcceptedDomainFact, DOMAINS, st.booleans()), max_size=4),
    recipient=st.one_of(DOMAINS, DOMAINS.map(lambda d: f"User@{d.upper()}.")),
    order=st.sampled_from(ORDERS),
    from_on_premises=st.booleans(),
)
def test_the_indexed_router_decides_as_the_scan_over_every_connector_does(
    connectors: list[ConnectorFact],
    domains: list[AcceptedDomainFact],
    recipient: str,
    order: str,
    from_on_premises: bool,
) -> None:
    assert Router(connectors, domains, order).decide(
        recipient, from_on_premises=from_on_premises
    ) == naive_decide(connectors, domains, recipient, order, from_on_premises=from_on_premises)


@given(
    connectors=connector_lists(),
    domains=st.lists(st.builds(AcceptedDomainFact, DOMAINS, st.booleans()), max_size=4),
    recipient=DOMAINS,
    order=st.sampled_from(ORDERS),
)
def test_centralized_transport_changes_only_what_goes_outside_the_organization(
    connectors: list[ConnectorFact],
    domains: list[AcceptedDomainFact],
    recipient: str,
    order: str,
) -> None:
    router = Router(connectors, domains, order)
    without = Router(
        [replace(c, route_all_messages_via_on_premises=False) for c in connectors], domains, order
    )

    decision = router.decide(recipient)

    if router.accepted_as(recipient) is not None or router.centralized is None:
        before = without.decide(recipient)
        assert (decision.rule, decision.reason) == (before.rule, before.reason)
        assert (decision.connector and decision.connector.id) == (
            before.connector and before.connector.id
        )
    else:
        assert (decision.rule, decision.connector) == ("centralized", router.centralized)


def _outcome(parse: Any, text: str) -> str | None:
    try:
        return str(parse(text))
    except InvalidValue:
        return None


LDH_NAMES = st.lists(st.text("ab09-xnZ", max_size=6), min_size=1, max_size=4).map(".".join)


@given(st.one_of(LDH_NAMES, st.text("ab09-.xnZé_* ", max_size=24)))
@example("ab--cd.com")
@example("xn--bcher-kva.example")
@example("xn--abc.com")
@example("a.123")
@example("a.1-2")
@example("192.0.2.1")
@example("contoso.com.")
@example(f"{'a' * 63}.com")
@example(f"{'a' * 64}.com")
@example(".".join(["a" * 63] * 4))
@example(".".join(["a" * 63] * 3 + ["a" * 61]))
def test_the_quick_path_for_canonical_names_agrees_with_the_domain_parser(text: str) -> None:
    assert _outcome(canonical_domain, text) == _outcome(parse_domain, text)
