from __future__ import annotations

from django.contrib import admin

from training.models import Seat, TrainingClass


class SeatInline(admin.TabularInline[Seat, TrainingClass]):
    model = Seat
    fields = ["number", "trainee", "tenant", "started_at"]
    readonly_fields = ["number", "trainee", "tenant", "started_at"]
    extra = 0
    can_delete = False


@admin.register(TrainingClass)
class TrainingClassAdmin(admin.ModelAdmin[TrainingClass]):
    list_display = ["name", "scenario", "trainer", "created_at", "closed_at"]
    list_filter = ["scenario"]
    inlines = [SeatInline]
