"""The trainee's side of a class: the panel beside the console (polled, so ticks appear while the
trainee works), the briefing page, and answers to the scenario's questions.

The seat is always the one whose sandbox is the current tenant (`visitor_seat`), so trainees see
and answer only their own tasks; the class's trainer, reviewing, sees the same panel without its
forms and may not answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from eac.tenancy import TenantRequest, tenant_required
from training.context_processors import Panel, Refusal, panel_for, visitor_seat
from training.models import Seat
from training.services import answer_record


def _seat_or_404(request: TenantRequest) -> Seat:
    seat = visitor_seat(request)
    if seat is None:
        raise Http404("The current organization isn't your training sandbox.")
    return seat


def _panel_or_404(request: TenantRequest, seat: Seat, refused: Refusal | None = None) -> Panel:
    panel = panel_for(request, seat, refused=refused)
    if panel is None:
        raise Http404("This class's scenario no longer exists.")
    return panel


def _newly_done(panel: Panel, shown_done: str) -> list[str]:
    """Tasks done now that the polling page doesn't show as done yet: told to screen readers."""
    shown = set(shown_done.split(","))
    return [
        item.task.title for item in panel.tasks if item.state.done and item.task.id not in shown
    ]


@vary_on_headers("HX-Request")
@require_GET
@tenant_required
def panel(request: TenantRequest) -> HttpResponse:
    seat = _seat_or_404(request)
    if request.htmx and request.GET.get("seat", str(seat.pk)) != str(seat.pk):
        # The polling page shows another sandbox (the organization was switched in another tab).
        return HttpResponseStopPolling()
    training_panel = _panel_or_404(request, seat)
    if request.htmx and not request.htmx.history_restore_request:
        # Only the statuses and the count, swapped out of band: the answer forms are never
        # replaced by a poll, so a half-typed answer or a changed select survives it.
        news = _newly_done(training_panel, request.GET["done"]) if "done" in request.GET else []
        context = {"panel": training_panel, "news": [f"Done: {title}" for title in news]}
        return render(request, "training/panel.html#poll", context)
    return render(request, "training/panel.html#tasks", {"panel": training_panel})


@require_GET
@tenant_required
def briefing(request: TenantRequest) -> HttpResponse:
    training_panel = _panel_or_404(request, _seat_or_404(request))
    context = {"panel": training_panel, "scenario": training_panel.scenario}
    return render(request, "training/briefing.html", context)


@require_POST
@tenant_required
def answer(request: TenantRequest, task_id: str) -> HttpResponse:
    seat = _seat_or_404(request)
    if seat.trainee_id != request.user.pk:
        return HttpResponseForbidden("Reviewing a sandbox is view only: only its trainee answers.")
    value = request.POST.get("value", "")
    try:
        given = answer_record(seat=seat, task_id=task_id, value=value)
    except ValidationError as exc:
        refusal = Refusal(task_id, value, " ".join(exc.messages))
        return _answer_refused(request, seat, refusal)
    if request.htmx:
        return _answered(request, _panel_or_404(request, seat), task_id)
    if given.correct:
        messages.success(request, f"Your answer “{given.value}” is saved. Right.")
    else:
        messages.warning(request, f"Your answer “{given.value}” is saved. Not quite; try again.")
    return HttpResponseRedirect(_safe_next(request))


def _answer_refused(request: TenantRequest, seat: Seat, refusal: Refusal) -> HttpResponse:
    if request.htmx:
        return _answered(request, _panel_or_404(request, seat, refusal), refusal.task_id)
    messages.error(request, refusal.message)
    return HttpResponseRedirect(_safe_next(request))


def _answered(request: TenantRequest, training_panel: Panel, task_id: str) -> HttpResponse:
    """The answer's form, swapped in place of its old self, with the task's status and the count
    out of band; the rest of the panel, other answers being typed included, is left alone."""
    item = training_panel.item(task_id)
    if item is None:
        raise Http404("No such task in this class's scenario.")
    news = item.error or item.state.outcome.detail  # read out: the field's error isn't, reliably
    context = {"panel": training_panel, "item": item, "news": [news]}
    return render(request, "training/panel.html#answered", context)


def _safe_next(request: TenantRequest) -> str:
    """Back to the page the form was on, if it is one of ours; else the Connectors page."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("connectors:list")
