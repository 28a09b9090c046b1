"""The New EAC "Add a connector" wizard as data (SPEC §3): its steps, which scenarios each applies
to, and how a finished draft becomes the connector that New-OutboundConnector or
New-InboundConnector would create (eac-facts §1 and §9)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from connectors import wizard_forms as f
from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector, TlsSettings
from connectors.scenarios import ConnectorType, Endpoint

Scenario = tuple[str, str]  # (source, target), e.g. ("office365", "partner")


def outbound(s: Scenario) -> bool:
    return s[0] == Endpoint.OFFICE_365


def inbound(s: Scenario) -> bool:
    return s[1] == Endpoint.OFFICE_365 and s[0] != Endpoint.OFFICE_365


def from_partner(s: Scenario) -> bool:
    return s[0] == Endpoint.PARTNER


def always(s: Scenario) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    key: str
    rail: str  # the label in the step rail
    heading: str
    form: type[forms.Form] | None  # None: the step has its own view logic (validation, review)
    applies: Callable[[Scenario], bool]


STEPS: tuple[Step, ...] = (
    Step("scenario", "New connector", "New connector", f.ScenarioForm, always),
    Step("name", "Name", "Connector name", f.NameForm, always),
    Step("use", "Use of connector", "Use of connector", f.UseForm, outbound),
    Step("routing", "Routing", "Routing", f.RoutingForm, outbound),
    Step(
        "security",
        "Security restrictions",
        "Security restrictions",
        f.OutboundSecurityForm,
        outbound,
    ),
    Step("validation", "Validation email", "Validation email", None, outbound),
    Step(
        "identity",
        "Authenticating sent email",
        "Authenticating sent email",
        f.IdentityForm,
        inbound,
    ),
    Step(
        "inbound_security",
        "Security restrictions",
        "Security restrictions",
        f.InboundSecurityForm,
        from_partner,
    ),
    Step("review", "Review connector", "Review connector", None, always),
)
STEP_BY_KEY = {step.key: step for step in STEPS}


def scenario_of(draft: ConnectorDraft) -> Scenario | None:
    chosen = draft.data.get("scenario")
    return (
        (chosen["source"], chosen["target"]) if chosen and "scenario" in draft.completed else None
    )


def steps_for(draft: ConnectorDraft) -> list[Step]:
    """The rail: before a scenario is chosen only "New connector", then that scenario's steps."""
    scenario = scenario_of(draft)
    if scenario is None:
        return [STEPS[0]]
    return [step for step in STEPS if step.applies(scenario)]


def first_incomplete(draft: ConnectorDraft) -> Step:
    for step in steps_for(draft):
        if step.key not in draft.completed:
            return step
    return STEP_BY_KEY["review"]


def reachable(draft: ConnectorDraft, step: Step) -> bool:
    """A step can be shown once every step before it is complete."""
    steps = steps_for(draft)
    if step not in steps:
        return False
    before = steps[: steps.index(step)]
    return all(s.key in draft.completed for s in before)


def next_step(draft: ConnectorDraft, step: Step) -> Step:
    steps = steps_for(draft)
    return steps[min(steps.index(step) + 1, len(steps) - 1)]


def previous_step(draft: ConnectorDraft, step: Step) -> Step | None:
    steps = steps_for(draft)
    index = steps.index(step)
    return steps[index - 1] if index else None


def make_form(step: Step, draft: ConnectorDraft, data: Any = None) -> forms.Form:
    """The step's form, bound to posted data, or filled with what the draft already holds."""
    assert step.form is not None
    initial = draft.data.get(step.key)
    kwargs: dict[str, Any] = {"data": data, "initial": initial}
    if step.form is not f.ScenarioForm:
        source, target = scenario_of(draft) or ("", "")
        kwargs |= {"source": source, "target": target}
    return step.form(**kwargs)


def save_step(draft: ConnectorDraft, step: Step, values: dict[str, Any]) -> None:
    if step.key == "scenario" and draft.data.get("scenario") != values:
        # Another scenario has other steps: everything after step 1 must be looked at again.
        draft.completed = []
        draft.validation_run = None
        draft.proceed_without_validation = False
    draft.data = draft.data | {step.key: values}
    draft.completed = [*[k for k in draft.completed if k != step.key], step.key]
    draft.save()


def revalidate(draft: ConnectorDraft) -> dict[str, dict[str, Any]]:
    """Every step's stored values run through its form again (a draft may be old, or forged)."""
    values: dict[str, dict[str, Any]] = {}
    for step in steps_for(draft):
        if step.form is None:
            continue
        form = make_form(step, draft, data=as_post(draft.data.get(step.key, {})))
        if not form.is_valid():
            raise ValidationError(f"The {step.rail} step needs another look.", code=step.key)
        values[step.key] = form.json()  # type: ignore[attr-defined]
    return values


