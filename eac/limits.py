"""Requests larger than Django accepts (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS)
get a page that says so, instead of Django's bare 400.

Django refuses such a request when something first reads `request.POST`: the CSRF check, before
any view runs. This middleware, listed before CsrfViewMiddleware, reads it first. A view can
answer in its own words by being marked with `answers_too_large` (the import page names its own
limit and keeps the person on it); any other gets the console's page. Nothing is saved either way:
no view ran."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

TooLargeAnswer = Callable[[HttpRequest], HttpResponse | None]
ATTRIBUTE = "answers_too_large"


def answers_too_large(answer: TooLargeAnswer) -> Callable[[Any], Any]:
    """Marks a view whose page answers a request over the limit itself: `answer(request)` gives
    the response, or None to fall back to the console's page."""

    def mark(view: Any) -> Any:
        setattr(view, ATTRIBUTE, answer)
        return view

    return mark


class RequestTooLargeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "POST":
            return None
        try:
            request.POST  # noqa: B018 - read now, so that a refusal is ours to word
        except (RequestDataTooBig, TooManyFieldsSent):
            answer: TooLargeAnswer | None = getattr(view, ATTRIBUTE, None)
            response = answer(request) if answer is not None else None
            return response or render(request, "eac/too_large.html", status=413)
        return None
