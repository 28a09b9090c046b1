"""The trainer's live progress table (the poll every 5 s) asks the database as often for a big
class as for a small one, and still shows every trainee's ticks."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import make_inbound, make_outbound
from tests.training.conftest import MakeClass
from tests.training.test_checks import finished_run
from training.models import TrainingClass
from validation.models import RunStatus

pytestmark = pytest.mark.django_db

POLL = {"HX-Request": "true", "HX-Target": "progress"}


def queries_of(request: Callable[[], Any]) -> tuple[int, Any]:
    """The queries a request runs, counted as they run (the debug log is reset per request)."""
    count = 0

    def counting(execute: Any, sql: str, *args: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, *args)

    with connection.execute_wrapper(counting):
        result = request()
    return count, result


def busy_class(make_class: MakeClass, trainees: int) -> TrainingClass:
    """Every trainee half-way: connectors both ways, a validation run that failed and one that
    succeeded."""
    training_class, _ = make_class("hybrid", trainees=trainees, name=f"Class of {trainees}")
    for seat in training_class.seats.select_related("tenant", "training_class"):
        connector = make_outbound(seat.tenant, "To Contoso", recipient_domains=["contoso.com"])
        make_inbound(
            seat.tenant,
            "From Contoso",
            connector_type="OnPremises",
            sender_domains=["*"],
            tls_sender_certificate_name="mail.contoso.com",
        )
        finished_run(connector, RunStatus.FAILED, error="450 4.4.316 Connection refused")
        finished_run(connector, RunStatus.SUCCEEDED)
    return training_class


def test_the_polled_table_takes_the_same_queries_for_two_trainees_as_for_five(
    make_class: MakeClass, trainer_client: Client
) -> None:
    counts = []
    for size in (2, 5):
        training_class = busy_class(make_class, size)
        url = reverse("training:class", args=[training_class.pk])
        count, response = queries_of(partial(trainer_client.get, url, headers=POLL))
        assert response.status_code == 200
        rows = re.findall(r"<tr[ >].*?</tr>", response.content.decode(), flags=re.S)
        assert len(rows) == size + 1  # the heading and a row per trainee
        assert all("✓" in row for row in rows[1:])  # the connectors and runs were seen
        counts.append(count)
    assert counts[0] == counts[1] > 0, counts
