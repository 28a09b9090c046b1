from __future__ import annotations

from django.urls import path

from lab import views

app_name = "lab"

urlpatterns = [
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<int:pk>/", views.mailbox_message, name="message"),
]
