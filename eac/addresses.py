"""Where a request comes from, for the sign-in lockout (django-axes calls `client_address`, set
as AXES_CLIENT_IP_CALLABLE in console/settings.py).

The lockout counts failures per account and address, so that a stranger can't lock an admin
out. Behind the TLS proxy the README supports, every request arrives from the proxy: counting by
REMOTE_ADDR would let any stranger's five wrong passwords lock the admin out for everyone. There,
the client's address is the one the proxy appended to X-Forwarded-For: the right-most entry (or
the EAC_TLS_PROXY_HOPS-th from the right, behind a chain of proxies). Entries further left were
written by the client and prove nothing. Without EAC_BEHIND_TLS_PROXY the header is ignored:
anyone can send it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote: str | None = request.META.get("REMOTE_ADDR")
    if not settings.EAC_BEHIND_TLS_PROXY:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    hops = settings.EAC_TLS_PROXY_HOPS
    if len(forwarded) < hops:
        return remote  # not through the proxy as configured: the connection's own address
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote
