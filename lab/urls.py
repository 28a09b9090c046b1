from __future__ import annotations

from django.urls import path

from lab import inbound_views, views
from lab.message_trace import views as trace_views

app_name = "lab"

urlpatterns = [
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<int:pk>/", views.mailbox_message, name="message"),
    path("trace/", trace_views.message_trace, name="trace"),
    path("trace/<uuid:pk>/", trace_views.traced_message, name="traced_message"),
    path(
        "inbound/<uuid:pk>/validate/",
        inbound_views.inbound_validation,
        name="validate_inbound",
    ),
    path(
        "inbound/<uuid:pk>/validate/send/",
        inbound_views.inbound_validation_send,
        name="validate_inbound_send",
    ),
]
