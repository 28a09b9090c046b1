"""Real connector validations (validation.probe.run_probe) against the running lab: its DNS, its
SMTP servers, its CA; what it receives lands in the right tenant's lab mailbox."""

from __future__ import annotations

import smtplib

import pytest

from eac import services as eac_services
from eac.models import Tenant
from lab.models import LabMessage
from lab.scripted import tls10_supported
from lab.server import Lab
from tests.lab.conftest import eventually, validate
from validation.probe import (
    CANNOT_CONNECT,
    CERTIFICATE_VALIDATION_FAILED,
    CLOSED_ABRUPTLY,
    CONNECTION_REFUSED,
    CONNECTION_TIMED_OUT,
    RUN_HEADER,
    TEST_SUBJECT,
    ProbeOutcome,
    TaskName,
    TaskResult,
    TaskStatus,
    TlsMode,
)

pytestmark = pytest.mark.django_db(transaction=True)


def task(outcome: ProbeOutcome, name: TaskName) -> TaskResult:
    return next(t for t in outcome.tasks if t.name == name)


def test_a_good_smart_host_validates_and_the_test_email_lands_in_the_tenants_mailbox(
    lab: Lab, contoso: Tenant, fabrikam: Tenant
) -> None:
    outcome = validate(lab, "mail.contoso.com", run_id="run-for-contoso")

    assert outcome.succeeded, outcome.transcript
    certificate = task(outcome, TaskName.TLS).certificate
    assert certificate is not None
    assert certificate.name_matched is True
    message = LabMessage.objects.get()
    assert message.tenant == contoso
    assert message.rcpt_tos == ["john@contoso.com"]
    assert message.mail_from == "O365ConnectorValidation@contoso.onmicrosoft.com"
    assert message.subject == TEST_SUBJECT
    assert message.validation_run == "run-for-contoso"
    assert f"{RUN_HEADER}: run-for-contoso" in message.headers
    assert "This message was sent" not in message.headers  # the header block only
    assert message.message_id.startswith("<")
    assert message.message_id.endswith(">")
    assert message.size > len(message.headers)
    assert (message.behaviour, message.server_address) == ("good", "127.0.0.1")
    assert message.tls_version.startswith("TLSv1.")
    assert not LabMessage.objects.filter(tenant=fabrikam).exists()


def test_a_wrongname_host_fails_domain_validation_with_4_7_320(lab: Lab) -> None:
    outcome = validate(lab, "wrongname.contoso.com")

    tls = task(outcome, TaskName.TLS)
    assert tls.status is TaskStatus.FAILED
    assert tls.error == CERTIFICATE_VALIDATION_FAILED
    assert tls.certificate is not None
    assert tls.certificate.sans == ("mail.wrong-name.example",)
    assert not LabMessage.objects.exists()


@pytest.mark.parametrize("host", ["selfsigned.contoso.com", "expired.contoso.com"])
def test_an_untrusted_certificate_fails_certificate_validation_with_4_7_320(
    lab: Lab, host: str
) -> None:
    outcome = validate(lab, host, tls_mode=TlsMode.CERTIFICATE_VALIDATION)

    tls = task(outcome, TaskName.TLS)
    assert (tls.status, tls.error) == (TaskStatus.FAILED, CERTIFICATE_VALIDATION_FAILED)


def test_a_nostarttls_host_fails_when_tls_is_required_with_4_4_317(lab: Lab) -> None:
    outcome = validate(lab, "nostarttls.contoso.com", tls_mode=TlsMode.CERTIFICATE_VALIDATION)

    tls = task(outcome, TaskName.TLS)
    assert tls.status is TaskStatus.FAILED
    assert tls.error.startswith(CANNOT_CONNECT)
    assert "STARTTLS" in tls.error


def test_a_nostarttls_host_takes_the_test_email_unencrypted_when_tls_is_not_required(
    lab: Lab, contoso: Tenant
) -> None:
    outcome = validate(lab, "nostarttls.contoso.com", tls_mode=TlsMode.OPPORTUNISTIC)

    assert outcome.succeeded, outcome.transcript
    message = LabMessage.objects.get(tenant=contoso)
    assert (message.behaviour, message.server_address, message.tls_version) == (
        "nostarttls",
        "127.0.0.2",
        "",
    )


def test_a_refused_host_fails_to_connect_with_4_4_316(lab: Lab) -> None:
    outcome = validate(lab, "refused.contoso.com")

    connect = task(outcome, TaskName.CONNECT)
    assert (connect.status, connect.error) == (TaskStatus.FAILED, CONNECTION_REFUSED)


def test_a_rejectrcpt_host_passes_every_check_but_the_test_email_which_gets_550(
    lab: Lab,
) -> None:
    outcome = validate(lab, "rejectrcpt.contoso.com")

    assert task(outcome, TaskName.TLS).status is TaskStatus.SUCCEEDED
    send = task(outcome, TaskName.SEND)
    assert send.status is TaskStatus.FAILED
    assert send.error.startswith("550 5.1.1")
    assert not LabMessage.objects.exists()


def test_an_untrustedca_host_fails_certificate_validation_with_4_7_320(lab: Lab) -> None:
    outcome = validate(lab, "untrustedca.contoso.com", tls_mode=TlsMode.CERTIFICATE_VALIDATION)

    tls = task(outcome, TaskName.TLS)
    assert (tls.status, tls.error) == (TaskStatus.FAILED, CERTIFICATE_VALIDATION_FAILED)
    assert "isn't trusted" in tls.cause
    assert not LabMessage.objects.exists()


