"""Stop the embedded PostgreSQL and Redis of the zero-setup mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.embedded import stop_embedded_services


class Command(BaseCommand):
    help = "Stop the embedded servers (zero-setup mode): manage.py embedded_services stop"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["stop"])

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connections

        connections.close_all()
        stopped = stop_embedded_services(settings.EMBEDDED_DATA_DIR)
        self.stdout.write("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
