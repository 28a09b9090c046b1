from __future__ import annotations

from django.urls import path

from training import trainee_views, trainer_views

app_name = "training"

urlpatterns = [
    # The trainer's pages (trainer_views.py)
    path("", trainer_views.classes, name="classes"),
    path("new/", trainer_views.class_new, name="class_new"),
    path("<int:pk>/", trainer_views.class_detail, name="class"),
    path("<int:pk>/credentials.csv", trainer_views.credentials_csv, name="credentials_csv"),
    path("<int:pk>/reset/", trainer_views.class_reset, name="class_reset"),
    path("<int:pk>/close/", trainer_views.class_close, name="class_close"),
    path("<int:pk>/trainees/<int:number>/reset/", trainer_views.seat_reset, name="seat_reset"),
    path("<int:pk>/trainees/<int:number>/review/", trainer_views.seat_review, name="seat_review"),
    path(
        "<int:pk>/trainees/<int:number>/password/",
        trainer_views.seat_password,
        name="seat_password",
    ),
    # The trainee's panel beside the console (trainee_views.py)
    path("panel/", trainee_views.panel, name="panel"),
    path("briefing/", trainee_views.briefing, name="briefing"),
    path("answer/<slug:task_id>/", trainee_views.answer, name="answer"),
]
