"""The scenario files: each loads, builds a sandbox, and starts with every task unchecked."""

from __future__ import annotations

from pathlib import Path

import pytest

from eac.models import AcceptedDomain, Mailbox
from training.scenarios import ScenarioError, all_scenarios, load_scenario
from training.selectors import seat_progress

NAMED = {
    "EOP in front of your own servers",
    "Hybrid: mailboxes in both places",
    "Several connectors: which one wins",
    "Partner with enforced TLS",
    "Subdomains via Internal relay",
    "Fix a broken connector",
}


def test_the_six_named_scenarios_are_there() -> None:
    assert {s.title for s in all_scenarios()} >= NAMED


@pytest.mark.parametrize("scenario", all_scenarios(), ids=lambda s: s.id)
def test_each_scenario_builds_a_sandbox_whose_tasks_start_unchecked(scenario, make_class) -> None:
    _, credentials = make_class(scenario.id, trainees=1)
    seat = credentials and _seat(credentials[0].email)
    assert {d.name for d in AcceptedDomain.objects.filter(tenant=seat.tenant)} == {
        seat.tenant.initial_domain,
        *(d.name for d in scenario.domains),
    }
    assert Mailbox.objects.filter(tenant=seat.tenant).count() == len(scenario.mailboxes)
    progress = seat_progress(seat, scenario)
    assert [s.task.id for s in progress.tasks] == [t.id for t in scenario.tasks]
    assert [(s.task.id, s.done) for s in progress.tasks if s.done] == []
    assert all(s.outcome.detail for s in progress.tasks)


def _seat(email: str):
    from training.models import Seat

    return Seat.objects.select_related("tenant", "training_class").get(trainee__email=email)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = 'x'", "summary: missing; expected a non-empty string."),
        (
            "title='x'\nsummary='s'\nbriefing='b'\n[[tasks]]\nid='a'\ntitle='t'\nhint='h'\ncheck={kind='telepathy'}",
            "unknown check kind 'telepathy'",
        ),
        (
            "title='x'\nsummary='s'\nbriefing='b'\n[[tasks]]\nid='a'\ntitle='t'\nhint='h'\ncheck={kind='mail_flows', sender='a@b.c'}",
            "check 'mail_flows' needs recipient",
        ),
        (
            "title='x'\nsummary='s'\nbriefing='b'\ncolour='red'\n[[tasks]]\nid='a'\ntitle='t'\nhint='h'\ncheck={kind='validation_failed', error='4.7.320'}",
            "unknown key(s): colour",
        ),
        ("title = ", "broken.toml"),
    ],
)
def test_a_broken_scenario_file_is_refused_with_its_name_and_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith("broken.toml")


def test_a_broken_scenario_file_is_reported_when_the_console_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from training import scenarios

    (tmp_path / "good.toml").write_text(
        (scenarios.SCENARIO_DIR / "hybrid.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "typo.toml").write_text("title = 'x'\nsummary = 's'\n", encoding="utf-8")
    monkeypatch.setattr(scenarios, "SCENARIO_DIR", tmp_path)

    with pytest.raises(SystemCheckError) as caught:
        call_command("check")

    assert "training.E001" in str(caught.value)
    assert "typo.toml: briefing: missing; expected a non-empty string." in str(caught.value)
    assert "good.toml" not in str(caught.value)


def test_the_shipped_scenario_files_pass_the_startup_check() -> None:
    from training.apps import scenario_files_check

    assert scenario_files_check() == []
