"""The training panel beside the console (templates/training/panel.html): whose sandbox the visitor
is in, and what the panel shows. The base layouts show the panel when `training_seat` is set; its
contents are worked out only when a template actually shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from connectors.models import OutboundConnector
from training.models import Seat
from training.scenarios import Scenario
from training.selectors import SeatProgress, TaskState, scenario_for, seat_for_tenant, seat_progress
from training.task_checks import NO_CONNECTOR, Task

_SEAT_ATTRIBUTE = "_training_seat"  # one lookup per request, however many templates it renders


def visitor_seat(request: HttpRequest) -> Seat | None:
    """The seat whose sandbox is the current tenant, when the visitor is its trainee or the
    trainer of its class; None for everyone else, and for every tenant that isn't a sandbox."""
    if not hasattr(request, _SEAT_ATTRIBUTE):
        setattr(request, _SEAT_ATTRIBUTE, _find_visitor_seat(request))
    seat: Seat | None = getattr(request, _SEAT_ATTRIBUTE)
    return seat


def _find_visitor_seat(request: HttpRequest) -> Seat | None:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return None  # signed out, or a member of no tenant: no query at all
    seat = seat_for_tenant(tenant)
    if seat is None or request.user.pk not in (seat.trainee_id, seat.training_class.trainer_id):
        return None
    seat.tenant = tenant  # the middleware loaded it already; spares the checks a query
    return seat


def is_reviewing(request: HttpRequest, seat: Seat) -> bool:
    """The class's trainer looking into a trainee's sandbox (their role there is View-Only)."""
    return seat.trainee_id != request.user.pk


@dataclass(frozen=True)
class Refusal:
    """An answer just turned down: shown again in its field, with the reason beside it."""

    task_id: str
    value: str
    message: str


@dataclass(frozen=True)
class PanelTask:
    state: TaskState
    value: str  # what the answer field shows: the last answer, or what was just refused
    error: str  # why the answer just given was refused
    choices: tuple[str, ...]  # the select's options, for "which connector" questions

    @property
    def task(self) -> Task:
        return self.state.task

    @property
    def question(self) -> str:
        """ "connector_for" or "mx_for" for a task answered in the panel, else ""."""
        return str(self.task.params.get("question", "")) if self.task.kind == "answer" else ""


@dataclass(frozen=True)
class Panel:
    seat: Seat
    scenario: Scenario
    progress: SeatProgress
    tasks: list[PanelTask]
    reviewing: bool
    next_url: str  # where an answer form returns to when it is posted without JavaScript

    @property
    def done_ids(self) -> str:
        """The tasks this page shows as done; each poll sends them back (see trainee_views.panel)."""
        return ",".join(item.task.id for item in self.tasks if item.state.done)

    @property
    def poll_url(self) -> str:
        # The seat goes along so a page left open on another sandbox stops instead of showing
        # this one's progress under that one's name (a trainer reviewing in several tabs).
        return f"{reverse('training:panel')}?{urlencode({'seat': self.seat.pk})}"

    def item(self, task_id: str) -> PanelTask | None:
        return next((item for item in self.tasks if item.task.id == task_id), None)


def panel_for(request: HttpRequest, seat: Seat, *, refused: Refusal | None = None) -> Panel | None:
    """The panel's contents, checked against the sandbox now; None if the class's scenario file
    is gone."""
    scenario = scenario_for(seat)
    if scenario is None:
        return None
    progress = seat_progress(seat, scenario)
    reviewing = is_reviewing(request, seat)
    needs_choices = not reviewing and any(
        s.task.params.get("question") == "connector_for" for s in progress.tasks
    )
    choices = _connector_choices(seat) if needs_choices else ()
    tasks = [_panel_task(state, choices, refused) for state in progress.tasks]
    return Panel(seat, scenario, progress, tasks, reviewing, _current_page(request))


def _panel_task(state: TaskState, choices: tuple[str, ...], refused: Refusal | None) -> PanelTask:
    value, error = state.answer, ""
    if refused and refused.task_id == state.task.id:
        value, error = refused.value, refused.message
    if value and choices and value not in choices:
        choices = (*choices, value)  # a connector since renamed or deleted: still show the answer
    return PanelTask(state, value, error, choices)


def _connector_choices(seat: Seat) -> tuple[str, ...]:
    names = OutboundConnector.objects.filter(tenant=seat.tenant).order_by("name")
    return (*names.values_list("name", flat=True), NO_CONNECTOR)


def _current_page(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    if htmx:  # rendered for a swap: the page is the one the browser shows, not this request's
        return htmx.current_url_abs_path or reverse("connectors:list")
    return request.get_full_path()


def training(request: HttpRequest) -> dict[str, Any]:
    seat = visitor_seat(request)
    if seat is None:
        return {"training_seat": None, "training_reviewing": False, "training_panel": None}
    return {
        "training_seat": seat,
        "training_reviewing": is_reviewing(request, seat),
        # Lazy: the checks run only on pages that show the panel (not on htmx partials).
        "training_panel": SimpleLazyObject(lambda: panel_for(request, seat)),
    }
