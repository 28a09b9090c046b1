from __future__ import annotations

from django.urls import path

from validation import views

app_name = "validation"

urlpatterns = [
    path("connectors/outbound/<uuid:pk>/validate/", views.validate_connector, name="validate"),
    path(
        "connectors/outbound/<uuid:pk>/validate/<uuid:run_id>/",
        views.connector_run,
        name="connector_run",
    ),
    path("validation-runs/<uuid:run_id>/", views.run_details, name="run"),
    path("validation-runs/<uuid:run_id>/progress/", views.run_progress_partial, name="progress"),
    path("validation-runs/<uuid:run_id>/stop/", views.stop_run, name="stop"),
]
