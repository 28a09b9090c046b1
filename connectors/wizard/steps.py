"""The New EAC "Add a connector" wizard as data: its steps, which scenarios each applies to, and
how a finished draft becomes the connector that New-OutboundConnector or New-InboundConnector
would create
(https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/set-up-connectors-to-route-mail,
https://learn.microsoft.com/en-us/powershell/module/exchange/new-outboundconnector,
https://learn.microsoft.com/en-us/powershell/module/exchange/new-inboundconnector).
What a request does with them is `connectors.wizard.engine`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict

from connectors.endpoints import ConnectorType, Endpoint
from connectors.models import ConnectorDraft, InboundConnector, OutboundConnector, TlsSettings
from connectors.wizard import forms as f
from connectors.wizard.answers import (
    Answers,
    IdentityAnswers,
    InboundSecurityAnswers,
    NameAnswers,
    RoutingAnswers,
    SecurityAnswers,
    StepAnswers,
    UseAnswers,
    ValidationAnswers,
    answers_in,
    as_answers,
    with_step,
)
from eac.models import Tenant

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
    form: type[f.AnswerForm] | None  # None: the engine has its own answer (validation, review)
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
SCENARIOS: tuple[Scenario, ...] = (
    (Endpoint.OFFICE_365, Endpoint.YOUR_ORG),
    (Endpoint.OFFICE_365, Endpoint.PARTNER),
    (Endpoint.YOUR_ORG, Endpoint.OFFICE_365),
    (Endpoint.PARTNER, Endpoint.OFFICE_365),
)


def scenarios_of(step: Step) -> list[str]:
    """The scenarios ("source:target") whose rail has this step."""
    return [f"{source}:{target}" for source, target in SCENARIOS if step.applies((source, target))]


def chosen_on_step_one(values: Mapping[str, object]) -> str:
    """The scenario ("source:target") that step 1's answers make, by its own form's rules, or
    "" before a choice."""
    form = f.ScenarioForm(data=values)
    if not form.is_valid():
        return ""
    return "{source}:{target}".format(**form.json())


def scenario_of(draft: ConnectorDraft) -> Scenario | None:
    chosen = answers_in(draft).get("scenario")
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


def make_form(step: Step, draft: ConnectorDraft, data: QueryDict | None = None) -> f.AnswerForm:
    """The step's form, bound to posted data, or filled with what the draft already holds."""
    source, target = scenario_of(draft) or ("", "")
    return step_form(
        step,
        data=data,
        initial=draft.data.get(step.key),
        scenario=(source, target),
        tenant=draft.tenant,
        connector_id=draft.editing_connector_id,
    )


def step_form(
    step: Step,
    *,
    data: QueryDict | None,
    initial: Mapping[str, object] | None,
    scenario: Scenario,
    tenant: Tenant,
    connector_id: uuid.UUID | None,
) -> f.AnswerForm:
    """A step's form for a scenario: the wizard's, or an edit page's for a saved connector (whose
    name it doesn't count as taken)."""
    form_class = step.form
    assert form_class is not None, f"The {step.key} step has no form."
    filled = dict(initial) if initial is not None else None
    if not issubclass(form_class, f.StepForm):
        return form_class(data=data, initial=filled)  # step 1 chooses the scenario
    source, target = scenario
    return form_class(
        data=data,
        initial=filled,
        source=source,
        target=target,
        tenant=tenant,
        connector_id=connector_id,
    )


def save_step(draft: ConnectorDraft, step: Step, values: StepAnswers) -> None:
    if step.key == "scenario" and draft.data.get("scenario") != values:
        # Another scenario has other steps: everything after step 1 must be looked at again.
        draft.completed = []
        draft.validation_run = None
        draft.proceed_without_validation = False
    draft.data = draft.data | {step.key: values}
    draft.completed = [*[k for k in draft.completed if k != step.key], step.key]
    # Only what a step changes: a second request that read the draft earlier (a double click)
    # must not write back what the first one recorded since, such as the connector it made.
    draft.save(
        update_fields=[
            "data",
            "completed",
            "validation_run",
            "proceed_without_validation",
            "changed_at",
        ]
    )


