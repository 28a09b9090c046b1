"""How the console answers htmx requests (docs/forms.md): one rule here, one in
`templates/includes/htmx_head.html`, one in `static/eac/console.js`."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect


class HtmxRedirectMiddleware:
    """A redirect answering an htmx request becomes a visit of the whole page.

    The browser follows a redirect inside htmx's request without telling it, so htmx would swap
    the next page, with its top bar and navigation, into the part of the page that asked (the
    console drawn twice, the address bar left behind). HX-Redirect makes htmx load that page
    instead, as the same click without JavaScript does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted and response.status_code in (301, 302, 303, 307, 308):
            redirect = HttpResponseClientRedirect(response["Location"])
            for cookie in response.cookies.values():  # e.g. a sign-out's cleared session
                redirect.cookies[cookie.key] = cookie
            return redirect
        return response
