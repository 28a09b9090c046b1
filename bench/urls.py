"""The console's URLs plus one bare view, so the page benchmark can compare a wizard step with the
least a signed-in request through the same middleware costs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from console.urls import urlpatterns as console_urlpatterns


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [*console_urlpatterns, path("bench/bare/", bare)]
