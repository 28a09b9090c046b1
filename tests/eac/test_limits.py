"""A request over Django's limits gets a page that says so, whatever form sent it, and saves
nothing (eac/limits.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from eac.models import AcceptedDomain, Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x" * (3 * 1024 * 1024)},  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        {f"field{i}": "x" for i in range(1_500)},  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    ],
    ids=["too-many-bytes", "too-many-fields"],
)
def test_an_oversized_form_gets_the_too_large_page_and_saves_nothing(
    admin_client_: Client, contoso: Tenant, data: dict[str, str]
) -> None:
    before = AcceptedDomain.objects.filter(tenant=contoso).count()
    response = admin_client_.post(reverse("accepted_domain_add"), data)
    assert response.status_code == 413
    page = response.content.decode()
    assert "That was too much to send" in page
    assert "nothing was saved" in page
    assert AcceptedDomain.objects.filter(tenant=contoso).count() == before


def test_a_post_within_the_limits_still_meets_the_csrf_check(contoso: Tenant) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("signin"), {"username": "a@b.example", "password": "x"})
    assert response.status_code == 403
