from __future__ import annotations

from celery import Task, shared_task
from django.utils import timezone

from eac.models import WorkerHeartbeat


@shared_task(name="eac.record_worker_heartbeat", bind=True)
def record_worker_heartbeat(self: Task, token: str) -> None:  # type: ignore[type-arg]
    """Proves a worker can take a task from the broker and write to the console's database."""
    WorkerHeartbeat.objects.update_or_create(
        token=token, defaults={"seen_at": timezone.now(), "hostname": self.request.hostname or ""}
    )