def test_a_wildcard_host_passes_domain_validation_for_a_host_under_the_domain(
    lab: Lab, contoso: Tenant
) -> None:
    outcome = validate(lab, "wildcard.contoso.com")

    assert outcome.succeeded, outcome.transcript
    certificate = task(outcome, TaskName.TLS).certificate
    assert certificate is not None
    assert "contoso.com" not in certificate.sans
    assert "*.contoso.com" in certificate.sans
    assert LabMessage.objects.get(tenant=contoso).behaviour == "wildcard"


def test_a_rejectdata_host_refuses_the_test_email_after_data_with_554(lab: Lab) -> None:
    outcome = validate(lab, "rejectdata.contoso.com")

    send = task(outcome, TaskName.SEND)
    assert send.status is TaskStatus.FAILED
    assert send.error.startswith("554 5.6.0")
    assert not LabMessage.objects.exists()


@pytest.mark.skipif(not tls10_supported(), reason="this OpenSSL can't serve TLS 1.0 at all")
def test_a_tls10_host_fails_tls_saying_tls_1_2_is_required(lab: Lab) -> None:
    outcome = validate(lab, "tls10.contoso.com")

    tls = task(outcome, TaskName.TLS)
    assert tls.status is TaskStatus.FAILED
    assert tls.error.startswith(CANNOT_CONNECT)
    assert "TLS 1.2 or later is required" in tls.cause


@pytest.mark.parametrize(
    ("host", "error"),
    [
        ("hangup.contoso.com", CLOSED_ABRUPTLY),
        ("banner554.contoso.com", f"{CANNOT_CONNECT} [Message=554 5.3.2 banner554.lab.test"),
        ("silent.contoso.com", CONNECTION_TIMED_OUT),
        ("tarpit.contoso.com", CONNECTION_TIMED_OUT),
    ],
)
def test_a_host_that_misbehaves_before_ehlo_fails_the_ehlo_task(
    lab: Lab, host: str, error: str
) -> None:
    outcome = validate(lab, host, stage_timeout=1.0, total_timeout=2.0)

    ehlo = task(outcome, TaskName.EHLO)
    assert ehlo.status is TaskStatus.FAILED
    assert ehlo.error.startswith(error)


def test_validating_through_the_mx_record_reaches_the_lab_too(lab: Lab, contoso: Tenant) -> None:
    outcome = validate(lab, "", smart_hosts=(), mx_domains=("contoso.com",))

    assert outcome.succeeded, outcome.transcript
    assert task(outcome, TaskName.RESOLVE).detail == "MX records: 10 mail.contoso.com"
    assert LabMessage.objects.filter(tenant=contoso).count() == 1


def test_a_domain_added_while_the_lab_runs_resolves_and_validates_without_a_restart(
    lab: Lab, contoso: Tenant
) -> None:
    eac_services.accepted_domain_add(tenant=contoso, actor=None, name="northwind.example")

    # The lab reads the domains every 0.2 s; the certificate names the new domain before the DNS
    # answers for it.
    def validates() -> bool:
        return validate(
            lab, "mail.northwind.example", recipients=("sun@northwind.example",)
        ).succeeded

    eventually(validates)
    assert LabMessage.objects.get().tenant == contoso


def test_fabrikams_validation_of_john_at_contoso_lands_in_fabrikams_mailbox_only(
    lab: Lab, contoso: Tenant, fabrikam: Tenant
) -> None:
    # A partner connector of Fabrikam Lab's, to contoso.com: Contoso accepts it, Fabrikam doesn't.
    outcome = validate(lab, "mail.contoso.com", sender=fabrikam.validation_sender)

    assert outcome.succeeded, outcome.transcript
    message = LabMessage.objects.get()
    assert (message.tenant, message.rcpt_tos) == (fabrikam, ["john@contoso.com"])


def test_one_message_for_several_tenants_domains_is_kept_once_for_the_senders_tenant(
    lab: Lab, contoso: Tenant, fabrikam: Tenant
) -> None:
    with smtplib.SMTP("127.0.0.1", lab.smtp_port, timeout=5) as client:
        client.sendmail(
            fabrikam.validation_sender,
            ["john@contoso.com", "ops@fabrikamlab.com", "nobody@elsewhere.example"],
            b"Subject: For all\r\n\r\nHello\r\n",
        )

    [message] = LabMessage.objects.all()
    assert message.tenant == fabrikam
    assert message.rcpt_tos == [
        "john@contoso.com",
        "ops@fabrikamlab.com",
        "nobody@elsewhere.example",
    ]


def test_a_message_from_a_sender_no_tenant_owns_is_accepted_and_kept_nowhere(
    lab: Lab, contoso: Tenant, fabrikam: Tenant
) -> None:
    with smtplib.SMTP("127.0.0.1", lab.smtp_port, timeout=5) as client:
        refused = client.sendmail(
            "partner@tailspintoys.com",
            ["john@contoso.com", "ops@fabrikamlab.com"],
            b"Subject: For both\r\nFrom: partner@tailspintoys.com\r\n\r\nHello\r\n",
        )
        # The DATA reply came before sendmail returned, so the storing is done.

    assert refused == {}
    assert not LabMessage.objects.exists()
