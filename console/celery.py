"""The Celery app. Workers run `celery -A console worker` with the same DATABASE_URL and CELERY_BROKER_URL."""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from celery import Celery
from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.json import dumps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")


class FilesystemChannel(filesystem.Channel):
    """kombu's filesystem broker (`make run`'s default), with each message written whole before
    a worker can see it. kombu opens the file under its final name and then writes it, so a worker
    that lists the folder in between reads an empty message and stops with "Unrecoverable error";
    here the message is written under another name and renamed into place."""

    # kombu's own _put takes **kwargs too (its fanout passes them); the stubs omit them.
    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"  # as kombu names them
        path = os.path.join(self.data_folder_out, name)
        partial = f"{path}.partial"  # not a `.msg`: workers pass it by
        try:
            with open(partial, "wb") as file:
                file.write(dumps(message).encode())
            os.replace(partial, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel

    @property
    def default_connection_params(self) -> dict[str, Any]:
        # A folder has no host: without this, kombu warns "No hostname was supplied" on the
        # terminal (and on validate_connector's) each time a pooled connection is looked up.
        return {"port": self.default_port}


TRANSPORT_ALIASES["filesystem"] = f"{__name__}:FilesystemTransport"

app = Celery("eac")
# The app of every thread (not only of the one that imported it): the web's request threads and
# a worker's pool threads queue tasks by name through `celery.current_app` (validation.services).
app.set_default()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
