"""Placeholder: being written."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)


classes = _todo
class_new = _todo
class_detail = _todo
credentials_csv = _todo
class_reset = _todo
class_close = _todo
seat_reset = _todo
seat_review = _todo
