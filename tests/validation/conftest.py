"""The lab peers' fixtures (see peers.py): lab_ca, smtp_lab, dns_lab, loopback_policy; and the
connector to the lab's smart host that the worker tests validate (worker_runs.py)."""

from tests.validation.peers import dns_lab, lab_ca, loopback_policy, smtp_lab
from tests.validation.worker_runs import connector

__all__ = ["connector", "dns_lab", "lab_ca", "loopback_policy", "smtp_lab"]
