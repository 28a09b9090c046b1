"""The trainee's panel beside the console, its answers and the briefing page, for the trainee, the
reviewing trainer and everyone else. The class plays "which-connector-wins": Contoso's three
connectors, and questions about which one carries mail to whom."""

from __future__ import annotations

import re
from html import unescape
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from connectors.models import OutboundConnector
from connectors.services import connector_set_enabled
from eac.models import Tenant, User
from eac.tenancy import SESSION_KEY
from tests.conftest import make_outbound
from tests.training.conftest import MakeClass
from training.context_processors import training
from training.models import Answer, Seat, TrainingClass
from training.services import Credential

if TYPE_CHECKING:  # what the test client returns; only the stubs name it
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

SCENARIO = "which-connector-wins"
TITLE = "Training: Several connectors: which one wins"
HTMX = {"HX-Request": "true"}
PANEL = reverse("training:panel")


def sign_in(credential: Credential) -> Client:
    """Through the sign-in page, as the trainee does with the handout (Client.login can't pass
    django-axes the request it needs)."""
    client = Client()
    response = client.post(
        reverse("signin"), {"username": credential.email, "password": credential.password}
    )
    assert response.status_code == 302, "the trainee couldn't sign in"
    return client


@pytest.fixture
def seats(make_class: MakeClass) -> tuple[TrainingClass, list[Credential]]:
    return make_class(SCENARIO, trainees=2)


@pytest.fixture
def trainee(seats: tuple[TrainingClass, list[Credential]]) -> Client:
    return sign_in(seats[1][0])


def seat(training_class: TrainingClass, number: int) -> Seat:
    return training_class.seats.select_related("tenant").get(number=number)


