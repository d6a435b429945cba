"""Serve the portal for a demo: the web process and a Celery worker (with beat) beside it, both
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

from portal.celery import QUEUES, worker_command
from portal.metrics import MULTIPROCESS_VARIABLE, multiprocess_start


class Command(BaseCommand):
    help = "Run the web server on 127.0.0.1:8000 with a Celery worker and beat beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # Before the worker starts: it inherits the variable, and finds the directory empty.
        multiprocess_start(Path(os.environ.get(MULTIPROCESS_VARIABLE) or settings.EMBEDDED_DATA_DIR / "prometheus"))
        worker = subprocess.Popen(worker_command(queues=QUEUES, concurrency=2, beat=True))  # noqa: S603
        self.stdout.write(f"Celery worker started (pid {worker.pid}); portal on http://{options['address']}/")
        try:
            call_command("runserver", options["address"], use_reloader=False)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
