from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from connectors.domains import views as domain_views
from connectors.mailflow import views as explorer_views
from console import health
from eac import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("tenant/switch/", views.switch_tenant, name="switch_tenant"),
    path("mail-flow/connectors/", include("connectors.urls")),
    path("mail-flow/", include("validation.urls")),
    path("classic/mail-flow/connectors/new/", include("connectors.classic.wizard_urls")),
    path("mail-flow/accepted-domains/", domain_views.accepted_domains, name="accepted_domains"),
    path("mail-flow/explorer/", explorer_views.mail_flow_explorer, name="explorer"),
    path(
        "mail-flow/explorer/test-message/",
        explorer_views.send_explorer_test_message,
        name="explorer_send",
    ),
    path(
        "mail-flow/explorer/test-message/<uuid:pk>/",
        explorer_views.explorer_test_message,
        name="explorer_test_message",
    ),
    path(
        "mail-flow/accepted-domains/add/",
        domain_views.accepted_domain_add,
        name="accepted_domain_add",
    ),
    path(
        "mail-flow/accepted-domains/<int:pk>/",
        domain_views.accepted_domain_details,
        name="accepted_domain",
    ),
    path(
        "mail-flow/accepted-domains/<int:pk>/remove/",
        domain_views.accepted_domain_remove,
        name="accepted_domain_remove",
    ),
    path("classic/", include("connectors.classic.urls")),
    path("lab/", include("lab.urls")),
    path("training/", include("training.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
