from __future__ import annotations

from django.urls import path

import connectors.urls  # noqa: F401  (registers the <direction:…> converter)
from connectors.classic import wizard_views as views

app_name = "classic_wizard"

urlpatterns = [
    path("", views.start, name="start"),
    path("<uuid:draft_id>/<slug:key>/", views.page, name="page"),
    path("edit/<direction:direction>/<uuid:pk>/", views.edit, name="edit"),
]
