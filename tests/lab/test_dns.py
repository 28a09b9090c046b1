"""The lab DNS, asked over UDP by dnspython: addresses by behaviour, MX for each lab domain,
NXDOMAIN below the hosts, REFUSED outside the lab domains."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from lab.dns import LabDns
from tests.lab.conftest import eventually, resolver_for


class Domains:
    """The lab domains the server reads, as a test changes them."""

    def __init__(self, *names: str) -> None:
        self.names = set(names)
        self.failing = False

    def __call__(self) -> Iterable[str]:
        if self.failing:
            raise RuntimeError("the database is away")
        return set(self.names)


@pytest.fixture
def domains() -> Domains:
    return Domains("contoso.com", "sales.contoso.com")


@pytest.fixture
def lab_dns(domains: Domains) -> Iterator[LabDns]:
    server = LabDns(domains, port=0, refresh_seconds=0.1).start()
    yield server
    server.stop()


def ask(server: LabDns, name: str, rdtype: str) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    return dns.query.udp(query, "127.0.0.1", port=server.port, timeout=2)


def addresses(server: LabDns, name: str) -> list[str]:
    return [r.to_text() for r in resolver_for(server.port).resolve(name, "A", search=False)]


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("mail.contoso.com", "127.0.0.1"),
        ("smarthost.sales.contoso.com", "127.0.0.1"),
        ("nostarttls.contoso.com", "127.0.0.2"),
        ("selfsigned.contoso.com", "127.0.0.3"),
        ("wrongname.contoso.com", "127.0.0.4"),
        ("expired.contoso.com", "127.0.0.5"),
        ("refused.contoso.com", "127.0.0.6"),
        ("rejectrcpt.contoso.com", "127.0.0.7"),
        ("WrongName2.Contoso.com", "127.0.0.4"),
        ("expired-mx.sales.contoso.com", "127.0.0.5"),
    ],
)
def test_a_host_in_a_lab_domain_gets_the_address_its_first_label_chooses(
    lab_dns: LabDns, name: str, address: str
) -> None:
    assert addresses(lab_dns, name) == [address]


def test_each_lab_domain_has_an_mx_record_pointing_at_its_mail_host(lab_dns: LabDns) -> None:
    resolver = resolver_for(lab_dns.port)
    for domain in ("contoso.com", "sales.contoso.com"):
        answer = resolver.resolve(domain, "MX", search=False)
        assert [r.to_text() for r in answer] == [f"10 mail.{domain}."]


def test_a_host_has_no_mx_record_so_mail_goes_to_its_address(lab_dns: LabDns) -> None:
    reply = ask(lab_dns, "mail.contoso.com", "MX")

    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.answer == []  # NODATA: the probe then uses the A record, as SMTP does
    with pytest.raises(dns.resolver.NoAnswer):
        resolver_for(lab_dns.port).resolve("mail.contoso.com", "AAAA", search=False)


def test_a_name_below_a_host_does_not_exist(lab_dns: LabDns) -> None:
    reply = ask(lab_dns, "a.mail.contoso.com", "A")

    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert reply.flags & dns.flags.AA
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(lab_dns.port).resolve("a.mail.contoso.com", "A", search=False)


@pytest.mark.parametrize("name", ["mail.fabrikam.com", "example.com", "com", "contoso.com.evil"])
def test_names_outside_the_lab_domains_are_refused(lab_dns: LabDns, name: str) -> None:
    reply = ask(lab_dns, name, "A")

    assert reply.rcode() == dns.rcode.REFUSED
    assert reply.answer == []


def test_it_reads_the_lab_domains_again_so_a_new_domain_works_without_a_restart(
    lab_dns: LabDns, domains: Domains
) -> None:
    assert ask(lab_dns, "fabrikam.com", "MX").rcode() == dns.rcode.REFUSED

    domains.names.add("fabrikam.com")

    eventually(lambda: ask(lab_dns, "fabrikam.com", "MX").rcode() == dns.rcode.NOERROR)
    assert addresses(lab_dns, "expired.fabrikam.com") == ["127.0.0.5"]


def test_it_keeps_serving_the_domains_it_knows_when_reading_them_fails(
    lab_dns: LabDns, domains: Domains, caplog: pytest.LogCaptureFixture
) -> None:
    domains.failing = True

    eventually(lambda: "couldn't read the lab domains" in caplog.text)
    assert addresses(lab_dns, "mail.contoso.com") == ["127.0.0.1"]


def test_it_refuses_to_share_a_port_another_server_listens_on(
    lab_dns: LabDns, domains: Domains
) -> None:
    second = LabDns(domains, port=lab_dns.port)

    with pytest.raises(OSError, match=r"[Aa]ddress already in use"):
        second.start()
