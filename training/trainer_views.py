"""The trainer's pages: their classes, a new class with its passwords shown once, the live
progress table, resets and closing, and a look into a trainee's sandbox.

A trainer reaches only their own classes: anyone else's is 404, like another tenant's objects.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from eac.models import Membership, User
from eac.roles import Role
from eac.tenancy import SESSION_KEY
from training import services
from training.forms import ClassForm
from training.models import Seat, TrainingClass
from training.scenarios import get_scenario
from training.selectors import class_progress, classes_of
from training.services import Credential

PROGRESS_TARGET = "progress"  # the id of the polled table's container


class TrainerRequest(HttpRequest):
    htmx: HtmxDetails
    user: User  # trainer_required has checked it is a signed-in trainer


TrainerView = Callable[..., HttpResponse]


def trainer_required(view: TrainerView) -> TrainerView:
    """Signed in and a trainer; otherwise the sign-in page or a plain refusal."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_trainer", False):
            return render(request, "training/trainer/not_a_trainer.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _own_class(request: TrainerRequest, pk: int) -> TrainingClass:
    return get_object_or_404(TrainingClass, trainer=request.user, pk=pk)


def _own_seat(request: TrainerRequest, pk: int, number: int) -> Seat:
    seats = Seat.objects.select_related("training_class", "tenant")
    return get_object_or_404(
        seats, training_class__trainer=request.user, training_class__pk=pk, number=number
    )


def _scenario_title(scenario_id: str) -> str:
    scenario = get_scenario(scenario_id)
    return scenario.title if scenario else f"{scenario_id} (no longer available)"


# --- Classes and a new class ---------------------------------------------------------------------


@trainer_required
def classes(request: TrainerRequest) -> HttpResponse:
    found = classes_of(request.user).annotate(trainee_count=Count("seats"))
    # An aggregate drops Meta.ordering, so the model's newest-first is asked for again.
    found = found.order_by("-created_at", "-id")
    rows = [(c, _scenario_title(c.scenario)) for c in found]
    return render(request, "training/trainer/classes.html", {"rows": rows})


@trainer_required
def class_new(request: TrainerRequest) -> HttpResponse:
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            training_class, credentials = services.class_create(
                trainer=request.user,
                name=form.cleaned_data["name"],
                scenario=form.cleaned_data["scenario"],
                trainees=form.cleaned_data["trainees"],
                creation_token=form.cleaned_data["token"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except services.AlreadyCreated as exc:
            messages.warning(
                request,
                f"{exc.training_class.name} was already created from that form; its passwords "
                "were shown then. Give a trainee a new password with New password.",
            )
            return redirect("training:class", exc.training_class.pk)
        else:
            return _credentials_page(request, training_class, credentials)
    status = 422 if form.is_bound else 200
    return render(request, "training/trainer/class_new.html", {"form": form}, status=status)


def _credentials_page(
    request: TrainerRequest,
    training_class: TrainingClass,
    credentials: list[Credential],
    heading: str = "",
) -> HttpResponse:
    """Rendered in answer to the POST, never redirected to: the passwords exist only in this
    response, so neither a reload of a URL nor a cache may bring them back."""
    context = {
        "training_class": training_class,
        "credentials": credentials,
        "heading": heading or f"{training_class.name} is ready",
    }
    response = render(request, "training/trainer/credentials.html", context)
    add_never_cache_headers(response)
    return response


@require_POST
@trainer_required
def credentials_csv(request: TrainerRequest, pk: int) -> HttpResponse:
    training_class = _own_class(request, pk)
    emails, passwords = request.POST.getlist("email"), request.POST.getlist("password")
    if len(emails) != len(passwords):
        return HttpResponseBadRequest("Each sign-in email needs its password.")
    posted = dict(zip(emails, passwords, strict=True))
    # Only this class's accounts: the form can't be used to put other text in a trusted file.
    # Matched here rather than in the query, which the posted text needn't reach (PostgreSQL
    # refuses a NUL in it with an error); a class has at most MAX_TRAINEES seats.
    seats = [
        seat
        for seat in training_class.seats.select_related("trainee", "tenant").order_by("number")
        if seat.trainee.email in posted
    ]
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                as_attachment=True, filename=_csv_filename(training_class)
            )
        },
    )
    writer = csv.writer(response)
    writer.writerow(["Trainee", "Sign-in email", "Password", "Organization"])
    for seat in seats:
        email = seat.trainee.email
        writer.writerow([seat.label, email, posted[email], _spreadsheet_text(seat.tenant.name)])
    add_never_cache_headers(response)
    return response


def _csv_filename(training_class: TrainingClass) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", training_class.name).strip("-") or "class"
    return f"{safe}-sign-ins.csv"


def _spreadsheet_text(value: str) -> str:
    # The organization's name starts with the class name, which the trainer typed: a leading
    # =, +, - or @ would make a spreadsheet run it as a formula.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


# --- One class and its progress ------------------------------------------------------------------


