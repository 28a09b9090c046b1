"""Headers every signed-in page carries besides the Content-Security-Policy (django-csp,
configured in console/settings.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class SignedInNoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in person: an organization's
    configuration, a trainee's password page or an export must not stay in a shared or
    back-button cache after they sign out. Static files never reach here (WhiteNoise answers
    them first), and the sign-in page is left cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True)
        return response
