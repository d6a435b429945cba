"""Empty the metrics directory of the multiprocess mode before the web and the workers start
(docker-compose's ``migrate`` step runs it): the files of processes that ended stay counted
until then."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.metrics import MULTIPROCESS_VARIABLE, multiprocess_start


class Command(BaseCommand):
    help = "Remove the metrics files of earlier runs from PROMETHEUS_MULTIPROC_DIR (before the processes start)."

    def handle(self, *args: Any, **options: Any) -> None:
        directory = os.environ.get(MULTIPROCESS_VARIABLE)
        if not directory:
            raise CommandError(f"{MULTIPROCESS_VARIABLE} is not set: there is no directory to empty.")
        multiprocess_start(Path(directory))
        self.stdout.write(f"metrics directory emptied: {directory}")