@vary_on_headers("HX-Request")
@trainer_required
def class_detail(request: TrainerRequest, pk: int) -> HttpResponse:
    training_class = _own_class(request, pk)
    scenario = get_scenario(training_class.scenario)
    context = {
        "training_class": training_class,
        "scenario": scenario,
        "progress": class_progress(training_class, scenario) if scenario else [],
        "progress_target": PROGRESS_TARGET,
    }
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target == PROGRESS_TARGET:
        return render(request, "training/trainer/class.html#progress", context)
    return render(request, "training/trainer/class.html", context)


# --- Resets and closing: a confirmation page on GET, the change on POST ---------------------------

RESET_EFFECT = (
    "Connectors, validation results, lab mail and answers are removed and the scenario's "
    "starting state is built again."
)


@trainer_required
def seat_reset(request: TrainerRequest, pk: int, number: int) -> HttpResponse:
    seat = _own_seat(request, pk, number)
    if request.method == "POST":
        return _perform(
            request,
            seat.training_class,
            lambda: services.seat_reset(seat=seat, actor=request.user),
            f"{seat.label}'s sandbox is back at the scenario's start.",
        )
    return _confirm(
        request,
        seat.training_class,
        title=f"Reset {seat.label}'s sandbox?",
        paragraphs=[RESET_EFFECT, f"{seat.label} stays signed in and starts the tasks again."],
        button="Reset",
    )


@trainer_required
def class_reset(request: TrainerRequest, pk: int) -> HttpResponse:
    training_class = _own_class(request, pk)
    if request.method == "POST":
        return _perform(
            request,
            training_class,
            lambda: services.class_reset(training_class=training_class, actor=request.user),
            "Every sandbox of this class is back at the scenario's start.",
        )
    count = training_class.seats.count()
    return _confirm(
        request,
        training_class,
        title=f"Reset all {count} sandbox{'es' if count != 1 else ''} of {training_class.name}?",
        paragraphs=[
            f"In every trainee's sandbox: {RESET_EFFECT}",
            "The trainees stay signed in and start the tasks again.",
        ],
        button="Reset all",
    )


@trainer_required
def class_close(request: TrainerRequest, pk: int) -> HttpResponse:
    training_class = _own_class(request, pk)
    if request.method == "POST":
        return _perform(
            request,
            training_class,
            lambda: services.class_close(training_class=training_class),
            f"{training_class.name} is closed: its trainees can no longer sign in.",
        )
    return _confirm(
        request,
        training_class,
        title=f"Close {training_class.name}?",
        paragraphs=[
            "The trainees can no longer sign in, and those signed in now are signed out.",
            "Their sandboxes are kept as they are, so you can still review them and see "
            "their progress. A closed class can't be opened again.",
        ],
        button="Close class",
    )


def _confirm(
    request: TrainerRequest,
    training_class: TrainingClass,
    *,
    title: str,
    paragraphs: list[str],
    button: str,
) -> HttpResponse:
    context = {
        "training_class": training_class,
        "title": title,
        "paragraphs": paragraphs,
        "button": button,
        "cancel_url": reverse("training:class", args=[training_class.pk]),
    }
    return render(request, "training/trainer/confirm.html", context)


def _perform(
    request: TrainerRequest,
    training_class: TrainingClass,
    change: Callable[[], object],
    success: str,
) -> HttpResponse:
    try:
        change()
    except ValidationError as exc:  # a closed class, a scenario file gone
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("training:class", training_class.pk)


@trainer_required
def seat_password(request: TrainerRequest, pk: int, number: int) -> HttpResponse:
    seat = _own_seat(request, pk, number)
    if request.method == "POST":
        try:
            credential = services.seat_new_password(seat=seat, actor=request.user)
        except ValidationError as exc:  # a closed class
            messages.error(request, " ".join(exc.messages))
            return redirect("training:class", pk)
        heading = f"A new password for {seat.label}"
        return _credentials_page(request, seat.training_class, [credential], heading)
    return _confirm(
        request,
        seat.training_class,
        title=f"Give {seat.label} a new password?",
        paragraphs=[
            f"{seat.label}'s current password stops working at once and they are signed out; "
            "the new one is shown "
            "once, on the next page. Their sandbox stays as it is.",
        ],
        button="New password",
    )


# --- Looking into a sandbox ----------------------------------------------------------------------


@require_POST
@trainer_required
def seat_review(request: TrainerRequest, pk: int, number: int) -> HttpResponse:
    """The console, switched to the trainee's sandbox, where the trainer's role is View-Only."""
    seat = _own_seat(request, pk, number)
    # The membership the class gave; again if the trainer flag was taken away and given back.
    Membership.objects.get_or_create(
        tenant=seat.tenant, user=request.user, defaults={"role": Role.VIEW_ONLY}
    )
    request.session[SESSION_KEY] = seat.tenant_id
    messages.info(request, f"You are looking at {seat.label}'s sandbox, with the View-Only role.")
    return redirect("connectors:list")
