"""Class load test, run by `make bench` (never by the test suite): a training class at work on
the console as `make run` serves it.

    .venv/bin/python bench/class_load.py --trainees 30 --seconds 60

Before the server starts, a scratch var directory and SQLite file get make run's database (migrate,
load_demo), a trainer and a class of N trainees on the "hybrid" scenario (training.services.
class_create). Then `manage.py runconsole` serves it on free loopback ports with make run's
settings: DEBUG on, gunicorn (a process per core, 8 threads each) with WhiteNoise, a Celery worker
on the filesystem broker, and the lab (bench/served_console.py).

Sign-in: each trainee signs in through the real form (CSRF, Origin), spread over --ramp seconds,
and opens the Connectors page with its static files; the trainer opens the class page. These are
reported apart and held to no latency target: a sign-in hashes the password on purpose.

The class at work, for --seconds: each trainee makes about one request a second (think time
0.5-1.5 s), in turn opening the Connectors list, querying the Mail flow explorer, and adding a
connector with the New EAC wizard (Office 365 → your organization's server for contoso.com, as
bench/pages.py answers it, with the + buttons and htmx's headers), validating it against the lab
one wizard in VALIDATE_ONE_IN and polling the run as the page does (every 1 s until 286);
meanwhile the training panel polls every 5 s. The trainer's page polls the live progress table
every 5 s.

Prints per kind of request: count, errors (a status the browser wouldn't expect, or no
response), p50/p95/max latency as the client sees it; the throughput; the server's CPU time per
request (gunicorn's master and workers, from /proc, before/after the class at work) and the Celery
worker's apart; the slowest requests, with when they started; and the targets: 0 errors, every
trainee request p95 ≤ 300 ms and the trainer's table p95 ≤ 1 s, while the class is at work. The
load generator runs on the same machine, and its CPU time is shown too. `--keep` keeps the scratch
directory, with the server's output in console.log.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import itertools
import math
import os
import random
import re
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--trainees", type=int, default=30, help="trainees in the class (default 30)")
parser.add_argument("--seconds", type=float, default=60, help="the class at work (default 60)")
parser.add_argument("--ramp", type=float, default=10, help="sign-ins spread over (default 10 s)")
parser.add_argument("--seed", type=int, default=1, help="think times and choices")
parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
arguments = parser.parse_args()

from bench.served_console import ServedConsole, deltas, start_django_as_make_run  # noqa: E402

scratch = start_django_as_make_run("eac-bench-class-load-")

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from eac.models import User  # noqa: E402
from training.scenarios import get_scenario  # noqa: E402
from training.services import class_create, generate_password  # noqa: E402

SCENARIO = "hybrid"  # the wizard's answers and the explorer's queries are this scenario's Contoso
TRAINER_EMAIL = "trainer@class-load.test"
THINK_SECONDS = (0.5, 1.5)
PANEL_POLL_SECONDS = 5.0  # templates/training/panel.html: hx-trigger="every 5s"
TABLE_POLL_SECONDS = 5.0  # templates/training/trainer/class.html: hx-trigger="every 5s"
VALIDATION_POLL_SECONDS = 1.0  # templates/validation/validate.html: hx-trigger="every 1s"
MAX_VALIDATION_POLLS = 60
VALIDATE_ONE_IN = 4
REQUEST_TIMEOUT = 30.0  # gunicorn's own worker timeout
MAX_STATIC_FILES = 20
TRAINEE_P95_MS, TRAINER_P95_MS = 300.0, 1000.0
STOP_POLLING = 286  # htmx: stop polling (validation/views.py)
EXPLORER_QUERIES = [  # the scenario's mail flow tasks
    ("bob@contoso.com", "john@contoso.com"),
    ("john@contoso.com", "bob@contoso.com"),
    ("john@contoso.com", "sun@wingtiptoys.com"),
]
VALIDATION_RECIPIENT = "john@contoso.com"

# Kinds of request, in the order the report lists them.
SIGNIN_PAGE = "sign-in page (GET)"
SIGNIN = "sign-in (POST)"
HOME = "home, redirecting (GET)"
STATIC = "static file, first visit (GET)"
CONNECTORS = "Connectors list (GET)"
PANEL_POLL = "training panel poll (htmx GET)"
EXPLORER = "Mail flow explorer query (GET)"
WIZARD_START = "wizard: Add a connector (POST)"
WIZARD_PAGE = "wizard: first step page (GET)"
WIZARD_SCENARIO = "wizard: scenario (htmx POST)"
WIZARD_NAME = "wizard: name (htmx POST)"
WIZARD_LIST_ADD = "wizard: + domain or host (htmx POST)"
WIZARD_USE = "wizard: use (htmx POST)"
WIZARD_ROUTING = "wizard: routing (htmx POST)"
WIZARD_SECURITY = "wizard: security (htmx POST)"
WIZARD_VALIDATE = "wizard: Validate (htmx POST)"
VALIDATION_POLL = "validation progress poll (htmx GET)"
WIZARD_VALIDATION_NEXT = "wizard: validation Next (htmx POST)"
WIZARD_PROCEED = "wizard: Yes, proceed (htmx POST)"
WIZARD_CREATE = "wizard: Create connector (htmx POST)"
WIZARD_CREATED = "wizard: connector created page (GET)"
TRAINER_CLASSES = "trainer: classes page (GET)"
TRAINER_CLASS = "trainer: class page (GET)"
TRAINER_TABLE = "trainer: progress table poll (htmx GET)"
KINDS = [
    SIGNIN_PAGE,
    SIGNIN,
    HOME,
    STATIC,
    CONNECTORS,
    PANEL_POLL,
    EXPLORER,
    WIZARD_START,
    WIZARD_PAGE,
    WIZARD_SCENARIO,
    WIZARD_NAME,
    WIZARD_LIST_ADD,
    WIZARD_USE,
    WIZARD_ROUTING,
    WIZARD_SECURITY,
    WIZARD_VALIDATE,
    VALIDATION_POLL,
    WIZARD_VALIDATION_NEXT,
    WIZARD_PROCEED,
    WIZARD_CREATE,
    WIZARD_CREATED,
    TRAINER_CLASSES,
    TRAINER_CLASS,
    TRAINER_TABLE,
]


# --- The class, prepared before the server starts -----------------------------------------------


@dataclass(frozen=True)
class Person:
    email: str
    password: str


@dataclass(frozen=True)
class PreparedClass:
    pk: int
    trainer: Person
    trainees: list[Person]


def prepare_class(trainees: int) -> PreparedClass:
    """make run's database (migrate, load_demo), a trainer as make_trainer makes one, and the
    class; the passwords are the ones class_create returns once."""
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    password = generate_password()
    trainer = User.objects.create_user(TRAINER_EMAIL, password, is_trainer=True)
    scenario = get_scenario(SCENARIO)
    assert scenario is not None, SCENARIO
    training_class, credentials = class_create(
        trainer=trainer, name="Class load", scenario=scenario, trainees=trainees
    )
    connections.close_all()  # the server's processes write to the file from now on
    return PreparedClass(
        pk=training_class.pk,
        trainer=Person(TRAINER_EMAIL, password),
        trainees=[Person(c.email, c.password) for c in credentials],
    )


# --- What every request leaves behind -----------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    kind: str
    path: str
    started: float  # time.monotonic()
    ms: float
    status: int  # 0: no response
    error: str  # why the browser wouldn't expect this answer; "" if it would


class Recorder:
    def __init__(self) -> None:
        self._samples: list[Sample] = []
        self._lock = threading.Lock()

    def add(self, sample: Sample) -> None:
        with self._lock:
            self._samples.append(sample)

    def samples(self) -> list[Sample]:
        with self._lock:
            return list(self._samples)


@dataclass(frozen=True)
class ValidationOutcome:
    seconds: float  # Validate pressed → the poll that said the run had ended
    result: str  # the run's status as the page shows it (run-succeeded …), or "unfinished"


# --- A browser ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Unexpected(Exception):
    """An answer the browser wouldn't expect, or none; already recorded as an error."""


