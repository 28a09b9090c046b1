"""Browser tests: Playwright driving the system Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

# What a person waits for can take a while on a busy machine: a page polling every few seconds
# until a message is delivered, a worker's validation. Assertions wait up to this long (Playwright's
# own default is 5 s, which a 3-second poll on a slow machine can miss); they end as soon as what
# they wait for is on the page.
expect.set_options(timeout=15_000)

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # this machine has no internet; don't try
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("EAC_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        reason = "no Chromium installed (apt-get install chromium), so the browser tests cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(f"Under CI a browser test may not skip: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, settings: Any) -> Iterator[Page]:
    # The live server speaks plain HTTP on localhost.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Every browser test also checks that nothing on its pages broke the Content-Security-Policy
    # (an inline script or style, a foreign source): Chromium reports each refusal on the console.
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert refused == [], refused


def serious_accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


# The lab's SMTP/DNS peers and a worker aimed at them, for validation in the browser.
from tests.validation.peers import dns_lab, lab_ca, smtp_lab  # noqa: E402
from tests.workers import lab_worker  # noqa: E402

__all__ = ["dns_lab", "lab_ca", "lab_worker", "smtp_lab"]


def snapshot(page: Page, name: str) -> None:
    """With EAC_SCREENSHOT_DIR set, keeps a picture of the page (for the README and for review)."""
    folder = os.environ.get("EAC_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
