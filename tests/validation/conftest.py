"""The lab peers' fixtures (see peers.py): lab_ca, smtp_lab, dns_lab, loopback_policy."""

from tests.validation.peers import dns_lab, lab_ca, loopback_policy, smtp_lab

__all__ = ["dns_lab", "lab_ca", "loopback_policy", "smtp_lab"]
