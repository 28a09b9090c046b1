from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from eac.models import Tenant, User
from eac.roles import Role
from tests.conftest import PASSWORD, client_for, make_member

pytestmark = pytest.mark.django_db


def test_pages_send_a_signed_out_visitor_to_sign_in(client: Client) -> None:
    response = client.get(reverse("connectors:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))


def test_an_admin_signs_in_with_email_and_password_and_lands_on_connectors(
    client: Client, admin: User
) -> None:
    response = client.post(
        reverse("signin"), {"username": "ADMIN@contoso.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("connectors:list")
    assert "To Contoso servers" in response.content.decode()


def test_a_wrong_password_is_reported_on_the_form(client: Client, admin: User) -> None:
    response = client.post(reverse("signin"), {"username": "admin@contoso.com", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()


def test_sign_in_is_throttled_after_repeated_failures(
    client: Client, admin: User, settings: object
) -> None:
    for _ in range(5):
        client.post(reverse("signin"), {"username": "admin@contoso.com", "password": "nope"})
    response = client.post(
        reverse("signin"), {"username": "admin@contoso.com", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_sign_out_ends_the_session(admin_client_: Client) -> None:
    admin_client_.post(reverse("signout"))
    assert admin_client_.get(reverse("connectors:list")).status_code == 302


def test_a_user_without_a_tenant_is_told_so(db: None) -> None:
    loner = User.objects.create_user("loner@example.com", PASSWORD)
    response = client_for(loner).get(reverse("connectors:list"))
    assert response.status_code == 403
    assert "don't administer any organization" in response.content.decode()


def test_a_member_of_two_tenants_switches_between_them(contoso: Tenant, fabrikam: Tenant) -> None:
    consultant = make_member("consultant@example.com", contoso, Role.MAIL_FLOW_ADMINISTRATOR)
    make_member("consultant@example.com", fabrikam, Role.VIEW_ONLY)
    client = client_for(consultant)
    first = client.get(reverse("connectors:list")).content.decode()
    assert 'id="tenant-switch"' in first
    assert "To Contoso servers" in first

    response = client.post(reverse("switch_tenant"), {"tenant": fabrikam.pk}, follow=True)
    html = response.content.decode()
    assert "Fabrikam outbound secret" in html
    assert "To Contoso servers" not in html
    assert response.context["membership"].role == Role.VIEW_ONLY


PROXY = "10.0.0.5"  # every request behind the TLS proxy arrives from it


def _sign_in_from(client: Client, forwarded: str, password: str) -> int:
    response = client.post(
        reverse("signin"),
        {"username": "admin@contoso.com", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.status_code


def test_behind_the_tls_proxy_a_strangers_failures_dont_lock_the_admin_out(
    client: Client, admin: User, settings: object
) -> None:
    settings.EAC_BEHIND_TLS_PROXY = True  # type: ignore[attr-defined]
    for _ in range(5):
        _sign_in_from(client, "203.0.113.9", "nope")
    assert _sign_in_from(client, "203.0.113.9", PASSWORD) == 429  # the stranger is locked out
    assert _sign_in_from(Client(), "198.51.100.7", PASSWORD) == 302  # the admin is not


def test_behind_the_tls_proxy_only_the_address_the_proxy_wrote_counts(
    client: Client, admin: User, settings: object
) -> None:
    """A client that writes its own X-Forwarded-For entries can't step around the lockout: the
    proxy appends the address it saw, and that right-most entry is the one counted."""
    settings.EAC_BEHIND_TLS_PROXY = True  # type: ignore[attr-defined]
    for fake in range(5):
        _sign_in_from(client, f"192.0.2.{fake}, 203.0.113.9", "nope")
    assert _sign_in_from(client, "192.0.2.99, 203.0.113.9", PASSWORD) == 429


def test_without_the_proxy_setting_x_forwarded_for_is_ignored(client: Client, admin: User) -> None:
    for fake in range(5):
        _sign_in_from(client, f"192.0.2.{fake}", "nope")
    assert _sign_in_from(client, "192.0.2.99", PASSWORD) == 429
