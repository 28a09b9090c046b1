"""One form per wizard step of the New EAC's "Add a connector"
(https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/use-connectors-to-configure-mail-flow/set-up-connectors-to-route-mail).
The edit pages of the details panel and the Classic window reuse them, so a rule lives in one
place. Labels are the EAC's own. Each form's `json()` is its step's answers as the draft keeps
them (`connectors.wizard.answers`)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from connectors.endpoints import Endpoint
from connectors.models import COMMENT_MAX_LENGTH
from connectors.services import connector_name_taken
from connectors.wizard.answers import (
    IdentityAnswers,
    InboundSecurityAnswers,
    NameAnswers,
    RoutingAnswers,
    ScenarioAnswers,
    SecurityAnswers,
    StepAnswers,
    UseAnswers,
)
from eac.formfields import ParsedField, ValueListField
from eac.models import Tenant
from eac.values import (
    parse_connector_name,
    parse_domain_pattern,
    parse_sender_ip,
    parse_smart_host,
    parse_tls_certificate_domain,
)

DOMAIN_PLACEHOLDER = "Example: * or *.contoso.com or *.com"
IP_PLACEHOLDER = "Example: 10.5.3.2 or 10.3.1.5/24"
CERTIFICATE_PLACEHOLDER = "Example: contoso.com or *.contoso.com"


def certificate_domain_field() -> ParsedField:
    """The box for a certificate's domain, as the outbound and inbound security steps show it."""
    return ParsedField(
        parser=parse_tls_certificate_domain,
        label="Certificate domain",
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": CERTIFICATE_PLACEHOLDER}),
    )


Choices = list[tuple[str, str]]


class AnswerForm(forms.Form):
    """A wizard step's form."""

    def json(self) -> StepAnswers:
        """The cleaned values as the draft keeps them."""
        raise NotImplementedError

    def choice_field(self, name: str) -> forms.ChoiceField:
        """One of its radio groups, whose options a scenario (or the Classic window) narrows."""
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