def revalidate(draft: ConnectorDraft) -> Answers:
    """Every step's stored values run through its form again (a draft may be old, or forged)."""
    values: dict[str, StepAnswers] = {}
    for step in steps_for(draft):
        if step.form is None:
            continue
        form = make_form(step, draft, data=as_post(draft.data.get(step.key, {})))
        if not form.is_valid():
            # The step's own messages (a name taken meanwhile, say); the code names the step.
            messages = [str(m) for errors in form.errors.values() for m in errors]
            raise ValidationError(" ".join(messages), code=step.key)
        values[step.key] = form.json()
    return as_answers(values)


def step_to_fix(draft: ConnectorDraft, error: ValidationError) -> Step:
    """The step whose answers a refusal at Create is about: the name for a name taken meanwhile,
    the step `revalidate` names, else the first step of the scenario."""
    if hasattr(error, "error_dict") and "name" in error.error_dict:
        return STEP_BY_KEY["name"]
    return STEP_BY_KEY.get(str(getattr(error, "code", "")), steps_for(draft)[0])


def as_post(values: StepAnswers | dict[str, Any]) -> QueryDict:
    """Stored values in the shape a browser posts them (lists as repeated keys, booleans as "on")."""
    data = QueryDict(mutable=True)
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
    values: Answers,
) -> tuple[type[OutboundConnector] | type[InboundConnector], dict[str, Any]]:
    """The model and properties the wizard's answers create, named as New-OutboundConnector and
    New-InboundConnector name them."""
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


def outbound_fields(values: Answers, target: str) -> dict[str, Any]:
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


def tls_settings(security: SecurityAnswers) -> str | None:
    if not security.get("tls"):
        return None
    if security.get("certificate") == f.CERT_ANY:
        return TlsSettings.ENCRYPTION_ONLY
    return (
        TlsSettings.DOMAIN_VALIDATION
        if security.get("match_domain")
        else TlsSettings.CERTIFICATE_VALIDATION
    )


def inbound_fields(values: Answers, source: str) -> dict[str, Any]:
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
    keys = ("scenario", "name", "use", "routing", "security")
    _, fields = connector_fields(as_answers({key: draft.data[key] for key in keys}))
    from validation.services import TARGET_FIELDS

    return {key: fields.get(key) for key in TARGET_FIELDS}


def preview(draft: ConnectorDraft) -> OutboundConnector | InboundConnector:
    """An unsaved connector with the draft's settings, for the review page's summaries."""
    keys = {s.key for s in steps_for(draft)}
    model, fields = connector_fields(
        as_answers({key: value for key, value in draft.data.items() if key in keys})
    )
    return model(tenant=draft.tenant, **fields)


# --- Editing a saved connector: the details panel's "Edit …" pages reuse the steps above ------


def connector_scenario(connector: OutboundConnector | InboundConnector) -> Scenario:
    return (connector.source_endpoint.value, connector.target_endpoint.value)


def step_values_of(connector: OutboundConnector | InboundConnector, key: str) -> StepAnswers:
    """A step's values as the wizard would have stored them for this saved connector: the
    inverse of `connector_fields`, so an edit page opens filled with the current settings.
    KeyError for a step the connector's scenario doesn't have."""
    if key == "scenario":
        source, target = connector_scenario(connector)
        return {"source": source, "target": target}
    if key == "name":
        return name_values(connector)
    if isinstance(connector, OutboundConnector) and key in _OUTBOUND_STEP_VALUES:
        return _OUTBOUND_STEP_VALUES[key](connector)
    if isinstance(connector, InboundConnector) and key == "identity":
        return _identity_values(connector)
    if (
        isinstance(connector, InboundConnector)
        and key == "inbound_security"
        and connector.connector_type == ConnectorType.PARTNER
    ):
        return _inbound_security_values(connector)
    raise KeyError(f"A {connector.direction} connector has no {key} step.")


def name_values(connector: OutboundConnector | InboundConnector) -> NameAnswers:
    return {
        "name": connector.name,
        "description": connector.comment,
        "turn_on": connector.enabled,
        "retain_headers": connector.cloud_services_mail_enabled,
    }


