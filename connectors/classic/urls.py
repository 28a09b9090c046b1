"""The Classic EAC's pages, under /classic/ (namespace "classic")."""

from __future__ import annotations

from django.urls import path

import connectors.urls  # noqa: F401  (registers the <direction:…> converter these paths use)
from connectors.classic import views as classic_views

app_name = "classic"

urlpatterns = [
    path("mail-flow/connectors/", classic_views.connector_list, name="connectors"),
    path(
        "mail-flow/connectors/<direction:direction>/<uuid:pk>/",
        classic_views.connector_list,
        name="connector",
    ),
    path(
        "mail-flow/connectors/<direction:direction>/<uuid:pk>/status/",
        classic_views.connector_set_status,
        name="connector_status",
    ),
    path("mail-flow/accepted-domains/", classic_views.accepted_domains, name="accepted_domains"),
    path(
        "mail-flow/accepted-domains/<int:pk>/",
        classic_views.accepted_domains,
        name="accepted_domain",
    ),
    path(
        "mail-flow/accepted-domains/<int:pk>/edit/",
        classic_views.accepted_domain_edit,
        name="accepted_domain_edit",
    ),
    path("tenant/switch/", classic_views.switch_tenant, name="switch_tenant"),
]
