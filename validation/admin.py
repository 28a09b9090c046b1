from __future__ import annotations

from django.contrib import admin

from validation.models import ValidationRun, ValidationTask


class ValidationTaskInline(admin.TabularInline[ValidationTask, ValidationRun]):
    model = ValidationTask
    extra = 0
    can_delete = False
    fields = ("seq", "name", "host", "address", "status", "duration_ms", "error")
    readonly_fields = fields


@admin.register(ValidationRun)
class ValidationRunAdmin(admin.ModelAdmin[ValidationRun]):
    list_display = ["created_at", "tenant", "connector", "status", "started_by"]
    list_filter = ["tenant", "status"]
    search_fields = ["connector__name", "recipients"]
    readonly_fields = ["id", "created_at", "started_at", "deadline_at", "finished_at"]
    inlines = [ValidationTaskInline]
