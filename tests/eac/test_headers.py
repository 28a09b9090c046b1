"""The headers a signed-in page carries (eac/headers.py, django-csp), and the templates staying
free of what the Content-Security-Policy forbids. The browser tests check the same from the other
side: a page that breaks the policy fails them (tests/e2e/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from eac.models import Tenant

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


def test_a_signed_in_page_allows_only_the_consoles_own_scripts_and_styles(
    admin_client_: Client, contoso: Tenant
) -> None:
    response = admin_client_.get(reverse("connectors:list"))
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url", ["/mail-flow/connectors/", "/mail-flow/accepted-domains/", "/mail-flow/explorer/"]
)
def test_signed_in_pages_are_never_stored(admin_client_: Client, contoso: Tenant, url: str) -> None:
    assert "no-store" in admin_client_.get(url)["Cache-Control"]


def test_the_sign_in_page_carries_the_policy_too(client: Client) -> None:
    response = client.get(reverse("signin"))
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_a_template_has_no_inline_script_style_or_handler(template: Path) -> None:
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "an inline <script>"
    assert not re.search(r"<style\b", text), "a <style> element"
    assert not re.search(r"\sstyle=\"", text), "a style attribute"
    assert not re.search(r"\son[a-z]+=\"", text), "an event handler attribute"
    assert "javascript:" not in text


@pytest.mark.parametrize(
    "url", ["/signin/", "/mail-flow/connectors/", "/classic/mail-flow/connectors/"]
)
def test_every_shell_names_its_icon_so_no_browser_asks_for_favicon_ico(
    admin_client_: Client, contoso: Tenant, url: str
) -> None:
    """Without a <link rel="icon">, browsers ask for /favicon.ico, a 404 in every console log."""
    page = admin_client_.get(url, follow=True).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon is not None
    name = icon.group(1).removeprefix(settings.STATIC_URL)
    assert finders.find(name) is not None, name