def html(response: Response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text(response: Response) -> str:
    """The response as a reader hears it: tags dropped, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html(response))).split())


def task_html(page: str, task_id: str) -> str:
    match = re.search(rf'<li id="training-task-{task_id}".*?</li>', page, re.S)
    assert match, task_id
    return match.group(0)


def answer(client: Client, task_id: str, value: str, next: str | None = None) -> Response:
    """Posted as a browser without JavaScript does."""
    data = {"value": value} | ({"next": next} if next is not None else {})
    return client.post(reverse("training:answer", args=[task_id]), data)


def answer_htmx(client: Client, task_id: str, value: str) -> Response:
    url = reverse("training:answer", args=[task_id])
    current = "http://testserver" + reverse("connectors:list")
    return client.post(url, {"value": value}, headers=HTMX | {"HX-Current-URL": current})


def messages_of(response: Response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def review(trainer_client: Client, tenant: Tenant) -> Client:
    session = trainer_client.session
    session[SESSION_KEY] = tenant.pk
    session.save()
    return trainer_client


# --- Where the panel shows --------------------------------------------------------------------


def test_a_trainee_sees_the_panel_beside_the_new_connectors_list(trainee: Client) -> None:
    page = html(trainee.get(reverse("connectors:list")))

    assert '<aside class="training-panel" aria-label="Training">' in page
    assert page.index("</main>") < page.index('aria-label="Training"')  # beside, not inside
    words = text(trainee.get(reverse("connectors:list")))
    assert TITLE in words
    assert "Read the briefing" in words
    assert "0 of 5 tasks done" in words
    assert "Which connector carries mail to john@fabrikam.com? (Not done yet)" in words
    assert "Not answered yet." in words
    assert "<summary>Hint</summary>" in page
    assert 'hx-get="/training/panel/?seat=' in page
    assert 'hx-trigger="every 5s"' in page


def test_a_trainee_sees_the_panel_beside_the_classic_connectors_page(trainee: Client) -> None:
    page = html(trainee.get(reverse("classic:connectors")))

    assert '<body class="classic"' in page
    assert '<aside class="training-panel" aria-label="Training">' in page
    assert TITLE in text(trainee.get(reverse("classic:connectors")))


def test_an_ordinary_admin_sees_the_console_without_a_panel(admin_client_: Client) -> None:
    for url in (reverse("connectors:list"), reverse("classic:connectors")):
        page = html(admin_client_.get(url))
        assert "training-panel" not in page
        assert "Training:" not in page


def test_the_context_processor_asks_nothing_without_a_tenant(
    django_assert_num_queries: Any, admin: User
) -> None:
    request = RequestFactory().get("/")
    request.user = admin
    request.tenant = None  # type: ignore[attr-defined]
    with django_assert_num_queries(0):
        assert training(request)["training_seat"] is None


def test_the_context_processor_asks_once_and_leaves_the_checks_for_the_panel(
    django_assert_num_queries: Any, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    first = seat(seats[0], 1)
    request = RequestFactory().get("/")
    request.user = first.trainee
    request.tenant = first.tenant  # type: ignore[attr-defined]
    with django_assert_num_queries(1):
        context = training(request)
    assert context["training_seat"] == first
    assert context["training_reviewing"] is False


# --- Answers ----------------------------------------------------------------------------------


def test_the_answer_select_lists_the_sandboxs_outbound_connectors(
    trainee: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    make_outbound(seat(seats[0], 1).tenant, "A trainee's own connector")
    item = task_html(html(trainee.get(reverse("connectors:list"))), "fabrikam")

    options = [unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", item)]
    assert options == [
        "Choose a connector",
        "A trainee's own connector",
        "Connector 1",
        "Connector 2",
        "Connector 3",
        "(no connector)",
    ]
    assert '<label for="training-answer-fabrikam">Your answer</label>' in item
    assert ">Answer</button>" in item


def test_a_right_answer_ticks_its_task(trainee: Client) -> None:
    response = answer_htmx(trainee, "fabrikam", "Connector 1")

    # Its form in place of the old one; its status, the count and the news out of band.
    item = html(response)
    assert item.lstrip().startswith('<form id="training-answer-form-fabrikam"')
    assert (
        '<div id="training-task-fabrikam-status" class="training-task-status done" hx-swap-oob'
        in item
    )
    assert "<li" not in item  # the hint, open or not, stays as it is
    assert "✓" in item
    assert "(Done)" in item
    assert "Your answer: Connector 1. Right." in item
    assert "<option selected>Connector 1</option>" in item  # the last answer stays chosen
    # The count is swapped out of band, and the news read out to screen readers.
    assert re.search(r'id="training-count"[^>]*hx-swap-oob="true">\s*1 of 5 tasks done', item)
    assert (
        '<div id="training-news" hx-swap-oob="innerHTML"><p>Your answer: Connector 1. Right.'
        in item
    )
    assert "1 of 5 tasks done" in text(trainee.get(reverse("connectors:list")))


def test_a_wrong_answer_is_kept_but_not_ticked(trainee: Client) -> None:
    item = html(answer_htmx(trainee, "fabrikam", "Connector 3"))

    assert "✓" not in item
    assert "(Not done yet)" in item
    assert "Your answer: Connector 3. Not quite; try again." in item
    assert "<option selected>Connector 3</option>" in item
    assert "0 of 5 tasks done" in item


def test_a_host_name_answer_is_typed_and_shown_again(make_class: MakeClass) -> None:
    _, credentials = make_class("eop-in-front", trainees=1)  # asks for contoso.com's MX host
    client = sign_in(credentials[0])
    item = task_html(html(client.get(reverse("connectors:list"))), "mx")
    assert '<input type="text" id="training-answer-mx" name="value" value=""' in item

    item = html(answer_htmx(client, "mx", "mail.contoso.com"))
    assert 'value="mail.contoso.com"' in item
    assert "Not quite; try again." in item

    item = html(answer_htmx(client, "mx", "contoso-com.mail.protection.outlook.com"))
    assert "(Done)" in item


def test_an_empty_answer_is_refused_next_to_its_field(trainee: Client) -> None:
    item = html(answer_htmx(trainee, "contoso", "  "))

    assert 'aria-invalid="true"' in item
    assert '<p class="field-error" id="training-answer-contoso-error">Enter an answer.</p>' in item
    assert not Answer.objects.exists()


def test_without_javascript_an_answer_goes_back_to_the_page_with_a_message(
    trainee: Client,
) -> None:
    classic = reverse("classic:connectors")
    response = answer(trainee, "fabrikam", "Connector 1", next=classic)

    assert response.status_code == 302
    assert response["Location"] == classic
    page = text(trainee.get(classic))
    assert "Your answer “Connector 1” is saved. Right." in page
    assert "1 of 5 tasks done" in page

    wrong = answer(trainee, "contoso", "Connector 1", next=classic)
    assert messages_of(wrong) == ["Your answer “Connector 1” is saved. Not quite; try again."]


def test_without_javascript_an_answer_never_goes_back_to_another_site(trainee: Client) -> None:
    for next_url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", ""):
        response = answer(trainee, "fabrikam", "Connector 1", next=next_url)
        assert response["Location"] == reverse("connectors:list"), next_url


def test_without_javascript_an_empty_answer_is_refused_with_a_message(trainee: Client) -> None:
    response = answer(trainee, "fabrikam", "", next=reverse("connectors:list"))

    assert response.status_code == 302
    assert messages_of(response) == ["Enter an answer."]


def test_a_task_that_isnt_a_question_or_doesnt_exist_takes_no_answer(trainee: Client) -> None:
    refused = answer(trainee, "turn-off", "Connector 3")
    assert messages_of(refused) == ["That task doesn't take an answer."]
    item = html(answer_htmx(trainee, "turn-off", "Connector 3"))
    assert "That task doesn&#x27;t take an answer." in item

    unknown = answer(trainee, "no-such-task", "x")
    assert messages_of(unknown)[-1] == "That task doesn't take an answer."
    assert answer_htmx(trainee, "no-such-task", "x").status_code == 404
    assert not Answer.objects.exists()


def test_a_closed_class_refuses_answers_with_a_message(
    trainee: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    training_class = seats[0]
    training_class.closed_at = timezone.now()
    training_class.save(update_fields=["closed_at"])

    response = answer(trainee, "fabrikam", "Connector 1")
    assert messages_of(response) == ["This class is closed; its sandboxes are kept as they are."]
    item = html(answer_htmx(trainee, "fabrikam", "Connector 1"))
    assert "This class is closed" in item
    assert "<option selected>Connector 1</option>" in item  # what was chosen is still there
    assert not Answer.objects.exists()


def test_an_answer_goes_to_the_trainees_own_seat_only(
    trainee: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    training_class, _ = seats
    other = seat(training_class, 2)
    # Asking for the other trainee's sandbox doesn't make it current: they aren't a member.
    trainee.post(reverse("switch_tenant"), {"tenant": other.tenant_id})

    answer(trainee, "fabrikam", "Connector 1")
    assert list(Answer.objects.values_list("seat__number", flat=True)) == [1]
    assert not other.answers.exists()


def test_get_is_not_an_answer(trainee: Client) -> None:
    assert trainee.get(reverse("training:answer", args=["fabrikam"])).status_code == 405


# --- Live: polls --------------------------------------------------------------------------------


def test_the_panel_reflects_a_change_made_in_the_console(
    trainee: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    poll = f"{PANEL}?seat={seat(seats[0], 1).pk}&done="
    before = html(trainee.get(poll, headers=HTMX))
    assert "Mail to john@contoso.com goes to Connector 2." in before

    connector = OutboundConnector.objects.get(tenant=seat(seats[0], 1).tenant, name="Connector 2")
    connector_set_enabled(connector=connector, actor=None, enabled=False)

    after = html(trainee.get(poll, headers=HTMX))
    status = re.search(r'<div id="training-task-turn-off-status".*?</div>\s*</div>', after, re.S)
    assert status
    assert "✓" in status.group(0)
    assert "(Done)" in status.group(0)
    assert "Mail to john@contoso.com goes to Connector 3." in status.group(0)
    assert "1 of 5 tasks done" in after
    # Told to screen readers once: the next poll says it is already shown as done.
    assert "<p>Done: Turn Connector 2 off" in after
    again = html(trainee.get(f"{PANEL}?seat={seat(seats[0], 1).pk}&done=turn-off", headers=HTMX))
    assert "training-news" not in again


def test_a_poll_replaces_statuses_and_the_count_never_the_answer_fields(
    trainee: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    response = trainee.get(f"{PANEL}?seat={seat(seats[0], 1).pk}&done=", headers=HTMX)

    polled = html(response)
    assert "<select" not in polled
    assert "<form" not in polled
    assert polled.count('hx-swap-oob="true"') == 6  # the count and the five statuses
    assert "Vary" in response
    assert "HX-Request" in response["Vary"]


def test_without_htmx_the_panel_url_shows_the_task_list(trainee: Client) -> None:
    page = html(trainee.get(PANEL))
    assert 'id="training-tasks"' in page
    assert "<select" in page


def test_a_poll_from_a_page_showing_another_sandbox_stops(
    trainer_client: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    first, second = seat(seats[0], 1), seat(seats[0], 2)
    review(trainer_client, second.tenant)  # in another tab, after the page for the first

    response = trainer_client.get(f"{PANEL}?seat={first.pk}", headers=HTMX)
    assert response.status_code == 286
    assert trainer_client.get(f"{PANEL}?seat={second.pk}", headers=HTMX).status_code == 200


# --- The reviewing trainer, and everyone else ---------------------------------------------------


def test_the_reviewing_trainer_sees_a_view_only_panel(
    trainer_client: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    answer(sign_in(seats[1][1]), "fabrikam", "Connector 1")
    client = review(trainer_client, seat(seats[0], 2).tenant)

    page = html(client.get(reverse("connectors:list")))
    words = text(client.get(reverse("connectors:list")))
    assert "Reviewing Trainee 2's sandbox (view only)" in words
    assert "1 of 5 tasks done" in words
    assert "Your answer: Connector 1. Right." in words
    assert '<form class="training-answer"' not in page
    assert '<select id="training-answer' not in page
    assert "Reviewing Trainee 2" in text(client.get(reverse("classic:connectors")))


def test_the_reviewing_trainer_cannot_answer(
    trainer_client: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    client = review(trainer_client, seat(seats[0], 1).tenant)

    assert answer(client, "fabrikam", "Connector 1").status_code == 403
    assert answer_htmx(client, "fabrikam", "Connector 1").status_code == 403
    assert not Answer.objects.exists()


def test_someone_outside_the_class_gets_nothing(admin_client_: Client) -> None:
    assert admin_client_.get(PANEL).status_code == 404
    assert admin_client_.get(PANEL, headers=HTMX).status_code == 404
    assert admin_client_.get(reverse("training:briefing")).status_code == 404
    assert answer(admin_client_, "fabrikam", "Connector 1").status_code == 404
    assert not Answer.objects.exists()


def test_another_trainer_with_a_role_in_the_sandbox_is_not_reviewing_it(
    seats: tuple[TrainingClass, list[Credential]],
) -> None:
    from eac import services
    from eac.roles import Role
    from tests.conftest import client_for

    colleague = User.objects.create_user("colleague@lab.test", "pw", is_trainer=True)
    services.membership_grant(tenant=seat(seats[0], 1).tenant, user=colleague, role=Role.VIEW_ONLY)
    client = client_for(colleague)

    assert "training-panel" not in html(client.get(reverse("connectors:list")))
    assert client.get(PANEL).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    for url in (PANEL, reverse("training:briefing")):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/signin/" in response["Location"]


# --- The briefing ------------------------------------------------------------------------------


def test_the_briefing_tells_the_scenario_its_lab_and_its_tasks(trainee: Client) -> None:
    page = html(trainee.get(reverse("training:briefing")))
    words = text(trainee.get(reverse("training:briefing")))

    assert "<h1>Several connectors: which one wins</h1>" in page
    assert "predict which one Office 365 uses, in both selection orders." in words
    assert "Contoso has three connectors from Office 365 to its own servers." in words
    assert "Your lab" in words
    assert re.search(r"Host\s+Behaves like\s+Note", words)
    assert re.search(r"mail\.contoso\.com \S.* Connector 1's server\.", words)
    assert "0 of 5 tasks done" in words
    assert 'id="training-answer-fabrikam"' in page
    # The task list is on the page itself, so the panel isn't beside it too.
    assert "training-panel" not in page
    assert page.count('id="training-tasks"') == 1


def test_the_reviewing_trainer_reads_the_briefing_without_forms(
    trainer_client: Client, seats: tuple[TrainingClass, list[Credential]]
) -> None:
    client = review(trainer_client, seat(seats[0], 1).tenant)
    page = html(client.get(reverse("training:briefing")))
    assert "Reviewing Trainee 1's sandbox (view only)" in page
    assert 'id="training-answer' not in page
