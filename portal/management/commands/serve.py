"""Serve the portal for a demo: the web process, a Celery worker for the "control" queue (with
beat: the reconcilers and housekeeping, never behind slow work) and one for the other queues, all
counting their metrics in one directory (``PROMETHEUS_MULTIPROC_DIR``, by default
``EMBEDDED_DATA_DIR/prometheus``, emptied at start), so that ``/internal/metrics`` shows the
requests and the tasks together.

Links in e-mails, the verification QR codes and the sandbox payment and identity check point at
``SITE_URL``: unless it is set, ``serve`` derives it (and ``PAYMENT_SANDBOX_URL``,
``LIFE_CHECK_SANDBOX_URL``) from the address it serves, for itself and the workers. Each worker
runs in a process group of its own, stopped as a whole (the worker and its pool) when ``serve``
ends, by Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
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


def site_url_for(address: str) -> str:
    """The public address of a portal served on ``address`` (``host:port`` or ``port``, as
    ``runserver`` takes it); a wildcard host is reached on this machine as 127.0.0.1."""
    host, _, port = address.rpartition(":")
    host = host or "127.0.0.1"
    if host in {"0.0.0.0", "0", "[::]"}:  # noqa: S104 - what runserver may be given, not what it binds
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def site_url_apply(*, address: str, environ: Any, django_settings: Any) -> None:
    """Point ``SITE_URL`` (and ``PAYMENT_SANDBOX_URL``, ``LIFE_CHECK_SANDBOX_URL``, when derived) at
    ``address``, in this process's settings and in the environment its workers inherit — unless
    ``SITE_URL`` is set."""
    if environ.get("SITE_URL"):
        return
    site_url = site_url_for(address)
    environ["SITE_URL"] = site_url
    django_settings.SITE_URL = site_url
    if not environ.get("PAYMENT_SANDBOX_URL"):
        django_settings.PAYMENT_SANDBOX_URL = site_url + "/sandbox-pay/"
    if not environ.get("LIFE_CHECK_SANDBOX_URL"):
        django_settings.LIFE_CHECK_SANDBOX_URL = site_url + "/sandbox-check/"


def _stop_group(worker: subprocess.Popen[bytes], *, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone, with its pool
        os.killpg(worker.pid, sig)


def _raise_exit(_signum: int, _frame: object) -> None:
    # SIGTERM's default action ends the process at once, leaving the workers behind: end it like
    # Ctrl-C instead, through the ``finally`` that stops them.
    raise SystemExit(0)


class Command(BaseCommand):
    help = "Run the web server on 127.0.0.1:8000 with the Celery workers and beat beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--address", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        site_url_apply(address=options["address"], environ=os.environ, django_settings=settings)
        signal.signal(signal.SIGTERM, _raise_exit)
        # Before the worker starts: it inherits the variable, and finds the directory empty.
        multiprocess_start(Path(os.environ.get(MULTIPROCESS_VARIABLE) or settings.EMBEDDED_DATA_DIR / "prometheus"))
        workers: list[subprocess.Popen[bytes]] = []
        try:
            workers.append(
                subprocess.Popen(  # noqa: S603
                    worker_command(queues=CONTROL_QUEUES, concurrency=1, name="control", beat=True),
                    start_new_session=True,
                )
            )
            workers.append(
                subprocess.Popen(  # noqa: S603
                    worker_command(queues=WORK_QUEUES, concurrency=2, name="work"), start_new_session=True
                )
            )
            pids = ", ".join(str(worker.pid) for worker in workers)
            self.stdout.write(f"Celery workers started (pids {pids}); portal on {settings.SITE_URL}/")
            self.stdout.flush()
            call_command("runserver", options["address"], use_reloader=False)
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            for worker in workers:
                _stop_group(worker, sig=signal.SIGTERM)
            for worker in workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=20)
                # The pool's processes too, should the worker have left any behind.
                _stop_group(worker, sig=signal.SIGKILL)
                worker.wait()
