"""The browser error matrix (docs/forms.md). For every form of the console, each mistake the
server refuses is made as a person makes it, in Chromium with htmx on and again with JavaScript
off: the message must be visible and focused, nothing may have been saved, and the corrected form
must then succeed.

`test_every_form_that_can_refuse_input_has_a_case` fails when a URL is added that isn't
classified here: a form endpoint whose code can answer 4xx needs a case in CASES (or in the
Classic cases, tests/e2e/error_cases_classic.py); everything else says why it is not such a form."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Browser, Page, expect

from eac.models import Tenant, User
from tests.e2e.conftest import serious_accessibility_violations, snapshot
from tests.e2e.error_cases import CASES as NEW_AND_OTHER_CASES
from tests.e2e.error_cases import Case, World, state_of
from tests.e2e.error_cases_classic import CLASSIC_CASES

CASES = [*NEW_AND_OTHER_CASES, *CLASSIC_CASES]

pytestmark = pytest.mark.django_db(transaction=True)

# --- Which URLs are forms that can refuse what a person typed ---------------------------------

# Every other named URL, with why a person can't make it answer a refusal. Only 403/404/405 (role,
# another tenant's object, wrong method) may come from these; the scan below checks their code.
NOT_A_FORM: dict[str, str] = {
    "home": "redirects to the first page the user may see",
    "signout": "signs out; nothing to type",
    "switch_tenant": "a choice among the user's own organizations; any other is ignored",
    "connectors:list": "a list; its search never refuses",
    "connectors:details": "the details flyout; nothing to type",
    "connectors:delete": "a confirmation; nothing to type",
    "connectors:delete_selected": "a confirmation of rows chosen with checkboxes",
    "connectors:export": "a download",
    "connectors:export_json": "a download",
    "connectors:wizard_start": "starts a draft",
    "connectors:wizard": "resumes a draft at its first open step",
    "connectors:wizard_created": "the page after Create",
    "validation:connector_run": "a run's progress and results",
    "validation:run": "a run's details",
    "validation:progress": "polled by the page",
    "validation:stop": "the Stop button; nothing to type",
    "classic_wizard:start": "starts a draft",
    "classic_wizard:edit": "the pencil: starts an edit draft",
    "accepted_domains": "a list",
    "classic:connectors": "a list",
    "classic:connector": "a list with the details pane",
    "classic:accepted_domains": "a list",
    "classic:accepted_domain": "a list with the details pane",
    "classic:switch_tenant": "as switch_tenant",
    "lab:mailbox": "a list",
    "lab:message": "a message's details",
    "lab:traced_message": "a traced message's details; the search beside it is lab:trace's",
    "lab:validate_inbound": "an inbound connector's validation: what the lab sends, and the result",
    "lab:validate_inbound_send": "the Validate button; nothing to type",
    "explorer_test_message": "the explorer's test message panel, polled while Pending",
    "training:classes": "a list",
    "training:class": "the live progress table",
    "training:class_reset": "a confirmation; nothing to type",
    "training:class_close": "a confirmation; nothing to type",
    "training:seat_reset": "a confirmation; nothing to type",
    "training:seat_password": "a confirmation; the new password is shown once",
    "training:seat_review": "opens a sandbox read-only",
    "training:panel": "polled by the training panel",
    "training:briefing": "a page to read",
    "healthz": "a health probe for machines",
}

# URLs that answer 400 only to a request the page never sends (a forged or tampered POST): a
# person using the page can't make that mistake, so there is nothing to show them.
REFUSES_ONLY_FORGED_POSTS: dict[str, str] = {
    "connectors:set_status": "its buttons post status=on or off; anything else is forged",
    "classic:connector_status": "as connectors:set_status",
    "training:credentials_csv": "posts back the emails and passwords the page itself holds",
    "explorer_send": "Send a test message posts the addresses the prediction was shown for",
}

REFUSAL = re.compile(
    r"status(?:_code)?\s*=\s*4(?!0[345])\d\d"  # status=422, status_code = 409
    r"|,\s*4(?!0[345])\d\d\s*\)?\s*$"  # return context, 422
    r"|HttpResponseBadRequest|raise BadRequest",
    re.MULTILINE,
)


def named_urls(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, Callable[..., Any]]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            if namespace != "admin:":
                yield from named_urls(pattern.url_patterns, namespace)
        elif pattern.name:
            yield prefix + pattern.name, pattern.callback


def reachable_code(view: Callable[..., Any]) -> Iterator[str]:
    """The source of the view and of every project function it calls, directly or not."""
    seen: set[Any] = set()
    todo = [view]
    while todo:
        function = inspect.unwrap(todo.pop())
        if function in seen or not getattr(function, "__module__", "").startswith(
            ("console", "eac", "connectors", "validation", "lab", "training")
        ):
            continue
        seen.add(function)
        try:
            source = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError):
            continue
        yield source
        tree = ast.parse(source)
        # A parameter or local variable named like a module's function is not that function.
        local = {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)} | {
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        names = {k: v for k, v in getattr(function, "__globals__", {}).items() if k not in local}
        for node in ast.walk(tree):
            found: Any = None
            if isinstance(node, ast.Name):
                found = names.get(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                found = getattr(names.get(node.value.id), node.attr, None)
            if inspect.isfunction(found):
                todo.append(found)


def can_refuse(view: Callable[..., Any]) -> bool:
    return any(REFUSAL.search(source) for source in reachable_code(view))


def test_every_form_that_can_refuse_input_has_a_case() -> None:
    covered = {case.form for case in CASES}
    problems = []
    for name, view in sorted(named_urls(get_resolver().url_patterns)):
        if name in covered:
            continue
        if name in REFUSES_ONLY_FORGED_POSTS:
            continue
        if name not in NOT_A_FORM:
            problems.append(f"{name}: no case in the error matrix, and not listed as not a form")
        elif can_refuse(view):
            problems.append(f"{name}: listed as not a form, but its code can answer 4xx")
    known = {name for name, _ in named_urls(get_resolver().url_patterns)}
    stale = (covered | set(NOT_A_FORM) | set(REFUSES_ONLY_FORGED_POSTS)) - known
    problems += [f"{name}: no such URL any more" for name in sorted(stale)]
    assert problems == []


def test_the_scan_finds_refusals_where_they_are() -> None:
    """The guard above is only as good as this scan: it must see the 4xx of known forms."""
    views = dict(named_urls(get_resolver().url_patterns))
    for name in ("connectors:wizard_step", "connectors:edit", "accepted_domain_add"):
        assert can_refuse(views[name]), name
    for name in ("connectors:list", "validation:run"):
        assert not can_refuse(views[name]), name


# --- The matrix ------------------------------------------------------------------------------


@pytest.fixture
def world(live_server: Any, contoso: Tenant, admin: User, settings: Any) -> World:
    # The live server speaks plain HTTP on localhost.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return World(base=str(live_server), tenant=contoso, admin=admin)


def signed_in_page(browser: Browser, world: World, user: User | None, js: bool) -> Page:
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, java_script_enabled=js, base_url=world.base
    )
    context.set_default_timeout(10_000)
    if user is not None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": world.base}]
        )
    return context.new_page()


def expect_refusal_shown(page: Page, message: str) -> None:
    """The message is on the page and where focus is: in the focused error summary, or the
    focused control is described by it (a one-box form), or it is a focused alert."""
    expect(page.get_by_text(message, exact=False).first).to_be_visible()
    summary = page.locator("[data-error-summary]")
    if summary.count():
        expect(summary).to_contain_text(message)
        expect(summary).to_be_focused()
        return
    described = page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) { return ""; }
          const ids = (el.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
          return ids.map(id => (document.getElementById(id) || {}).textContent || "").join(" ")
            + " " + (el.getAttribute("role") === "alert" ? el.textContent : "");
        }"""
    )
    assert message in described, f"focus is not on {message!r}: {described!r}"


# Each case with htmx on and with JavaScript off, but for the few mistakes only one of them lets
# a person make (the case says why).
RUNS = [
    pytest.param(case, js, id=f"{case.id}-{'htmx' if js else 'no-js'}")
    for case in CASES
    for js in (True, False)
    if case.js in (None, js)
]


@pytest.mark.browser
@pytest.mark.parametrize(("case", "js"), RUNS)
def test_a_mistake_is_shown_and_can_be_corrected(
    case: Case, js: bool, browser: Browser, world: World
) -> None:
    user = case.user(world) if case.user else world.admin
    page = signed_in_page(browser, world, user, js)
    case.start(page, world)
    if case.meanwhile:
        case.meanwhile(page, world)
    before = state_of(world.tenant)
    case.mistake(page, world)
    expect_refusal_shown(page, case.message)
    if js:  # axe runs as a script in the page
        assert serious_accessibility_violations(page) == [], "in the error state"
        if case.shot:
            snapshot(page, case.shot)
    assert state_of(world.tenant) == before, "a refused form saved something"
    case.fix(page, world)
    case.done(page, world)
    page.context.close()
