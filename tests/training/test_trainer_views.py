"""The trainer's pages, as a trainer (and a trainee, and a stranger) would notice them."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import urljoin

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from connectors.models import OutboundConnector
from eac.models import Membership, Tenant, User
from eac.roles import Role
from eac.tenancy import SESSION_KEY
from tests.conftest import PASSWORD, make_outbound, make_tenant
from tests.training.conftest import MakeClass
from training.management.commands.make_trainer import Command as MakeTrainer
from training.models import Answer, Seat, TrainingClass
from training.scenarios import all_scenarios, get_scenario
from training.services import answer_record

pytestmark = pytest.mark.django_db

HTMX_POLL = {"HX-Request": "true", "HX-Target": "progress"}


def _seat(training_class: TrainingClass, number: int) -> Seat:
    return Seat.objects.select_related("tenant", "trainee", "training_class").get(
        training_class=training_class, number=number
    )


def _post_and_follow(client: Client, url: str) -> tuple[str, list[str]]:
    """Where the POST led, and the toasts shown there."""
    response = client.post(url, follow=True)
    assert response.status_code == 200
    toasts = re.findall(r'<p class="toast [^"]*"[^>]*>(.*?)</p>', response.content.decode())
    return response.redirect_chain[-1][0], [unescape(t) for t in toasts]


def _signed_in(email: str, password: str) -> Client | None:
    """A browser that signed in on the sign-in page (the way trainees do), or None if refused."""
    client = Client()
    response = client.post(reverse("signin"), {"username": email, "password": password})
    return client if response.status_code == 302 else None


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- Who may open the pages ---------------------------------------------------------------------


def test_a_visitor_who_isnt_signed_in_is_sent_to_the_sign_in_page() -> None:
    response = Client().get(reverse("training:classes"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))


def test_someone_who_isnt_a_trainer_is_told_so_plainly(admin_client_: Client) -> None:
    response = admin_client_.get(reverse("training:classes"))
    assert response.status_code == 403
    assert "Only trainers can open this page" in response.content.decode()


def test_another_trainers_class_is_not_found_and_nothing_changes(make_class: MakeClass) -> None:
    training_class, credentials = make_class()
    other = User.objects.create_user("other.trainer@lab.test", PASSWORD, is_trainer=True)
    client = Client()
    client.force_login(other)
    pk = training_class.pk
    for name, args in [
        ("training:class", [pk]),
        ("training:class_reset", [pk]),
        ("training:class_close", [pk]),
        ("training:seat_reset", [pk, 1]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    for name, args in [
        ("training:class_reset", [pk]),
        ("training:class_close", [pk]),
        ("training:seat_reset", [pk, 1]),
        ("training:seat_review", [pk, 1]),
    ]:
        assert client.post(reverse(name, args=args)).status_code == 404
    stolen = {"email": credentials[0].email, "password": "x"}
    assert client.post(reverse("training:credentials_csv", args=[pk]), stolen).status_code == 404

    training_class.refresh_from_db()
    assert not training_class.is_closed
    assert SESSION_KEY not in client.session


# --- The list and a new class -------------------------------------------------------------------


def test_a_trainer_without_classes_sees_how_to_start(trainer_client: Client) -> None:
    page = _page(trainer_client, reverse("training:classes"))
    assert "You have no classes yet" in page
    assert reverse("training:class_new") in page


def test_the_list_shows_each_class_with_its_scenario_trainees_and_status(
    trainer_client: Client, make_class: MakeClass
) -> None:
    make_class(name="Monday", trainees=2)
    friday, _ = make_class(name="Friday", scenario="hybrid", trainees=1)
    friday.closed_at = friday.created_at
    friday.save()

    page = _page(trainer_client, reverse("training:classes"))
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    cells = [re.findall(r"<td>(?:<a [^>]*>)?(.*?)(?:</a>)?</td>", row, re.S) for row in rows]
    hybrid = get_scenario("hybrid")
    eop = get_scenario("eop-in-front")
    assert hybrid
    assert eop
    assert [(c[0], c[1], c[2], c[4]) for c in cells] == [
        ("Friday", hybrid.title, "1", "Closed"),
        ("Monday", eop.title, "2", "Open"),
    ]


def test_the_new_class_form_offers_every_scenario_in_order_and_three_trainees(
    trainer_client: Client,
) -> None:
    page = _page(trainer_client, reverse("training:class_new"))
    titles = [s.title for s in all_scenarios()]
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    assert all(escape(s.summary) in page for s in all_scenarios())
    assert re.search(r'name="trainees" value="3"', page)


def test_a_wrong_form_shows_errors_beside_the_fields_and_keeps_the_values(
    trainer_client: Client,
) -> None:
    response = trainer_client.post(
        reverse("training:class_new"), {"name": "", "scenario": "hybrid", "trainees": "51"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "This field is required." in page
    assert "Ensure this value is less than or equal to 50." in page
    assert 'value="51"' in page
    assert re.search(r'value="hybrid"[^>]*checked', page)
    assert not TrainingClass.objects.exists()


def test_creating_a_class_shows_each_password_once_and_the_trainees_can_sign_in(
    trainer_client: Client,
) -> None:
    response = trainer_client.post(
        reverse("training:class_new"),
        {"name": "Monday", "scenario": "eop-in-front", "trainees": "3"},
    )
    assert response.status_code == 200  # the passwords are in this answer, not behind a redirect
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Passwords are shown only once" in page
    training_class = TrainingClass.objects.get()
    assert reverse("training:class", args=[training_class.pk]) in page
    assert reverse("training:credentials_csv", args=[training_class.pk]) in page
    rows = re.findall(
        r"<tr><td>(Trainee \d)</td><td>([^<]+)</td><td><code>([^<]+)</code></td></tr>", page
    )
    assert [label for label, _, _ in rows] == ["Trainee 1", "Trainee 2", "Trainee 3"]
    passwords = {password for _, _, password in rows}
    assert len(passwords) == 3

    for _, email, password in rows:
        assert _signed_in(email, password)
    again = _page(trainer_client, reverse("training:class", args=[training_class.pk]))
    assert not any(password in again for password in passwords)


# --- The credentials as CSV ---------------------------------------------------------------------


def test_the_csv_holds_the_posted_sign_ins_of_this_class_only(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, credentials = make_class(name="Monday: mail/flow", trainees=2)
    _, strangers = make_class(name="Other", trainees=1)
    posted = {
        "email": [c.email for c in credentials] + [strangers[0].email],
        "password": [c.password for c in credentials] + [strangers[0].password],
    }
    response = trainer_client.post(
        reverse("training:credentials_csv", args=[training_class.pk]), posted
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"] == 'attachment; filename="Monday-mail-flow-sign-ins.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    tenants = [_seat(training_class, n).tenant.name for n in (1, 2)]
    assert rows == [
        ["Trainee", "Sign-in email", "Password", "Organization"],
        ["Trainee 1", credentials[0].email, credentials[0].password, tenants[0]],
        ["Trainee 2", credentials[1].email, credentials[1].password, tenants[1]],
    ]


def test_the_csv_is_only_posted_for(trainer_client: Client, make_class: MakeClass) -> None:
    training_class, _ = make_class()
    url = reverse("training:credentials_csv", args=[training_class.pk])
    assert trainer_client.get(url).status_code == 405


# --- The class page and its live progress table -------------------------------------------------


def test_the_class_page_shows_the_scenario_and_a_polled_progress_table(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, credentials = make_class(trainees=2)
    scenario = get_scenario("eop-in-front")
    assert scenario is not None
    url = reverse("training:class", args=[training_class.pk])
    page = _page(trainer_client, url)

    assert "Monday" in page
    assert scenario.title in page
    assert "Open" in page
    assert "<details" in page
    assert escape(scenario.briefing_paragraphs[0]) in page
    for lab_host in scenario.lab:
        assert lab_host.host in page
        assert escape(lab_host.behaviour.label) in page
    for task in scenario.tasks:
        assert escape(task.title) in page
    poller = re.search(r'<div id="progress"[^>]*>', page)
    assert poller is not None
    assert f'hx-get="{url}"' in poller.group(0)
    assert 'hx-trigger="every 5s"' in poller.group(0)
    assert page.count(f"0 of {len(scenario.tasks)}") == 2
    assert credentials[1].email in page
    assert page.count("Not yet") == 2 * len(scenario.tasks)
    for name in ("class_reset", "class_close"):
        assert reverse(f"training:{name}", args=[training_class.pk]) in page
    # A row's links are relative to the class page: resolved there, they are the seat's pages.
    targets = {
        urljoin(url, href) for href in re.findall(r'(?:href|action)="(trainees/[^"]+)"', page)
    }
    for name in ("seat_reset", "seat_password", "seat_review"):
        assert reverse(f"training:{name}", args=[training_class.pk, 2]) in targets
    assert "View sandbox" in page


def test_a_task_done_shows_on_the_next_poll_as_just_the_table(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, _ = make_class(trainees=2)
    answer_record(
        seat=_seat(training_class, 2),
        task_id="mx",
        value="contoso-com.mail.protection.outlook.com",
    )

    response = trainer_client.get(
        reverse("training:class", args=[training_class.pk]), headers=HTMX_POLL
    )
    assert "HX-Request" in response["Vary"]
    table = response.content.decode()
    assert table.lstrip().startswith('<div id="progress"')
    assert "<html" not in table
    assert "<h1>" not in table
    rows = re.findall(r"<tr(?: class=\"complete\")?>\s*<th scope=\"row\">(.*?)</tr>", table, re.S)
    assert "0 of 6" in rows[0]
    assert "1 of 6" in rows[1]
    assert rows[1].count("✓</span> Done") == 1
    assert 'title="Your answer: contoso-com.mail.protection.outlook.com. Right."' in rows[1]


def test_a_closed_class_says_so_and_offers_no_resets(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, _ = make_class()
    trainer_client.post(reverse("training:class_close", args=[training_class.pk]))
    page = _page(trainer_client, reverse("training:class", args=[training_class.pk]))
    assert "trainees can no longer sign in; their sandboxes are kept for review." in page
    assert reverse("training:class_reset", args=[training_class.pk]) not in page
    assert "trainees/1/reset/" not in page
    assert 'hx-trigger="every 5s"' not in page  # nobody can change a thing any more
    assert "View sandbox" in page


# --- Resets and closing -------------------------------------------------------------------------


def test_resetting_a_trainee_asks_first_then_brings_back_the_start(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, _ = make_class(trainees=2)
    seat = _seat(training_class, 2)
    make_outbound(seat.tenant, "Trainee's own connector")
    answer_record(seat=seat, task_id="mx", value="mail.contoso.com")
    url = reverse("training:seat_reset", args=[training_class.pk, 2])

    page = _page(trainer_client, url)
    assert "Reset Trainee 2&#x27;s sandbox?" in page
    assert "Connectors, validation results, lab mail and answers are removed" in page
    assert OutboundConnector.objects.filter(tenant=seat.tenant).exists()  # asking changed nothing

    landed, toasts = _post_and_follow(trainer_client, url)
    assert landed == reverse("training:class", args=[training_class.pk])
    assert toasts == ["Trainee 2's sandbox is back at the scenario's start."]
    assert not OutboundConnector.objects.filter(tenant=seat.tenant).exists()
    assert not Answer.objects.filter(seat=seat).exists()


def test_reset_all_brings_back_the_start_for_every_trainee(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, _ = make_class(trainees=2)
    tenants = [_seat(training_class, n).tenant for n in (1, 2)]
    for tenant in tenants:
        make_outbound(tenant, "Trainee's own connector")
    url = reverse("training:class_reset", args=[training_class.pk])
    assert "Reset all 2 sandboxes of Monday?" in _page(trainer_client, url)

    _, toasts = _post_and_follow(trainer_client, url)
    assert toasts == ["Every sandbox of this class is back at the scenario's start."]
    assert not OutboundConnector.objects.filter(tenant__in=tenants).exists()


def test_closing_a_class_signs_its_trainees_out_and_refuses_resets(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, credentials = make_class()
    trainee = _signed_in(credentials[0].email, credentials[0].password)
    assert trainee is not None
    assert trainee.get(reverse("connectors:list")).status_code == 200
    url = reverse("training:class_close", args=[training_class.pk])
    assert "Close Monday?" in _page(trainer_client, url)

    _, toasts = _post_and_follow(trainer_client, url)
    assert toasts == ["Monday is closed: its trainees can no longer sign in."]
    assert trainee.get(reverse("connectors:list")).status_code == 302  # to the sign-in page
    assert _signed_in(credentials[0].email, credentials[0].password) is None

    refusal = ["This class is closed; its sandboxes are kept as they are."]
    for url in (
        reverse("training:seat_reset", args=[training_class.pk, 1]),
        reverse("training:class_reset", args=[training_class.pk]),
    ):
        landed, toasts = _post_and_follow(trainer_client, url)
        assert (landed, toasts) == (reverse("training:class", args=[training_class.pk]), refusal)


# --- Looking into a sandbox, and finding the pages ----------------------------------------------


def test_opening_a_sandbox_shows_the_console_there_with_the_view_only_role(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, _ = make_class(trainees=2)
    seat = _seat(training_class, 2)
    response = trainer_client.post(
        reverse("training:seat_review", args=[training_class.pk, 2]), follow=True
    )
    assert response.redirect_chain == [(reverse("connectors:list"), 302)]
    assert response.context["tenant"] == seat.tenant
    assert response.context["membership"].role == Role.VIEW_ONLY
    assert (
        trainer_client.get(reverse("training:seat_review", args=[training_class.pk, 2])).status_code
        == 405
    )


def test_a_trainer_starts_at_their_classes_and_finds_them_from_the_top_bar(
    trainer_client: Client, make_class: MakeClass, admin_client_: Client
) -> None:
    make_class()
    assert trainer_client.get(reverse("home"))["Location"] == reverse("training:classes")
    training_link = f'href="{reverse("training:classes")}">Training</a>'
    assert training_link in _page(trainer_client, reverse("connectors:list"))
    assert training_link in _page(trainer_client, reverse("classic:connectors"))

    assert admin_client_.get(reverse("home"))["Location"] == reverse("connectors:list")
    assert training_link not in _page(admin_client_, reverse("connectors:list"))


# --- make_trainer -------------------------------------------------------------------------------


def _make_trainer(*args: str) -> str:
    out = io.StringIO()
    call_command("make_trainer", *args, stdout=out)
    return out.getvalue()


def test_make_trainer_creates_an_account_with_a_password_shown_once() -> None:
    output = _make_trainer("New.Trainer@Lab.test")
    password = output.splitlines()[-1]
    user = User.objects.get(email="new.trainer@lab.test")
    assert user.is_trainer
    assert user.check_password(password)
    assert not Membership.objects.filter(user=user).exists()


def test_make_trainer_flags_an_existing_account_and_remove_clears_it(
    admin: User, contoso: Tenant
) -> None:
    assert "can now run training classes" in _make_trainer("admin@contoso.com")
    admin.refresh_from_db()
    assert admin.is_trainer
    assert admin.check_password(PASSWORD)
    assert "already a trainer" in _make_trainer("admin@contoso.com")

    assert "can no longer run training classes" in _make_trainer("admin@contoso.com", "--remove")
    admin.refresh_from_db()
    assert not admin.is_trainer


def test_make_trainer_remove_of_an_unknown_account_says_so() -> None:
    with pytest.raises(CommandError, match="No account has the email address"):
        _make_trainer("nobody@lab.test", "--remove")


def test_make_trainer_refuses_a_bad_email_with_a_message_and_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        MakeTrainer().run_from_argv(["manage.py", "make_trainer", "not an email"])
    assert exit_.value.code == 2
    errors = capsys.readouterr().err
    assert "'not an email' isn't an email address." in errors
    assert "Traceback" not in errors


# --- Sending the New class form twice; a new password for one trainee ---------------------------


def test_sending_the_new_class_form_again_finds_the_class_instead_of_making_another(
    trainer_client: Client,
) -> None:
    data = {"name": "Monday", "scenario": "hybrid", "trainees": "2"}
    data["token"] = _form_token(trainer_client)
    first = trainer_client.post(reverse("training:class_new"), data)
    assert first.status_code == 200
    assert "Passwords are shown only once" in first.content.decode()

    # The browser's reload of the passwords page sends the same form again.
    where, toasts = _post_form_and_follow(trainer_client, reverse("training:class_new"), data)

    training_class = TrainingClass.objects.get()
    assert where == reverse("training:class", args=[training_class.pk])
    assert toasts == [
        "Monday was already created from that form; its passwords were shown then. "
        "Give a trainee a new password with New password."
    ]
    assert Seat.objects.count() == 2
    assert Tenant.objects.filter(seat__isnull=False).count() == 2

    fresh_form = dict(data, token=_form_token(trainer_client))
    assert trainer_client.post(reverse("training:class_new"), fresh_form).status_code == 200
    assert TrainingClass.objects.count() == 2  # a fresh form is a new class, same name or not


def _form_token(client: Client) -> str:
    """The token of a New class form as the browser got it."""
    form = _page(client, reverse("training:class_new"))
    found = re.search(r'name="token" value="([0-9a-f]{32})"', form)
    assert found, "the form carries its token"
    return found.group(1)


def _post_form_and_follow(client: Client, url: str, data: dict[str, str]) -> tuple[str, list[str]]:
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    toasts = re.findall(r'<p class="toast [^"]*"[^>]*>(.*?)</p>', response.content.decode())
    return response.redirect_chain[-1][0], [unescape(t) for t in toasts]


def test_a_new_password_is_shown_once_and_the_old_one_and_its_sessions_stop_working(
    trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, credentials = make_class("hybrid", trainees=2)
    url = reverse("training:seat_password", args=[training_class.pk, 2])
    class_url = reverse("training:class", args=[training_class.pk])
    assert urljoin(class_url, "trainees/2/password/") == url
    assert 'href="trainees/2/password/"' in _page(trainer_client, class_url)
    confirm = _page(trainer_client, url)
    assert "Give Trainee 2 a new password?" in confirm
    open_session = _signed_in(credentials[1].email, credentials[1].password)
    assert open_session is not None

    response = trainer_client.post(url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "A new password for Trainee 2" in page
    ((email, password),) = re.findall(
        r"<tr><td>Trainee 2</td><td>([^<]+)</td><td><code>([^<]+)</code></td></tr>", page
    )
    assert email == credentials[1].email
    assert password != credentials[1].password
    assert _signed_in(email, credentials[1].password) is None
    assert _signed_in(email, password) is not None
    assert open_session.get(reverse("connectors:list")).status_code == 302  # signed out
    assert (
        _signed_in(credentials[0].email, credentials[0].password) is not None
    )  # the others keep theirs


def test_a_closed_class_gives_no_new_passwords(
    trainer_client: Client, make_class: MakeClass
) -> None:
    from training.services import class_close

    training_class, _credentials = make_class("hybrid", trainees=1)
    class_close(training_class=training_class)
    where, toasts = _post_and_follow(
        trainer_client, reverse("training:seat_password", args=[training_class.pk, 1])
    )
    assert where == reverse("training:class", args=[training_class.pk])
    assert toasts == ["This class is closed; its sandboxes are kept as they are."]
    assert "New password" not in _page(trainer_client, where)


def test_taking_the_trainer_flag_away_takes_away_the_look_into_the_old_sandboxes(
    trainer: User, trainer_client: Client, make_class: MakeClass
) -> None:
    training_class, _ = make_class(trainees=2)
    own = make_tenant("Trainer's own", "trainersown")  # a role given on purpose stays
    Membership.objects.create(tenant=own, user=trainer, role=Role.ORGANIZATION_MANAGEMENT)
    sandbox = _seat(training_class, 2).tenant
    kept_in_sandbox = Membership.objects.filter(
        tenant=_seat(training_class, 1).tenant, user=trainer
    )
    kept_in_sandbox.update(role=Role.MAIL_FLOW_ADMINISTRATOR)
    assert Membership.objects.filter(user=trainer).count() == 3

    trainer.is_trainer = False
    trainer.save()  # as the Django admin's change form saves it

    assert set(Membership.objects.filter(user=trainer).values_list("tenant", flat=True)) == {
        own.pk,
        _seat(training_class, 1).tenant_id,
    }
    trainer_client.post(reverse("switch_tenant"), {"tenant": sandbox.pk})
    page = trainer_client.get(reverse("connectors:list"))
    assert page.context["tenant"] != sandbox

    # Given the flag back, View sandbox opens it again, View-Only.
    trainer.is_trainer = True
    trainer.save()
    response = trainer_client.post(
        reverse("training:seat_review", args=[training_class.pk, 2]), follow=True
    )
    assert response.context["tenant"] == sandbox
    assert response.context["membership"].role == Role.VIEW_ONLY


def test_a_trainee_signing_in_costs_no_membership_query(make_class: MakeClass) -> None:
    """The receiver looks only at saves that may change the flag (a sign-in saves last_login)."""
    _, credentials = make_class(trainees=1)
    trainee = User.objects.get(email=credentials[0].email)
    with CaptureQueriesContext(connection) as queries:
        trainee.save(update_fields=["last_login"])
    assert not any("eac_membership" in q["sql"] for q in queries.captured_queries)