class StepForm(AnswerForm):
    """A step's form. The scenario (from → to) tells it which of its options apply; `tenant`
    and `connector_id` (the connector being edited, if any) let it check names against the
    tenant's other connectors."""

    def __init__(
        self,
        *args: Any,
        source: str,
        target: str,
        tenant: Tenant | None = None,
        connector_id: uuid.UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self.source, self.target = source, target
        self.tenant, self.connector_id = tenant, connector_id
        # To build a sibling form (after a + or a delete icon).
        self.scenario_kwargs = {
            "source": source,
            "target": target,
            "tenant": tenant,
            "connector_id": connector_id,
        }
        super().__init__(*args, **kwargs)

    @property
    def to_partner(self) -> bool:
        return self.target == Endpoint.PARTNER

    @property
    def from_partner(self) -> bool:
        return self.source == Endpoint.PARTNER

    @property
    def your_org(self) -> bool:
        return Endpoint.YOUR_ORG in (self.source, self.target)


class ScenarioForm(AnswerForm):
    """Step 1, "New connector": Connection from, then Connection to (which follows from it)."""

    source = forms.ChoiceField(
        label="Connection from",
        choices=[
            (e.value, e.label) for e in (Endpoint.OFFICE_365, Endpoint.YOUR_ORG, Endpoint.PARTNER)
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the mail comes from."},
    )
    target = forms.ChoiceField(
        label="Connection to",
        choices=[
            (e.value, e.label) for e in (Endpoint.YOUR_ORG, Endpoint.PARTNER, Endpoint.OFFICE_365)
        ],
        widget=forms.RadioSelect,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        if source in (Endpoint.YOUR_ORG, Endpoint.PARTNER):
            data["target"] = Endpoint.OFFICE_365  # the only choice, shown selected and disabled
        elif source == Endpoint.OFFICE_365 and data.get("target") not in (
            Endpoint.YOUR_ORG,
            Endpoint.PARTNER,
        ):
            data["target"] = Endpoint.YOUR_ORG  # pre-selected, as in the EAC
        return data

    def json(self) -> ScenarioAnswers:
        return {"source": self.cleaned_data["source"], "target": self.cleaned_data["target"]}


class NameForm(StepForm):
    name = ParsedField(
        parser=parse_connector_name,
        label="Name",
        max_length=200,
        error_messages={"required": "Enter a name."},
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    turn_on = forms.BooleanField(label="Turn it on", required=False, initial=True)
    retain_headers = forms.BooleanField(
        label="Retain internal Exchange email headers (recommended)", required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.your_org:
            del self.fields["retain_headers"]  # only for connectors with your own email server

    def clean_name(self) -> str:
        """Refused here, at the step where it is typed; Create checks again in its transaction."""
        name: str = self.cleaned_data["name"]
        if self.tenant is not None and connector_name_taken(
            tenant=self.tenant, name=name, exclude_id=self.connector_id
        ):
            raise forms.ValidationError(f"A connector named {name} already exists.", code="taken")
        return name

    def json(self) -> NameAnswers:
        # A partner connector's page doesn't show the box: what it held stays (PowerShell may
        # have set it), and a new partner connector doesn't retain the headers.
        data = self.cleaned_data
        shown = "retain_headers" in self.fields
        retain = data.get("retain_headers") if shown else self.initial.get("retain_headers")
        return {
            "name": data["name"],
            "description": data["description"],
            "turn_on": data["turn_on"],
            "retain_headers": bool(retain),
        }


USE_ALL_ACCEPTED = "all_accepted_domains"
USE_TRANSPORT_RULE = "transport_rule"
USE_DOMAINS = "domains"


USE_CHOICES: Choices = [
    (USE_ALL_ACCEPTED, "For email messages sent to all accepted domains in your organization"),
    (
        USE_TRANSPORT_RULE,
        "Only when I have a transport rule set up that redirects messages to this connector",
    ),
    (USE_DOMAINS, "Only when email messages are sent to these domains"),
]


class UseForm(StepForm):
    use = forms.ChoiceField(
        label="Specify when you want to use this connector.",
        choices=USE_CHOICES,
        widget=forms.RadioSelect,
        initial=USE_ALL_ACCEPTED,
        error_messages={"required": "Choose when to use this connector."},
    )
    recipient_domains = ValueListField(
        parser=parse_domain_pattern,
        label="Domains",
        add_label="Add domain",
        placeholder=DOMAIN_PLACEHOLDER,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uses = USE_CHOICES
        if self.to_partner:  # "all accepted domains" is only for your own email server
            self.uses = [c for c in USE_CHOICES if c[0] != USE_ALL_ACCEPTED]
            field = self.choice_field("use")
            field.choices = self.uses
            field.initial = USE_TRANSPORT_RULE

    def put_transport_rule_first(self) -> None:
        """The Classic window's order of the options."""
        uses = sorted(self.uses, key=lambda choice: choice[0] != USE_TRANSPORT_RULE)
        self.choice_field("use").choices = uses

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("use") == USE_DOMAINS
            and not data.get("recipient_domains")
            and "recipient_domains" not in self.errors
        ):
            self.add_error("recipient_domains", "Add at least one domain with the + button.")
        if data.get("use") != USE_DOMAINS:
            data["recipient_domains"] = []
        return data

    def json(self) -> UseAnswers:
        data = self.cleaned_data
        return {"use": data["use"], "recipient_domains": data["recipient_domains"]}


ROUTE_MX = "mx"
ROUTE_SMART_HOSTS = "smart_hosts"


class RoutingForm(StepForm):
    route = forms.ChoiceField(
        label="How do you want to route email messages?",
        choices=[
            (ROUTE_MX, "Use the MX record associated with the partner's domain"),
            (ROUTE_SMART_HOSTS, "Route email through these smart hosts"),
        ],
        widget=forms.RadioSelect,
        initial=ROUTE_MX,
        required=False,
    )
    smart_hosts = ValueListField(
        parser=parse_smart_host,
        label="Smart hosts",
        add_label="Add smart host",
        placeholder="Example: myhost.contoso.com or 192.168.3.2",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.to_partner:
            del self.fields["route"]  # your own server is always reached through smart hosts

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        route = data.get("route") or ROUTE_SMART_HOSTS
        if not self.to_partner:
            route = ROUTE_SMART_HOSTS
        data["route"] = route
        if (
            route == ROUTE_SMART_HOSTS
            and not data.get("smart_hosts")
            and "smart_hosts" not in self.errors
        ):
            self.add_error("smart_hosts", "Add at least one smart host with the + button.")
        if route == ROUTE_MX:
            data["smart_hosts"] = []
        return data

    def json(self) -> RoutingAnswers:
        return {
            "route": self.cleaned_data["route"],
            "smart_hosts": self.cleaned_data["smart_hosts"],
        }


CERT_ANY = "any"
CERT_TRUSTED_CA = "trusted_ca"


class OutboundSecurityForm(StepForm):
    tls = forms.BooleanField(
        label="Always use Transport Layer Security (TLS) to secure the connection (recommended)",
        required=False,
        initial=True,
    )
    certificate = forms.ChoiceField(
        label="Connect only if the recipient's email server certificate matches this criteria",
        choices=[
            (CERT_ANY, "Any digital certificate, including self-signed certificates"),
            (CERT_TRUSTED_CA, "Issued by a trusted certificate authority (CA)"),
        ],
        widget=forms.RadioSelect,
        initial=CERT_TRUSTED_CA,
        required=False,
    )
    match_domain = forms.BooleanField(
        label="And the subject name or subject alternative name (SAN) matches this domain name:",
        required=False,
    )
    tls_domain = certificate_domain_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("tls"):
            return {"tls": False, "certificate": "", "match_domain": False, "tls_domain": ""}
        if data.get("certificate") not in (CERT_ANY, CERT_TRUSTED_CA):
            self.add_error("certificate", "Choose which certificates to accept.")
        if data.get("certificate") != CERT_TRUSTED_CA:
            data["match_domain"] = False
        if data.get("match_domain"):
            if not data.get("tls_domain") and "tls_domain" not in self.errors:
                self.add_error("tls_domain", "Enter the domain name the certificate must match.")
        else:
            data["tls_domain"] = ""
        return data

    def json(self) -> SecurityAnswers:
        data = self.cleaned_data
        return {
            "tls": data["tls"],
            "certificate": data["certificate"],
            "match_domain": data["match_domain"],
            "tls_domain": data["tls_domain"],
        }


IDENTIFY_CERTIFICATE = "certificate"
IDENTIFY_DOMAINS = "domains"
IDENTIFY_IP = "ip"


class IdentityForm(StepForm):
    """ "Authenticating sent email": how Office 365 recognises mail from your server or partner."""

    identify = forms.ChoiceField(
        widget=forms.RadioSelect, error_messages={"required": "Choose how to identify the sender."}
    )
    certificate_domain = certificate_domain_field()
    sender_domains = ValueListField(
        parser=parse_domain_pattern,
        label="Sender domains",
        add_label="Add domain",
        placeholder=DOMAIN_PLACEHOLDER,
    )
    sender_ips = ValueListField(
        parser=parse_sender_ip,
        label="IP addresses",
        add_label="Add IP address",
        placeholder=IP_PLACEHOLDER,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.choice_field("identify")
        if self.from_partner:
            field.label = "How do you want Office 365 to identify your partner organization?"
            field.choices = [
                (
                    IDENTIFY_DOMAINS,
                    "By verifying that the sender domain matches one of the following domains",
                ),
                (
                    IDENTIFY_IP,
                    "By verifying that the IP address of the sending server matches one of the following IP addresses, which belong to your partner organization",
                ),
            ]
            field.initial = IDENTIFY_DOMAINS
            del self.fields["certificate_domain"]
        else:
            field.label = "How should Office 365 identify email from your email server?"
            field.choices = [
                (
                    IDENTIFY_CERTIFICATE,
                    "By verifying that the subject name on the certificate that the sending server uses to authenticate with Office 365 matches the domain entered in the text box below (recommended)",
                ),
                (
                    IDENTIFY_IP,
                    "By verifying that the IP address of the sending server matches one of the following IP addresses, which belong exclusively to your organization",
                ),
            ]
            field.initial = IDENTIFY_CERTIFICATE
            del self.fields["sender_domains"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        identify = data.get("identify")
        required = {
            IDENTIFY_CERTIFICATE: "certificate_domain",
            IDENTIFY_DOMAINS: "sender_domains",
            IDENTIFY_IP: "sender_ips",
        }
        needed = required.get(identify or "")
        if needed and not data.get(needed) and needed not in self.errors:
            message = (
                "Enter the certificate's domain name."
                if needed == "certificate_domain"
                else "Add at least one value with the + button."
            )
            self.add_error(needed, message)
        for kind, field in required.items():
            if kind != identify and field in self.fields:
                data[field] = "" if field == "certificate_domain" else []
        return data

    def json(self) -> IdentityAnswers:
        data = self.cleaned_data
        answers: IdentityAnswers = {"identify": data["identify"]}
        if self.from_partner:
            answers["sender_domains"] = data["sender_domains"]
        else:
            answers["certificate_domain"] = data["certificate_domain"]
        answers["sender_ips"] = data["sender_ips"]
        return answers


class InboundSecurityForm(StepForm):
    """Partner → Office 365 "Security restrictions"."""

    require_tls = forms.BooleanField(
        label="Reject email messages if they aren't sent over TLS", required=False, initial=True
    )
    restrict_to_certificate = forms.BooleanField(
        label="And require that the subject name on the certificate that the partner uses to authenticate with Office 365 matches this domain name",
        required=False,
    )
    certificate_domain = certificate_domain_field()
    restrict_to_ips = forms.BooleanField(
        label="Reject email messages if they aren't sent from within this IP address range",
        required=False,
    )
    restricted_ips = ValueListField(
        parser=parse_sender_ip,
        label="IP address range",
        add_label="Add IP address",
        placeholder=IP_PLACEHOLDER,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("require_tls"):
            data["restrict_to_certificate"] = False  # the certificate option sits under TLS
        if data.get("restrict_to_certificate"):
            if not data.get("certificate_domain") and "certificate_domain" not in self.errors:
                self.add_error(
                    "certificate_domain",
                    "Enter the domain name the partner's certificate must match.",
                )
        else:
            data["certificate_domain"] = ""
        if data.get("restrict_to_ips"):
            if not data.get("restricted_ips") and "restricted_ips" not in self.errors:
                self.add_error("restricted_ips", "Add at least one IP address with the + button.")
        else:
            data["restricted_ips"] = []
        return data

    def json(self) -> InboundSecurityAnswers:
        data = self.cleaned_data
        return {
            "require_tls": data["require_tls"],
            "restrict_to_certificate": data["restrict_to_certificate"],
            "certificate_domain": data["certificate_domain"],
            "restrict_to_ips": data["restrict_to_ips"],
            "restricted_ips": data["restricted_ips"],
        }
