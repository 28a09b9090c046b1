"""Random and hostile values in every field of the console's main forms: no answer is a server
error, and whatever was saved is whole and valid (what every model's full_clean accepts).

The browser error matrix (tests/e2e/test_error_matrix.py) checks the messages a person sees for
each mistake; this looks for the mistakes nobody thought of. Bounded: a few dozen examples per
form, no deadline (the machines are shared)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector
from eac.models import AcceptedDomain, Tenant

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "mail.contoso.com\r\nRCPT TO:<x@evil.example>",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "x" * 5000,
    "a" * 64 + "." + "b" * 64 + ".com",
    "😀.example",
    "xn--",
    "*",
    "*.",
    "*.*.com",
    "[::1]",
    "127.0.0.1",
    "0x7f.1",
    "2130706433",
    "mail.contoso.com:25",
    "../../etc/passwd",
    "%00",
    "\u202e",
    "-1",
    "99999999999999999999999",
]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=80))
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def everything_saved_is_valid(tenant: Tenant) -> None:
    for model in (OutboundConnector, InboundConnector, AcceptedDomain):
        for row in model.objects.filter(tenant=tenant):
            row.full_clean(validate_unique=False, validate_constraints=False)


def answered(response: Any) -> None:
    assert response.status_code < 500, response.status_code


def wizard_at(client: Client, key: str) -> str:
    """The URL of step `key` of a new outbound draft with every step before it answered."""
    client.post(reverse("connectors:wizard_start"))
    draft = ConnectorDraft.objects.latest("created_at")
    before: list[tuple[str, dict[str, Any]]] = [
        ("scenario", {"source": "office365", "target": "your_org"}),
        ("name", {"name": f"Fuzz {draft.pk}", "turn_on": "on"}),
        ("use", {"use": "domains", "recipient_domains": ["contoso.com"]}),
        ("routing", {"smart_hosts": ["mail.contoso.com"]}),
    ]
    for step, data in before:
        if step == key:
            break
        url = reverse("connectors:wizard_step", args=[draft.pk, step])
        assert client.post(url, {"action": "next", **data}).status_code == 302
    return reverse("connectors:wizard_step", args=[draft.pk, key])


WIZARD_FIELDS = {
    "name": ["name", "description", "turn_on", "retain_headers"],
    "use": ["use", "recipient_domains", "recipient_domains_new"],
    "routing": ["route", "smart_hosts", "smart_hosts_new"],
    "security": ["tls", "certificate", "match_domain", "tls_domain"],
}


@pytest.mark.parametrize("key", list(WIZARD_FIELDS))
def test_wizard_steps_answer_any_value_without_a_server_error(
    admin_client_: Client, contoso: Tenant, key: str
) -> None:
    url = wizard_at(admin_client_, key)
    fields = WIZARD_FIELDS[key]

    def check(values: list[str], action: str) -> None:
        answered(
            admin_client_.post(url, dict(zip(fields, values, strict=True)) | {"action": action})
        )
        everything_saved_is_valid(contoso)

    for hostile in HOSTILE:  # each known-bad value in every field, then random ones
        check([hostile] * len(fields), "next")
    actions = ["next", "back", "add:recipient_domains", "remove:0", "", "\x00"]
    given(
        values=st.lists(VALUE, min_size=len(fields), max_size=len(fields)),
        action=st.sampled_from(actions),
    )(FUZZ(check))()


FORMS: dict[str, Callable[[Client, dict[str, str]], Any]] = {
    "accepted domain add": lambda c, d: c.post(reverse("accepted_domain_add"), d),
    "explorer": lambda c, d: c.get(reverse("explorer"), d),
    "connectors list": lambda c, d: c.get(reverse("connectors:list"), d),
    "connectors list (htmx table)": lambda c, d: c.get(
        reverse("connectors:list"),
        d,
        headers={"HX-Request": "true", "HX-Target": "connector-table"},
    ),
    "import preview": lambda c, d: c.post(reverse("connectors:import"), d | {"action": "preview"}),
    "message trace": lambda c, d: c.get(reverse("lab:trace"), d),
    "message trace (custom range, htmx results)": lambda c, d: c.get(
        reverse("lab:trace"),
        d | {"time_range": "custom"},
        headers={"HX-Request": "true", "HX-Target": "trace-results"},
    ),
}
FIELDS = {
    "accepted domain add": ["name", "domain_type", "match_subdomains"],
    "explorer": ["sender", "recipient"],
    "connectors list": ["q", "sort", "desc", "limit", "checks"],
    "connectors list (htmx table)": ["q", "sort", "desc", "limit"],
    "import preview": ["domains_json", "outbound_json", "inbound_json", "bundle_json", "replace"],
    "message trace": ["senders", "recipients", "time_range", "start_date", "end_date", "status"],
    "message trace (custom range, htmx results)": [
        "senders",
        "recipients",
        "start_date",
        "end_date",
        "status",
        "limit",
    ],
}


@pytest.mark.parametrize("form", list(FORMS))
def test_forms_answer_any_value_without_a_server_error(
    admin_client_: Client, contoso: Tenant, form: str
) -> None:
    fields = FIELDS[form]

    def check(values: list[str]) -> None:
        answered(FORMS[form](admin_client_, dict(zip(fields, values, strict=True))))
        everything_saved_is_valid(contoso)

    for hostile in HOSTILE:  # each known-bad value in every field, then random ones
        check([hostile] * len(fields))
    given(values=st.lists(VALUE, min_size=len(fields), max_size=len(fields)))(FUZZ(check))()


@FUZZ
@given(username=VALUE, password=VALUE)
def test_sign_in_answers_any_value_without_a_server_error(
    client: Client, contoso: Tenant, username: str, password: str
) -> None:
    answered(client.post(reverse("signin"), {"username": username, "password": password}))
