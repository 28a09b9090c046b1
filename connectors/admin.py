from __future__ import annotations

from django.contrib import admin

from connectors.models import InboundConnector, OutboundConnector


@admin.register(OutboundConnector)
class OutboundConnectorAdmin(admin.ModelAdmin[OutboundConnector]):
    list_display = ["name", "tenant", "connector_type", "enabled", "tls_settings", "is_validated"]
    list_filter = ["tenant", "connector_type", "enabled", "tls_settings", "is_validated"]
    search_fields = ["name", "comment", "tenant__name"]
    readonly_fields = ["id", "version", "created_at", "changed_at"]
    autocomplete_fields = ["tenant"]


@admin.register(InboundConnector)
class InboundConnectorAdmin(admin.ModelAdmin[InboundConnector]):
    list_display = ["name", "tenant", "connector_type", "enabled", "require_tls"]
    list_filter = ["tenant", "connector_type", "enabled", "require_tls"]
    search_fields = ["name", "comment", "tenant__name"]
    readonly_fields = ["id", "version", "created_at", "changed_at"]
    autocomplete_fields = ["tenant"]
