"""The header link between the New and the Classic EAC: the same page, of the same tenant (the
tenant lives in the session, so both views already share it), in the other view."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import ResolverMatch, reverse

register = template.Library()

# New EAC page → the Classic page showing the same thing; each pair takes the same URL arguments.
TO_CLASSIC = {
    "connectors:list": "classic:connectors",
    "connectors:details": "classic:connector",
    "accepted_domains": "classic:accepted_domains",
    "accepted_domain": "classic:accepted_domain",
}
TO_NEW = {classic: new for new, classic in TO_CLASSIC.items()} | {
    "classic:accepted_domain_edit": "accepted_domain",
}


def other_view_url(match: ResolverMatch | None) -> str:
    """The other view's URL for the page `match` names; for any other page, its connectors list."""
    name = match.view_name if match else ""
    if name.startswith("classic:"):
        target, fallback = TO_NEW.get(name), "connectors:list"
    else:
        target, fallback = TO_CLASSIC.get(name), "classic:connectors"
    if target is None or match is None:
        return reverse(fallback)
    return reverse(target, args=match.args, kwargs=match.kwargs)


@register.simple_tag(takes_context=True)
def switch_view_url(context: dict[str, Any]) -> str:
    request = context.get("request")
    return other_view_url(getattr(request, "resolver_match", None))
