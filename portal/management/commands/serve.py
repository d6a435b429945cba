"""Serve the portal for a demo: the web process, a Celery worker for the "control" queue (with
beat: the reconcilers and housekeeping, never behind slow work) and one for the other queues, all
counting their metrics in one directory (``PROMETHEUS_MULTIPROC_DIR``, by default
``EMBEDDED_DATA_DIR/prometheus``, emptied at start), so that ``/internal/metrics`` shows the
requests and the tasks together."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal.celery import CONTROL_QUEUES, WORK_QUEUES, worker_command
from portal.metrics import MULTIPROCESS_VARIABLE, multiprocess_start


class Command(BaseCommand):
    help = "Run the web server on 127.0.0.1:8000 with the Celery workers and beat beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # Before the worker starts: it inherits the variable, and finds the directory empty.
        multiprocess_start(Path(os.environ.get(MULTIPROCESS_VARIABLE) or settings.EMBEDDED_DATA_DIR / "prometheus"))
        workers = [
            subprocess.Popen(  # noqa: S603
                worker_command(queues=CONTROL_QUEUES, concurrency=1, name="control", beat=True)
            ),
            subprocess.Popen(worker_command(queues=WORK_QUEUES, concurrency=2, name="work")),  # noqa: S603
        ]
        pids = ", ".join(str(worker.pid) for worker in workers)
        self.stdout.write(f"Celery workers started (pids {pids}); portal on http://{options['address']}/")
        try:
            call_command("runserver", options["address"], use_reloader=False)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