def _use_values(connector: OutboundConnector) -> UseAnswers:
    # The order the summaries read them in: a transport rule scope wins over everything else.
    if connector.is_transport_rule_scoped:
        use = f.USE_TRANSPORT_RULE
    elif connector.all_accepted_domains:
        use = f.USE_ALL_ACCEPTED
    else:
        use = f.USE_DOMAINS
    domains = list(connector.recipient_domains) if use == f.USE_DOMAINS else []
    return {"use": use, "recipient_domains": domains}


def _routing_values(connector: OutboundConnector) -> RoutingAnswers:
    if connector.use_mx_record:
        return {"route": f.ROUTE_MX, "smart_hosts": []}
    return {"route": f.ROUTE_SMART_HOSTS, "smart_hosts": list(connector.smart_hosts)}


def _security_values(connector: OutboundConnector) -> SecurityAnswers:
    if connector.tls_settings is None:
        return {"tls": False, "certificate": "", "match_domain": False, "tls_domain": ""}
    if connector.tls_settings == TlsSettings.ENCRYPTION_ONLY:
        return {"tls": True, "certificate": f.CERT_ANY, "match_domain": False, "tls_domain": ""}
    matches = connector.tls_settings == TlsSettings.DOMAIN_VALIDATION
    return {
        "tls": True,
        "certificate": f.CERT_TRUSTED_CA,
        "match_domain": matches,
        "tls_domain": connector.tls_domain if matches else "",
    }


def _validation_values(connector: OutboundConnector) -> ValidationAnswers:
    return {"recipients": list(connector.validation_recipients)}


_OUTBOUND_STEP_VALUES: dict[str, Callable[[OutboundConnector], StepAnswers]] = {
    "use": _use_values,
    "routing": _routing_values,
    "security": _security_values,
    "validation": _validation_values,
}


def _identity_values(connector: InboundConnector) -> IdentityAnswers:
    ips = list(connector.sender_ip_addresses)
    if connector.connector_type == ConnectorType.ON_PREMISES:
        if connector.tls_sender_certificate_name:
            return {
                "identify": f.IDENTIFY_CERTIFICATE,
                "certificate_domain": connector.tls_sender_certificate_name,
                "sender_ips": [],
            }
        return {"identify": f.IDENTIFY_IP, "certificate_domain": "", "sender_ips": ips}
    # A partner identified by IP address gets SenderDomains * (see inbound_fields).
    if connector.sender_domains == ["*"] and ips:
        return {"identify": f.IDENTIFY_IP, "sender_domains": [], "sender_ips": ips}
    return {
        "identify": f.IDENTIFY_DOMAINS,
        "sender_domains": list(connector.sender_domains),
        "sender_ips": [],
    }


def _inbound_security_values(connector: InboundConnector) -> InboundSecurityAnswers:
    by_certificate = connector.restrict_domains_to_certificate
    by_ip = connector.restrict_domains_to_ip_addresses
    return {
        "require_tls": connector.require_tls,
        "restrict_to_certificate": by_certificate,
        "certificate_domain": connector.tls_sender_certificate_name if by_certificate else "",
        "restrict_to_ips": by_ip,
        "restricted_ips": list(connector.sender_ip_addresses) if by_ip else [],
    }


def edit_steps(connector: OutboundConnector | InboundConnector) -> list[Step]:
    """The steps an edit page can show for this connector (its scenario's form steps)."""
    scenario = connector_scenario(connector)
    return [
        step
        for step in STEPS
        if step.form is not None and step.key != "scenario" and step.applies(scenario)
    ]


def answers_of(connector: OutboundConnector | InboundConnector) -> Answers:
    """Every step's values for a saved connector, as a finished draft would hold them."""
    keys = ["scenario", *(step.key for step in edit_steps(connector))]
    return as_answers({key: step_values_of(connector, key) for key in keys})


def edited_fields(
    connector: OutboundConnector | InboundConnector, key: str, values: StepAnswers
) -> dict[str, Any]:
    """The properties an edit of one step changes: the connector's answers with that step's
    values swapped in, through `connector_fields`, compared with its answers as they are. Only
    what differs is returned, so a property the wizard can't express (set with PowerShell)
    stays as it is unless the edited step rewrites it."""
    answers = answers_of(connector)
    _, before = connector_fields(answers)
    _, after = connector_fields(with_step(answers, key, values))
    return {field: value for field, value in after.items() if before.get(field) != value}
