from __future__ import annotations

from django.contrib import admin

from lab.models import LabMessage


@admin.register(LabMessage)
class LabMessageAdmin(admin.ModelAdmin[LabMessage]):
    list_display = ["received_at", "tenant", "mail_from", "subject", "behaviour"]
    list_filter = ["tenant", "behaviour"]
    search_fields = ["mail_from", "subject", "message_id", "validation_run"]
    readonly_fields = [field.name for field in LabMessage._meta.fields]
