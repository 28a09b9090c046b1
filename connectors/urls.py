from __future__ import annotations

from django.urls import path, register_converter

from connectors import views
from connectors.interchange import views as powershell_views
from connectors.wizard import edit_views
from connectors.wizard import views as wizard_views


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
    path(
        "<direction:direction>/<uuid:pk>/edit/<slug:key>/",
        edit_views.connector_edit,
        name="edit",
    ),
    path(
        "<direction:direction>/<uuid:pk>/edit/<slug:key>/validation/<uuid:draft_id>/",
        edit_views.connector_edit_validation,
        name="edit_validation",
    ),
    path(
        "<direction:direction>/<uuid:pk>/status/",
        edit_views.connector_set_status,
        name="set_status",
    ),
    path("<direction:direction>/<uuid:pk>/delete/", edit_views.connector_delete, name="delete"),
    path("delete/", edit_views.connectors_delete_selected, name="delete_selected"),
    path("export.ps1", powershell_views.export_script, name="export"),
    path("export.json", powershell_views.export_json, name="export_json"),
    path("import/", powershell_views.connector_import, name="import"),
    path("new/", wizard_views.wizard_start, name="wizard_start"),
    path("new/<uuid:draft_id>/", wizard_views.wizard_resume, name="wizard"),
    path("new/<uuid:draft_id>/created/", wizard_views.wizard_created, name="wizard_created"),
    path("new/<uuid:draft_id>/<slug:key>/", wizard_views.wizard_step, name="wizard_step"),
]