class TimeUp(Exception):
    """The class's time is over: the person stops before their next request."""


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_HEADER = re.compile(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TITLE = re.compile(r"<title>\s*(.*?)\s*</title>", re.S)
STATIC_URL = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"]+)"')


class Browser:
    """One person's browser: a keep-alive connection, cookies, the CSRF token the last page
    gave, the URL it shows (htmx sends it as HX-Current-URL), and a cache of static files."""

    def __init__(self, port: int, recorder: Recorder) -> None:
        self.port = port
        self.recorder = recorder
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.page = "/"
        self.cached: set[str] = set()
        self._connection: http.client.HTTPConnection | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(
        self,
        kind: str,
        path: str,
        *,
        htmx: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Response:
        response = self.request(kind, "GET", path, htmx=htmx, expect=expect, needs="")
        if htmx is None and response.status == 200:
            self.page = path
        return response

    def post(
        self,
        kind: str,
        path: str,
        form: list[tuple[str, str]],
        *,
        htmx: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
        needs: str = "",
    ) -> Response:
        """A form's submission; the form's hidden CSRF field goes with it, as it does with htmx."""
        body = urlencode([("csrfmiddlewaretoken", self.csrf), *form])
        response = self.request(
            kind, "POST", path, body=body, htmx=htmx, expect=expect, needs=needs
        )
        self.page = response.headers.get("hx-push-url", self.page)
        return response

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: str | None = None,
        htmx: dict[str, str] | None,
        expect: tuple[int, ...],
        needs: str,
    ) -> Response:
        """Sends, times and records one request; Unexpected if the answer's status isn't one of
        `expect`, or it lacks the header `needs` names (HX-Push-Url: the wizard moved on)."""
        headers = self._headers(method, htmx)
        started, clock = time.monotonic(), time.perf_counter()
        try:
            response = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self._close()
            error = f"no response: {type(exc).__name__}"
            self.recorder.add(Sample(kind, path, started, _ms_since(clock), 0, error))
            raise Unexpected(error) from exc
        ms = _ms_since(clock)
        error = _unexpected(response, expect, needs)
        self.recorder.add(Sample(kind, path, started, ms, response.status, error))
        if error:
            raise Unexpected(error)
        self._remember_csrf(response.text)
        return response

    def fetch_static(self, html: str) -> None:
        """The page's CSS and scripts, the first time they are seen (then the browser's cache)."""
        for url in STATIC_URL.findall(html)[:MAX_STATIC_FILES]:
            if url not in self.cached:
                self.cached.add(url)
                self.request(STATIC, "GET", url, htmx=None, expect=(200,), needs="")

    def _headers(self, method: str, htmx: dict[str, str] | None) -> dict[str, str]:
        headers = {"User-Agent": "eac-class-load", "Accept": "text/html,*/*;q=0.8"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        if htmx is not None:
            # What htmx 2 sends, with the body's hx-headers (X-CSRFToken) on every request.
            headers |= {"HX-Request": "true", "HX-Current-URL": self.origin + self.page}
            headers |= {"X-CSRFToken": self.csrf, **htmx}
        return headers

    def _send(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Response:
        """On a kept-alive connection the server may have closed meanwhile: then once more on a
        new one, as browsers do."""
        for attempt in (1, 2):
            reused = self._connection is not None
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
                )
            try:
                self._connection.request(method, path, body=body, headers=headers)
                raw = self._connection.getresponse()
                data = raw.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._close()
                if reused and attempt == 1:
                    continue
                raise
            for header in raw.headers.get_all("Set-Cookie") or []:
                self._remember_cookie(header)
            if raw.will_close:
                self._close()
            names = {name.lower(): value for name, value in raw.getheaders()}
            return Response(raw.status, names, data.decode("utf-8", "replace"))
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _remember_cookie(self, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def _remember_csrf(self, html: str) -> None:
        found = CSRF_HEADER.search(html) or CSRF_INPUT.search(html)
        if found:
            self.csrf = found.group(1)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def htmx(target: str, trigger: str = "") -> dict[str, str]:
    """The headers saying which element asked and which it swaps (both ids)."""
    return {"HX-Target": target, "HX-Trigger": trigger or target}


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _unexpected(response: Response, expect: tuple[int, ...], needs: str) -> str:
    """Why the browser wouldn't expect this answer, or ""."""
    if response.status not in expect:
        return f"HTTP {response.status}: {_gist(response)}"
    if needs and needs not in response.headers:
        return f"HTTP {response.status} without {needs}: {_gist(response)}"
    return ""


def _gist(response: Response) -> str:
    """The page's title (DEBUG's error pages name the exception there), else its first words."""
    found = TITLE.search(response.text)
    return (found.group(1) if found else response.text[:80]).replace("\n", " ")[:120]


def pause_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def sign_in(browser: Browser, person: Person) -> str:
    """Through the sign-in form, as a person does; the page the console sends them to."""
    browser.get(SIGNIN_PAGE, "/signin/")
    form = [("next", ""), ("username", person.email), ("password", person.password)]
    signed_in = browser.post(SIGNIN, "/signin/", form, expect=(302,))
    home = browser.get(HOME, signed_in.location, expect=(302,))
    return home.location


# --- What a trainee does ------------------------------------------------------------------------

PANEL_POLL_URL = re.compile(r'hx-get="(/training/panel/\?seat=\d+)"')
DONE_IDS = re.compile(r'name="done" value="([^"]*)"')
PROGRESS_URL = re.compile(r'hx-get="(/mail-flow/validation-runs/[0-9a-f-]+/progress/)"')
RUN_RESULT = re.compile(r'class="run-result (run-[a-z_]+)"')
WIZARD = htmx("wizard", "wizard-form")


def wizard_answers(name: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The steps before Validation email, as bench/pages.py answers them; the lists filled
    with their + buttons first, as a person does."""
    return [
        (WIZARD_SCENARIO, [("source", "office365"), ("target", "your_org"), ("action", "next")]),
        (
            WIZARD_NAME,
            [("name", name), ("turn_on", "on"), ("retain_headers", "on"), ("action", "next")],
        ),
        (
            WIZARD_LIST_ADD,
            [
                ("use", "domains"),
                ("recipient_domains_new", "contoso.com"),
                ("list_action", "add:recipient_domains"),
            ],
        ),
        (
            WIZARD_USE,
            [
                ("use", "domains"),
                ("recipient_domains", "contoso.com"),
                ("recipient_domains_new", ""),
                ("action", "next"),
            ],
        ),
        (
            WIZARD_LIST_ADD,
            [("smart_hosts_new", "mail.contoso.com"), ("list_action", "add:smart_hosts")],
        ),
        (
            WIZARD_ROUTING,
            [("smart_hosts", "mail.contoso.com"), ("smart_hosts_new", ""), ("action", "next")],
        ),
        (
            WIZARD_SECURITY,
            [
                ("tls", "on"),
                ("certificate", "trusted_ca"),
                ("match_domain", "on"),
                ("tls_domain", "*.contoso.com"),
                ("action", "next"),
            ],
        ),
    ]


@dataclass
class Trainee:
    number: int
    person: Person
    browser: Browser
    rng: random.Random
    deadline: float = math.inf
    panel_url: str = ""
    done: str = ""  # the task ids the panel shows as done; each poll sends them back
    next_poll: float = 0.0
    connectors_added: int = 0
    validations: list[ValidationOutcome] = field(default_factory=list)

    def sign_in(self) -> None:
        """Signs in and lands on the Connectors page, downloading its CSS and scripts."""
        first = self.open(CONNECTORS, sign_in(self.browser, self.person))
        self.browser.fetch_static(first.text)

    def work_until(self, deadline: float, most_actions: int) -> None:
        """The Connectors list, the explorer and the wizard, in turn, until the time is over."""
        self.deadline = deadline
        self.next_poll = time.monotonic() + self.rng.uniform(0, PANEL_POLL_SECONDS)
        activities: list[Callable[[], None]] = [
            self.open_connectors,
            self.explore,
            self.add_connector,
        ]
        try:
            for activity in itertools.islice(itertools.cycle(activities), most_actions):
                # An unexpected answer is recorded; like a person, go on with the next thing.
                with contextlib.suppress(Unexpected):
                    activity()
        except TimeUp:
            return

    def think(self, seconds: float | None = None) -> None:
        """A person's pause before the next click (about a second), the panel polling every 5 s
        meanwhile; TimeUp once the class's time is over."""
        pause = self.rng.uniform(*THINK_SECONDS) if seconds is None else seconds
        until = min(time.monotonic() + pause, self.deadline)
        while self.next_poll <= until:
            pause_until(self.next_poll)
            self.next_poll = time.monotonic() + PANEL_POLL_SECONDS  # htmx: 5 s after the last
            self.poll_panel()
        pause_until(until)
        if time.monotonic() >= self.deadline:
            raise TimeUp

    def open(self, kind: str, path: str) -> Response:
        """A whole page, with the training panel beside it."""
        page = self.browser.get(kind, path)
        self.read_panel(page.text)
        return page

    def read_panel(self, html: str) -> None:
        if found := PANEL_POLL_URL.search(html):
            self.panel_url = found.group(1)
        if found := DONE_IDS.search(html):
            self.done = found.group(1)

    def poll_panel(self) -> None:
        if not self.panel_url:
            return
        url = f"{self.panel_url}&{urlencode({'done': self.done})}"  # hx-include="#training-count"
        try:
            response = self.browser.get(PANEL_POLL, url, htmx=htmx("training-tasks"))
        except Unexpected:
            return
        self.read_panel(response.text)

    def open_connectors(self) -> None:
        self.think()
        self.open(CONNECTORS, "/mail-flow/connectors/")

    def explore(self) -> None:
        self.think()
        sender, recipient = self.rng.choice(EXPLORER_QUERIES)
        query = urlencode({"sender": sender, "recipient": recipient})
        self.open(EXPLORER, f"/mail-flow/explorer/?{query}")

    def add_connector(self) -> None:
        """The New EAC wizard from Add a connector to the created page."""
        self.think()
        started = self.browser.post(WIZARD_START, "/mail-flow/connectors/new/", [], expect=(302,))
        step_url = started.location
        self.open(WIZARD_PAGE, step_url)
        self.connectors_added += 1
        name = f"To Contoso {self.number}-{self.connectors_added}"
        for kind, form in wizard_answers(name):
            self.think()
            moves_on = ("action", "next") in form
            needs = "hx-push-url" if moves_on else ""
            answered = self.browser.post(kind, step_url, form, htmx=WIZARD, needs=needs)
            step_url = answered.headers.get("hx-push-url", step_url)
        step_url = self.answer_validation_step(step_url)
        self.think()
        create = [("action", "create")]
        created = self.browser.post(
            WIZARD_CREATE, step_url, create, htmx=WIZARD, needs="hx-redirect"
        )
        self.think()
        self.open(WIZARD_CREATED, created.headers["hx-redirect"])

    def answer_validation_step(self, step_url: str) -> str:
        """Validation email: Validate and wait for the result one time in VALIDATE_ONE_IN, then
        Next (and Yes, proceed if the page asks); the review step's URL."""
        self.think()
        form = [("new_recipient", VALIDATION_RECIPIENT)]
        if self.rng.randrange(VALIDATE_ONE_IN) == 0:
            shown = self.browser.post(
                WIZARD_VALIDATE, step_url, [*form, ("action", "validate")], htmx=WIZARD
            )
            self.wait_for_validation(shown.text)
            self.think()
            form = [("recipients", VALIDATION_RECIPIENT), ("new_recipient", "")]
        answered = self.browser.post(
            WIZARD_VALIDATION_NEXT, step_url, [*form, ("action", "next")], htmx=WIZARD
        )
        if "hx-push-url" in answered.headers:
            return answered.headers["hx-push-url"]
        self.think()  # "Are you sure you want to proceed?"
        proceed = [
            ("recipients", VALIDATION_RECIPIENT),
            ("new_recipient", ""),
            ("action", "proceed"),
        ]
        moved = self.browser.post(
            WIZARD_PROCEED, step_url, proceed, htmx=WIZARD, needs="hx-push-url"
        )
        return moved.headers["hx-push-url"]

    def wait_for_validation(self, html: str) -> None:
        """Polls the run's progress every second, as the page does, until it says the run has
        ended (286); at most MAX_VALIDATION_POLLS times."""
        started = time.monotonic()
        found = PROGRESS_URL.search(html)
        result = RUN_RESULT.search(html)
        polls = 0
        while found and polls < MAX_VALIDATION_POLLS:
            self.think(VALIDATION_POLL_SECONDS)
            polls += 1
            progress = self.browser.get(
                VALIDATION_POLL,
                found.group(1),
                htmx=htmx("run-progress"),
                expect=(200, STOP_POLLING),
            )
            if progress.status == STOP_POLLING:
                result = RUN_RESULT.search(progress.text)
                break
        outcome = result.group(1) if result else "unfinished"
        self.validations.append(ValidationOutcome(time.monotonic() - started, outcome))


# --- What the trainer does ----------------------------------------------------------------------


@dataclass
class Trainer:
    person: Person
    browser: Browser
    class_url: str

    def sign_in(self) -> None:
        """Signs in, lands on the classes page and opens the class's page."""
        self.browser.get(TRAINER_CLASSES, sign_in(self.browser, self.person))
        self.browser.get(TRAINER_CLASS, self.class_url)

    def watch_until(self, deadline: float, most_polls: int) -> None:
        """The class page's live table, polled every 5 s as the page does."""
        next_poll = time.monotonic() + TABLE_POLL_SECONDS
        for _ in range(most_polls):
            pause_until(min(next_poll, deadline))
            if time.monotonic() >= deadline:
                return
            next_poll = time.monotonic() + TABLE_POLL_SECONDS
            with contextlib.suppress(Unexpected):  # recorded
                self.browser.get(TRAINER_TABLE, self.class_url, htmx=htmx("progress"))


# --- The run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    started: float  # time.monotonic()
    seconds: float
    samples: list[Sample]
    cpu: dict[str, float]  # CPU seconds per part of the console
    generator_cpu: float  # this process's
    validations: list[ValidationOutcome]


def sign_in_everyone(
    port: int, prepared: PreparedClass, ramp: float, seed: int, recorder: Recorder
) -> tuple[Trainer, list[Trainee]]:
    """The trainer first, then the trainees spread over `ramp` seconds; those whose sign-in
    failed (recorded) sit the class out."""
    trainer = Trainer(prepared.trainer, Browser(port, recorder), f"/training/{prepared.pk}/")
    trainees = [
        Trainee(n, person, Browser(port, recorder), random.Random(seed * 1000 + n))  # noqa: S311 - think times, not secrets
        for n, person in enumerate(prepared.trainees, start=1)
    ]
    start = time.monotonic()

    def at(moment: float, person: Trainer | Trainee) -> bool:
        pause_until(start + moment)
        try:
            person.sign_in()
        except Unexpected:
            return False
        return True

    with ThreadPoolExecutor(max_workers=len(trainees) + 1) as pool:
        trainer_ok = pool.submit(at, 0.0, trainer)
        spacing = ramp / max(1, len(trainees))
        signed = [pool.submit(at, i * spacing, t) for i, t in enumerate(trainees)]
    if not trainer_ok.result():
        raise RuntimeError("the trainer couldn't sign in or open the class page")
    return trainer, [t for t, ok in zip(trainees, signed, strict=True) if ok.result()]


def run_class(
    server: ServedConsole, trainer: Trainer, trainees: list[Trainee], seconds: float
) -> Measured:
    """Everyone at work for `seconds`; the CPU read before and after."""
    recorder = Recorder()
    for browser in [trainer.browser, *(t.browser for t in trainees)]:
        browser.recorder = recorder
    most_actions = math.ceil(seconds / THINK_SECONDS[0]) + 1
    cpu_before, own_before = server.cpu_seconds(), time.process_time()
    started = time.monotonic()
    deadline = started + seconds
    pool = ThreadPoolExecutor(max_workers=len(trainees) + 1)
    futures = [pool.submit(t.work_until, deadline, most_actions) for t in trainees]
    futures.append(pool.submit(trainer.watch_until, deadline, most_actions))
    # Each request has its timeout, so every session ends soon after the deadline.
    finished, unfinished = wait(futures, timeout=seconds + 2 * REQUEST_TIMEOUT + 30)
    pool.shutdown(wait=False, cancel_futures=True)
    elapsed = time.monotonic() - started
    cpu_after, own_after = server.cpu_seconds(), time.process_time()
    for future in finished:
        future.result()  # a bug in this script shows here
    if unfinished:
        print(f"warning: {len(unfinished)} sessions still running after the time allowed")
    return Measured(
        started=started,
        seconds=elapsed,
        samples=recorder.samples(),
        cpu=deltas(cpu_before, cpu_after),
        generator_cpu=own_after - own_before,
        validations=[v for t in trainees for v in t.validations],
    )


# --- The report ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def by_kind(samples: list[Sample]) -> dict[str, list[Sample]]:
    grouped: dict[str, list[Sample]] = {}
    for sample in sorted(samples, key=lambda s: KINDS.index(s.kind)):
        grouped.setdefault(sample.kind, []).append(sample)
    return grouped


def p95_of(samples: list[Sample]) -> float:
    return percentile([s.ms for s in samples], 0.95)


def print_table(samples: list[Sample]) -> None:
    print(f"  {'request':<42}{'count':>7}{'errors':>8}{'p50':>8}{'p95':>8}{'max':>8}  (ms)")
    for kind, group in by_kind(samples).items():
        ms = [s.ms for s in group]
        errors = sum(1 for s in group if s.error)
        print(
            f"  {kind:<42}{len(group):>7}{errors:>8}{percentile(ms, 0.5):>8.0f}"
            f"{percentile(ms, 0.95):>8.0f}{max(ms):>8.0f}"
        )


def print_slowest(samples: list[Sample], since: float, count: int = 8) -> None:
    """Where the tail is: the slowest requests, when they started and where they went."""
    print("  slowest:")
    for sample in sorted(samples, key=lambda s: s.ms, reverse=True)[:count]:
        path = UUID.sub("…", sample.path)
        print(
            f"    {sample.ms:>6.0f} ms at {sample.started - since:>5.1f} s  {sample.status}  "
            f"{sample.kind}  {path}"
        )


def print_errors(samples: list[Sample]) -> None:
    errors = Counter((s.kind, s.error) for s in samples if s.error)
    for (kind, error), count in errors.most_common(10):
        print(f"  {count} × {kind}: {error}")


def print_header(trainees: int, seconds: float, server: ServedConsole) -> None:
    now = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Class load test, {now}")
    print(
        f"machine: {os.cpu_count()} cores, {int(memory) / 1024**2:.1f} GiB RAM; "
        f"load average {load} as the class starts (the load generator runs here too)"
    )
    web = sum(1 for role, _ in server.cpu_seconds().values() if role == "web")
    print(
        f"server: manage.py runconsole as make run serves (DEBUG on): gunicorn, {web - 1} "
        f"processes x 8 threads, WhiteNoise; a Celery worker; the lab; SQLite and the filesystem "
        f"broker in {scratch}"
    )
    print(f"lab: {server.lab_line().strip()}")
    print(
        f"class: {trainees} trainees on '{SCENARIO}' and their trainer, {seconds:.0f} s at work, "
        f"{server.base_url}"
    )


def print_signin(samples: list[Sample], ramp: float) -> None:
    print(
        f"\nsign-in, spread over {ramp:.0f} s (no latency target: passwords are hashed on purpose)"
    )
    print_table(samples)


def print_class(measured: Measured) -> None:
    requests = len(measured.samples)
    print(f"\nthe class at work, {measured.seconds:.1f} s")
    print_table(measured.samples)
    print_slowest(measured.samples, measured.started)
    runs = measured.validations
    if runs:
        results = Counter(v.result for v in runs)
        times = [v.seconds for v in runs]
        print(
            f"  validation runs: {len(runs)} ({', '.join(f'{n} {r}' for r, n in results.items())}); "
            f"Validate → result p50 {percentile(times, 0.5):.1f} s, max {max(times):.1f} s"
        )
    web, worker, lab = (measured.cpu.get(role, 0.0) for role in ("web", "worker", "lab"))
    print(f"throughput: {requests / measured.seconds:.1f} requests/s ({requests} requests)")
    print(
        f"server CPU: gunicorn (master + workers) {web:.1f} s = "
        f"{web / max(1, requests) * 1000:.1f} ms per request, {web / measured.seconds:.2f} cores"
    )
    per_run = f", {worker / len(runs) * 1000:.0f} ms per validation run" if runs else ""
    print(f"            Celery worker {worker:.1f} s{per_run}; lab {lab:.1f} s")
    print(f"load generator CPU: {measured.generator_cpu:.1f} s")


def print_targets(signin: list[Sample], measured: Measured) -> bool:
    """Each target and whether it holds; True if all do."""
    errors = sum(1 for s in [*signin, *measured.samples] if s.error)
    groups = by_kind(measured.samples)
    trainee = {k: p95_of(g) for k, g in groups.items() if not k.startswith("trainer:")}
    worst = max(trainee, key=lambda k: trainee[k]) if trainee else ""
    table = p95_of(groups.get(TRAINER_TABLE, []))
    checks = [
        ("0 errors", errors == 0, f"{errors}"),
        (
            f"every trainee request p95 ≤ {TRAINEE_P95_MS:.0f} ms",
            bool(trainee) and trainee[worst] <= TRAINEE_P95_MS,
            f"worst: {worst} {trainee.get(worst, math.nan):.0f} ms",
        ),
        (
            f"trainer's table p95 ≤ {TRAINER_P95_MS / 1000:.0f} s",
            table <= TRAINER_P95_MS,
            f"{table:.0f} ms",
        ),
    ]
    print("\ntargets")
    for label, holds, detail in checks:
        print(f"  {label:<40}{'holds' if holds else 'MISSED':<8}({detail})")
    if errors:
        print("errors")
        print_errors([*signin, *measured.samples])
    return all(holds for _, holds, _ in checks)


def main() -> int:
    print(f"preparing a class of {arguments.trainees} in {scratch} …", flush=True)
    started = time.monotonic()
    prepared = prepare_class(arguments.trainees)
    print(
        f"class created in {time.monotonic() - started:.1f} s; starting the console …", flush=True
    )
    server = ServedConsole.start(scratch)
    clean = False
    try:
        server.wait_until_ready(timeout=120)
        print_header(arguments.trainees, arguments.seconds, server)
        print(f"\nsigning in, then {arguments.seconds:.0f} s at work …", flush=True)
        signin = Recorder()
        trainer, trainees = sign_in_everyone(
            server.port, prepared, arguments.ramp, arguments.seed, signin
        )
        measured = run_class(server, trainer, trainees, arguments.seconds)
        print_signin(signin.samples(), arguments.ramp)
        print_class(measured)
        print_targets(signin.samples(), measured)
    finally:
        left = server.stop()
        clean = not left
        if left:
            print("left running after SIGINT, killed:")
            for process in left:
                print(f"  {process.pid} {process.command}")
        else:
            print("\nserver stopped with SIGINT; nothing of it left running")
        if clean and not arguments.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"scratch directory kept: {scratch} (console.log has the server's output)")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
