"""The metrics of several processes add up (prometheus-client's multiprocess mode), with the real
servers: gunicorn's workers, recycled on the way, and a Celery worker's prefork pool, each
counting in its own files of PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from portal.celery import app, worker_command
from tests.servers import TIMED_PROCESSES, Gunicorn, test_database_url

pytestmark = [pytest.mark.django_db(transaction=True), TIMED_PROCESSES]

TOKEN = "metrics-token-for-the-process-tests"


def _wait_until(condition: Callable[[], bool], *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"still waiting after {seconds} s")


def _environment(directory: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_CACHE_DB": os.environ.get("REDIS_CACHE_DB", "14"),
        "REDIS_BROKER_DB": os.environ.get("REDIS_BROKER_DB", "15"),
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "METRICS_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def gunicorn(tmp_path) -> Iterator[tuple[str, Path]]:
    directory = tmp_path / "metrics"
    directory.mkdir()
    # Two workers, each replaced after 5 requests: the counts of processes that ended stay counted.
    server = Gunicorn(_environment(directory), options=("--max-requests", "5"), log=tmp_path / "gunicorn.log")
    try:
        yield server.base, directory
    finally:
        server.stop()


def _healthz_count(base: str) -> float:
    request = urllib.request.Request(f"{base}/internal/metrics", headers={"Authorization": f"Bearer {TOKEN}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 — our own server
        body = response.read().decode()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "guichet_http_request_duration_seconds_count" and sample.labels == {
                "route": "healthz",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0


def test_gunicorns_workers_add_up_even_those_that_ended(gunicorn):
    base, directory = gunicorn
    # The readiness probes of the fixture: one that the client gave up on while gunicorn was
    # starting is still answered (and counted) once a worker is up; wait until none is left.
    before, previous = _healthz_count(base), -1.0
    while before != previous:
        time.sleep(1)
        before, previous = _healthz_count(base), before

    for _ in range(30):
        # A worker replaced after its fifth request boots Django again (seconds on a busy machine).
        with urllib.request.urlopen(f"{base}/healthz", timeout=60):  # noqa: S310 — our own server
            pass

    assert _healthz_count(base) == before + 30
    # Thirty requests, five per worker before it is replaced: at least six processes counted,
    # each in its own file, named by host and process.
    files = sorted(path.name for path in directory.glob("histogram_*.db"))
    assert len(files) >= 6
    host = socket.gethostname().replace("_", "-")
    assert all(name.startswith(f"histogram_{host}-") for name in files)


@pytest.fixture
def celery_worker(tmp_path) -> Iterator[Path]:
    directory = tmp_path / "metrics"
    directory.mkdir()
    queues = ("control", "notifications")

    def purge() -> None:
        with app.connection_for_write() as broker:
            for queue in queues:
                broker.default_channel.queue_purge(queue)

    purge()
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        worker_command(queues=queues, concurrency=2, name=f"test-metrics-{time.monotonic_ns()}"),
        env=_environment(directory),
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until(lambda: worker.poll() is not None or bool(app.control.ping(timeout=0.5)))
        assert worker.poll() is None, "the worker did not start"
        yield directory
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()
        purge()


def _counted(directory: Path, name: str, **labels: str) -> float:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return registry.get_sample_value(name, labels) or 0.0


def test_a_real_workers_tasks_are_timed_and_their_failures_counted_per_queue(celery_worker):
    directory = celery_worker
    purge = {"task": "portal.tasks.sessions_purge", "queue": "control"}
    send = {"task": "notifications.deliveries_send", "queue": "notifications"}

    app.send_task("portal.tasks.sessions_purge")
    app.send_task("portal.tasks.sessions_purge")
    # A message no code can run: its ids are not numbers.
    app.send_task("notifications.deliveries_send", kwargs={"delivery_ids": ["not-a-number"]})

    # A task's duration is what the worker records last (task_postrun, after task_failure): once
    # each task's is counted, its failures are too. Waiting on the failure instead, the duration
    # was still to come when read on a busy machine (0, not 1).
    _wait_until(
        lambda: (
            _counted(directory, "guichet_celery_task_duration_seconds_count", **purge) == 2
            and _counted(directory, "guichet_celery_task_duration_seconds_count", **send) == 1
        )
    )
    assert _counted(directory, "guichet_celery_task_failures_total", **purge) == 0
    assert _counted(directory, "guichet_celery_task_failures_total", **send) == 1


def test_the_directory_is_emptied_before_a_run(tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "histogram_oldhost-123.db").write_bytes(b"stale")
    (directory / "notes.txt").write_text("not ours")
    command = [sys.executable, "manage.py", "metrics_reset"]

    done = subprocess.run(command, env=_environment(directory), capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in directory.iterdir()) == ["notes.txt"]
    unset = {name: value for name, value in _environment(directory).items() if name != "PROMETHEUS_MULTIPROC_DIR"}
    refused = subprocess.run(command, env=unset, capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR is not set" in refused.stderr