def as_post(values: dict[str, Any]) -> dict[str, Any]:
    """Stored values in the shape a browser posts them (lists as repeated keys, booleans as "on")."""
    from django.utils.datastructures import MultiValueDict

    data: MultiValueDict[str, Any] = MultiValueDict()
    for key, value in values.items():
        if isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = str(value)
    return data


def connector_fields(
    values: dict[str, dict[str, Any]],
) -> tuple[type[OutboundConnector] | type[InboundConnector], dict[str, Any]]:
    """The model and properties the wizard's answers create (eac-facts §1.4–1.7, §9)."""
    source, target = values["scenario"]["source"], values["scenario"]["target"]
    name = values["name"]
    common = {
        "name": name["name"],
        "comment": name.get("description", ""),
        "enabled": bool(name.get("turn_on")),
        "cloud_services_mail_enabled": bool(name.get("retain_headers")),
    }
    if source == Endpoint.OFFICE_365:
        return OutboundConnector, common | outbound_fields(values, target)
    return InboundConnector, common | inbound_fields(values, source)


def outbound_fields(values: dict[str, dict[str, Any]], target: str) -> dict[str, Any]:
    use, routing, security = values["use"], values["routing"], values["security"]
    return {
        "connector_type": ConnectorType.ON_PREMISES
        if target == Endpoint.YOUR_ORG
        else ConnectorType.PARTNER,
        "all_accepted_domains": use["use"] == f.USE_ALL_ACCEPTED,
        "is_transport_rule_scoped": use["use"] == f.USE_TRANSPORT_RULE,
        "recipient_domains": use["recipient_domains"] if use["use"] == f.USE_DOMAINS else [],
        "use_mx_record": routing["route"] == f.ROUTE_MX,
        "smart_hosts": routing["smart_hosts"] if routing["route"] == f.ROUTE_SMART_HOSTS else [],
        "tls_settings": tls_settings(security),
        "tls_domain": security["tls_domain"] if security.get("match_domain") else "",
    }


def tls_settings(security: dict[str, Any]) -> str | None:
    if not security.get("tls"):
        return None
    if security.get("certificate") == f.CERT_ANY:
        return TlsSettings.ENCRYPTION_ONLY
    return (
        TlsSettings.DOMAIN_VALIDATION
        if security.get("match_domain")
        else TlsSettings.CERTIFICATE_VALIDATION
    )


def inbound_fields(values: dict[str, dict[str, Any]], source: str) -> dict[str, Any]:
    identity = values["identity"]
    by_ip = identity["identify"] == f.IDENTIFY_IP
    if source == Endpoint.YOUR_ORG:
        # As the EAC writes them: SenderDomains *, and TLS required for the certificate option.
        return {
            "connector_type": ConnectorType.ON_PREMISES,
            "sender_domains": ["*"],
            "sender_ip_addresses": identity["sender_ips"] if by_ip else [],
            "require_tls": not by_ip,
            "tls_sender_certificate_name": "" if by_ip else identity["certificate_domain"],
        }
    security = values["inbound_security"]
    ips = list(
        dict.fromkeys([*(identity["sender_ips"] if by_ip else []), *security["restricted_ips"]])
    )
    return {
        "connector_type": ConnectorType.PARTNER,
        "sender_domains": ["*"] if by_ip else identity["sender_domains"],
        "sender_ip_addresses": ips,
        "require_tls": bool(security["require_tls"]),
        "restrict_domains_to_certificate": bool(security["restrict_to_certificate"]),
        "tls_sender_certificate_name": security["certificate_domain"]
        if security["restrict_to_certificate"]
        else "",
        "restrict_domains_to_ip_addresses": bool(security["restrict_to_ips"]),
    }


def validation_target(draft: ConnectorDraft) -> dict[str, Any]:
    """The settings a draft's validation runs against (the steps before Validation email)."""
    values = {key: draft.data[key] for key in ("scenario", "name", "use", "routing", "security")}
    _, fields = connector_fields(values)
    from validation.services import TARGET_FIELDS

    return {key: fields.get(key) for key in TARGET_FIELDS}


def preview(draft: ConnectorDraft) -> OutboundConnector | InboundConnector:
    """An unsaved connector with the draft's settings, for the review page's summaries."""
    values = {
        key: draft.data[key] for key in draft.data if key in {s.key for s in steps_for(draft)}
    }
    model, fields = connector_fields(values)
    return model(tenant=draft.tenant, **fields)
