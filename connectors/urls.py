from __future__ import annotations

from django.urls import path, register_converter

from connectors import views


class DirectionConverter:
    regex = "outbound|inbound"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DirectionConverter, "direction")

app_name = "connectors"

urlpatterns = [
    path("", views.connector_list, name="list"),
    path("<direction:direction>/<uuid:pk>/", views.connector_details, name="details"),
]
