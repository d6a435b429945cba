"""Crash safety of bulk files with real Celery workers (separate processes, prefork pool, the
Redis broker, this test database): a worker killed outright — its child, or the whole worker —
in the middle of a file, a broker that lost its queue, or a database that drops every
connection of the workers, and the file still ends exactly once, with the same declarations as
an uninterrupted run. How fast: a database outage is ridden out by the tasks' own retries
within 15 s of the database's return, and a dead worker's work is queued again by the
reconciler, at the pace beat runs it, within 30 s."""

from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from contributions import bulk
from contributions.models import (
    BulkChunk,
    BulkUpload,
    ChunkStatus,
    ContributionRate,
    Declaration,
    DeclarationLine,
    LedgerEntry,
    UploadStatus,
)
from notifications.models import Notification
from portal.celery import app, worker_command
from tests import clock
from tests.contributions.bulk_helpers import csv_bytes, receive, rows_for, world
from tests.servers import TIMED_PROCESSES

pytestmark = [pytest.mark.django_db(transaction=True), TIMED_PROCESSES]

# A chunk's cost is mostly fixed (its queries and its task), not its lines: 40 lines a chunk keep
# five chunks to each month's declaration and a hundred to the file, for a quarter of the time
# that 400 chunks of 10 lines took (and of the copies the reconciler queues of pending chunks).
CHUNK_LINES = 40
EMPLOYEES = 200
MONTHS = 20  # the file declares the employer's last 20 months: 4,000 lines, 100 chunks
CHUNKS = EMPLOYEES * MONTHS // CHUNK_LINES


def _wait_until(condition: Callable[[], bool], *, seconds: float = 90, every: float = 0.05) -> None:
    # Every 50 ms: polling every 5 ms, the test's own queries took a good part of a core from
    # the workers it waits for (two queries a poll for a statement: 400 a second).
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"still waiting after {seconds} s")


@pytest.fixture
def storage(settings, tmp_path) -> Path:
    settings.BULK_UPLOAD_DIR = tmp_path / "uploads"
    settings.BULK_CHUNK_LINES = CHUNK_LINES
    settings.BULK_REQUEUE_AFTER_SECONDS = 0
    return settings.BULK_UPLOAD_DIR


@pytest.fixture(autouse=True)
def _empty_queues() -> Iterator[None]:
    def purge() -> None:
        with app.connection_for_write() as broker:
            for queue in ("bulk", "default"):
                broker.default_channel.queue_purge(queue)

    purge()
    yield
    purge()


class Worker:
    """``celery worker`` in its own process group, on this test database and broker, at the
    tests' date (tests/clock.py).

    ``standby=True`` starts it without waiting and without taking any work (it consumes a queue
    of its own): a test starts its workers first, builds its data while they start, and has each
    take its queues with ``take_work()`` where it used to start it — from there on, the same
    worker of the same queues."""

    def __init__(
        self,
        storage: Path,
        *,
        queues: tuple[str, ...] = ("bulk", "default"),
        environment: dict[str, str] | None = None,
        standby: bool = False,
    ) -> None:
        self.log = (storage.parent / f"worker-{time.monotonic_ns()}.log").open("wb")
        extra = environment or {}
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
            "BULK_UPLOAD_DIR": str(storage),
            "BULK_CHUNK_LINES": str(CHUNK_LINES),
            "REDIS_CACHE_DB": str(os.environ.get("REDIS_CACHE_DB", "14")),
            "REDIS_BROKER_DB": str(os.environ.get("REDIS_BROKER_DB", "15")),
            "LOG_LEVEL": "INFO",
            **extra,
        }
        name = f"test-{queues[0]}-{time.monotonic_ns()}"
        self.queues = queues
        self.hostname = f"{name}@{socket.gethostname()}"
        self.standby_queue = f"standby-{name}" if standby else None
        self.process = subprocess.Popen(
            clock.command(
                worker_command(queues=(self.standby_queue,) if standby else queues, concurrency=2, name=name)
            ),
            env=environment,
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        if not standby:
            self._wait_started()

    def _wait_started(self) -> None:
        # Its own answer ends the wait as soon as it comes (a ping without a limit waits its timeout).
        _wait_until(
            lambda: self.process.poll() is not None or bool(app.control.ping([self.hostname], timeout=0.5, limit=1)),
            seconds=60,
        )
        assert self.process.poll() is None, "the worker did not start"

    def take_work(self) -> None:
        """A standby worker, once started, consumes its queues (and no longer its own)."""
        assert self.standby_queue is not None, "not a standby worker"
        self._wait_started()
        standby_queue = self.standby_queue
        inspect = app.control.inspect([self.hostname], timeout=0.5)
        for queue in self.queues:
            app.control.add_consumer(queue, destination=[self.hostname], reply=True, timeout=0.5, limit=1)
        app.control.cancel_consumer(standby_queue, destination=[self.hostname], reply=True, timeout=0.5, limit=1)
        _wait_until(
            lambda: (
                sorted(queue["name"] for queue in (inspect.active_queues() or {}).get(self.hostname, []))
                == sorted(self.queues)
            ),
            seconds=30,
        )

    def logged(self) -> str:
        """What the worker has written to its log so far."""
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL to the whole worker (parent and pool), as when a machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """A warm shutdown: the pool finishes what it runs, then the worker exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.standby_queue is not None:
            with app.connection_for_write() as broker:
                broker.default_channel.queue_delete(self.standby_queue)
            self.standby_queue = None


@pytest.fixture
def workers(storage) -> Iterator[Callable[..., Worker]]:
    """``workers(**options)`` starts a standby Worker on this test's storage (stopped at the end
    of the test, whatever happened)."""
    started: list[Worker] = []

    def start(**options: Any) -> Worker:
        worker = Worker(storage, standby=True, **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def database_down(seconds: float) -> int:
    """What the workers see of a PostgreSQL restart that lasts ``seconds``: the database refuses
    new connections, and every connection to it but the test's own is cut, whatever it was
    doing. Returns how many were cut."""
    cut = 0
    database = connection.settings_dict
    name = database["NAME"]
    # A database cannot refuse connections from a session of its own: say it from another one.
    with (
        psycopg.connect(
            host=database["HOST"] or "127.0.0.1",
            port=database["PORT"] or 5432,
            user=database["USER"],
            dbname="postgres",
            autocommit=True,
        ) as server,
        connection.cursor() as cursor,
    ):
        server.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                cut += cursor.fetchone()[0]
                time.sleep(0.01)
        finally:
            server.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    return cut


def beat_every(seconds: float, reconcile: Callable[[], object], done: Callable[[], bool], *, within: float) -> float:
    """What beat does: ``reconcile`` now and every ``seconds`` (the schedule's interval), until
    ``done``; the seconds it took. Fails past ``within`` seconds."""
    start = time.monotonic()
    next_pass = start
    while not done():
        now = time.monotonic()
        assert now - start < within, f"not done {within} s after the start"
        if now >= next_pass:
            reconcile()
            next_pass += seconds
        time.sleep(0.05)
    return time.monotonic() - start


def _database_url() -> str:
    database = connection.settings_dict
    return (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )


def _file(w) -> tuple[bytes, int]:
    """Lines for the mandating employer over its last MONTHS months (all valid).

    The workers read the real clock, so the months are counted back from today; the demo's oldest
    rates start on a fixed day (January 2025), so they are made to apply from the file's first
    month when that is earlier (a year back from December 2026, the file starts in April 2024)."""
    rows = []
    start = timezone.localdate().replace(day=1)
    for back in range(1, MONTHS + 1):
        month = start
        for _ in range(back):
            month = (month - datetime.timedelta(days=1)).replace(day=1)
        rows += rows_for(w["a"], w["staff"][w["a"].pk], period=f"{month:%Y-%m}", wage=f"{2000 + back}.50")
    oldest = ContributionRate.objects.aggregate(oldest=Min("valid_from"))["oldest"]
    ContributionRate.objects.filter(valid_from=oldest, valid_from__gt=month).update(valid_from=month)
    return csv_bytes(rows), len(rows)


def _outcome(upload: BulkUpload) -> list[tuple]:
    """Everything the file made, comparable between two runs."""
    return sorted(
        (d.period, d.status, d.version, d.line_count, d.total_wages, tuple(sorted(d.totals.items())))
        for d in Declaration.objects.filter(bulk_upload=upload)
    )


def _finished(upload: BulkUpload) -> bool:
    return BulkUpload.objects.get(pk=upload.pk).is_finished


# Seconds between two passes of the reconciler until a file is finished (beat: 15 s). Each pass
# queues again every chunk still pending (BULK_REQUEUE_AFTER_SECONDS is 0 here): passes every
# second kept the workers busy with copies of hundreds of chunks (of 10 lines then), and the file
# took three times as long as without the reconciler; there are still copies of most chunks, run
# twice.
RECONCILE_EVERY_SECONDS = 3


def _reconcile_until_finished(upload: BulkUpload, *, seconds: float = 120) -> None:
    """What beat does every 15 seconds, every RECONCILE_EVERY_SECONDS here, until the file is
    finished."""
    deadline = time.monotonic() + seconds
    while not _finished(upload):
        assert time.monotonic() < deadline, "the file did not finish"
        bulk.uploads_reconcile(now=timezone.now())
        pause = time.monotonic() + RECONCILE_EVERY_SECONDS
        while time.monotonic() < pause and not _finished(upload):
            time.sleep(0.05)


def _assert_exactly_once(upload: BulkUpload, lines: int) -> None:
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED
    assert upload.declarations == MONTHS
    assert DeclarationLine.objects.filter(declaration__bulk_upload=upload).count() == lines
    assert not Declaration.objects.filter(bulk_upload=upload, status="pending").exists()
    assert LedgerEntry.objects.filter(declaration__bulk_upload=upload).count() == MONTHS
    assert (
        Notification.objects.filter(event_type="bulk_upload_processed", recipient_id=upload.uploaded_by_id).count() == 1
    )
    assert set(BulkChunk.objects.filter(upload=upload).values_list("status", flat=True)) == {ChunkStatus.DONE}


def _reference(w, content: bytes, worker: Worker) -> list[tuple]:
    """The same file, uninterrupted (sent by the employer's own administrator), run by
    ``worker`` (a standby worker, which goes on running: the test's own run goes on with it)."""
    upload = receive(w["a_actor"], content).upload
    worker.take_work()
    _wait_until(lambda: _finished(upload))
    outcome = _outcome(upload)
    # Make room for the second run of the same months: the reference steps aside.
    Declaration.objects.filter(bulk_upload=upload).update(status="replaced")
    return outcome


def _no_half_chunk(upload: BulkUpload) -> None:
    """Whatever the moment of the crash: the lines stored are exactly those of chunks done."""
    done = BulkChunk.objects.filter(upload=upload, status=ChunkStatus.DONE)
    assert DeclarationLine.objects.filter(declaration__bulk_upload=upload).count() == sum(c.line_count for c in done)


def test_killing_the_whole_worker_mid_file_then_restarting_ends_it_exactly_once(storage, workers):
    worker, restarted = workers(), workers()  # both start while the data is built
    w = world(employees=EMPLOYEES)
    content, lines = _file(w)
    expected = _reference(w, content, worker)

    upload = receive(w["bureau_actor"], content).upload
    _wait_until(lambda: BulkChunk.objects.filter(upload=upload, status=ChunkStatus.DONE).exists())
    worker.kill()  # parent and pool, mid-file: some chunks done, one or two being written
    time.sleep(0.5)  # the database notices the dead connections and rolls their work back
    pending = BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING).count()
    assert pending > 0, "the worker finished before it could be killed: make the file longer"
    _no_half_chunk(upload)

    restarted.take_work()  # a worker of the queue again: its start-up was done beside the first run
    try:
        _reconcile_until_finished(upload)
    finally:
        restarted.stop()

    _assert_exactly_once(upload, lines)
    assert _outcome(upload) == [(p, s, 2, n, t, b) for p, s, _v, n, t, b in expected]
    assert sum(d.total_wages for d in Declaration.objects.filter(bulk_upload=upload)) == sum(
        (Decimal(f"{2000 + back}.50") * EMPLOYEES for back in range(1, MONTHS + 1)), Decimal("0.00")
    )


def test_killing_a_pool_process_mid_chunk_ends_the_file_exactly_once(storage, workers):
    worker = workers()
    w = world(employees=EMPLOYEES)
    content, lines = _file(w)
    upload = receive(w["bureau_actor"], content).upload
    worker.take_work()
    try:
        _wait_until(lambda: BulkChunk.objects.filter(upload=upload, status=ChunkStatus.DONE).exists())
        child = worker.children()[0]
        os.kill(child, signal.SIGKILL)  # the parent replaces it and hands its task back
        _reconcile_until_finished(upload)
    finally:
        worker.stop()

    _assert_exactly_once(upload, lines)


def test_a_broker_that_lost_its_queue_and_a_stopped_worker_lose_nothing(storage, workers):
    worker = workers()
    w = world(employees=EMPLOYEES)
    content, lines = _file(w)
    upload = receive(w["bureau_actor"], content).upload
    # The upload's messages are lost (a Redis restart without persistence) before any worker ran.
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("bulk")
    worker.take_work()
    try:
        time.sleep(2)
        assert BulkUpload.objects.get(pk=upload.pk).status == UploadStatus.RECEIVED  # nothing to do: lost
        _reconcile_until_finished(upload)
    finally:
        worker.stop()

    _assert_exactly_once(upload, lines)
    assert settings.CELERY_BEAT_SCHEDULE["bulk-reconcile"]["schedule"] <= 30


def test_the_database_dropping_the_workers_connections_mid_file_ends_it_exactly_once(storage, workers):
    """What the workers see of a PostgreSQL restart: every connection cut, whatever it was doing
    (a chunk's COPY, its commit, the finalization), and new connections refused for a moment."""
    worker = workers()
    w = world(employees=EMPLOYEES)
    content, lines = _file(w)
    expected = _reference(w, content, worker)

    upload = receive(w["bureau_actor"], content).upload
    try:
        _wait_until(lambda: BulkChunk.objects.filter(upload=upload, status=ChunkStatus.DONE).exists())
        cut = 0
        with connection.cursor() as cursor:
            # For a second, every connection to this database but the test's own is terminated
            # as soon as it appears (the restart, and the workers' first attempts to reconnect).
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                cut += cursor.fetchone()[0]
                time.sleep(0.01)
        assert cut > 0
        assert BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING).exists(), "make the file longer"
        _no_half_chunk(upload)
        _reconcile_until_finished(upload)
    finally:
        worker.stop()

    _assert_exactly_once(upload, lines)
    assert _outcome(upload) == [(p, s, 2, n, t, b) for p, s, _v, n, t, b in expected]


def _done_chunks(upload: BulkUpload) -> int:
    return BulkChunk.objects.filter(upload=upload, status=ChunkStatus.DONE).count()


def test_a_database_outage_mid_file_is_ridden_out_by_the_tasks_own_retries(storage, workers, capsys):
    """Ten seconds of PostgreSQL refusing the workers: every queued chunk is retried with a short
    backoff rather than failed, and the file goes on within 15 s of the database's return and
    ends exactly once — without the reconciler (which this test never calls)."""
    worker = workers()
    w = world(employees=EMPLOYEES)
    content, lines = _file(w)
    upload = receive(w["bureau_actor"], content).upload
    worker.take_work()
    try:
        _wait_until(lambda: _done_chunks(upload) > 0)
        # Its connections cut (unless the outage began between two chunks, with none open).
        database_down(10)
        back = time.monotonic()
        done_when_back = _done_chunks(upload)
        assert BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING).exists(), "make the file longer"
        _no_half_chunk(upload)
        _wait_until(lambda: _done_chunks(upload) > done_when_back, seconds=15)
        resumed = time.monotonic() - back
        # Then the rest of the file at the workers' pace (about a hundred chunks here).
        _wait_until(lambda: _finished(upload), seconds=120)
        finished = time.monotonic() - back
    finally:
        worker.stop()

    assert "task retried after a transient database error" in worker.logged(), "the outage reached no task"
    _assert_exactly_once(upload, lines)
    with capsys.disabled():
        print(
            f"\n[figures] bulk, database back: resumed after {resumed:.1f} s, file finished after {finished:.1f} s"
            f" ({CHUNKS - done_when_back} chunks left when it came back)"
        )


def test_a_whole_worker_killed_mid_file_is_resumed_within_30_seconds_by_the_reconciler_as_beat_runs_it(
    storage, settings, capsys
):
    """A worker killed outright leaves its chunks taken and no longer locked, and its messages
    unacknowledged in Redis for the visibility timeout (20 minutes): the reconciler, at the pace
    beat runs it, queues those chunks again at once (no lease to wait for), and another worker
    finishes the file exactly once."""
    schedule = settings.CELERY_BEAT_SCHEDULE["bulk-reconcile"]["schedule"]
    assert schedule == 15.0
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > 30  # no help from the broker
    settings.BULK_REQUEUE_AFTER_SECONDS = 60  # as in production: not what brings the work back
    w = world(employees=EMPLOYEES)
    content, lines = _file(w)
    upload = receive(w["bureau_actor"], content).upload
    abandoned: list[int] = []
    # Kill while a chunk is being processed, as a machine dies. A chunk takes milliseconds: the
    # kill may land just after the one seen finished — then a worker is started and killed again.
    for attempt in range(5):
        worker = Worker(storage)
        if attempt == 0:
            _wait_until(lambda: _done_chunks(upload) > 0)
        _wait_until(lambda: _chunks_being_processed(upload) > 0, seconds=30, every=0.001)
        worker.kill()
        killed = time.monotonic()
        time.sleep(0.5)
        abandoned = list(
            BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING, started_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
        if abandoned:
            break
    assert abandoned, "the worker finished its chunks before it could be killed, five times"
    _no_half_chunk(upload)

    # Another worker of the bulk queue (or the same, restarted), started now: beat's 30 s
    # include its start-up.
    other = Worker(storage)
    try:
        beat_every(
            schedule,
            lambda: bulk.uploads_reconcile(now=timezone.now()),
            lambda: not BulkChunk.objects.filter(pk__in=abandoned, status=ChunkStatus.PENDING).exists(),
            within=30 - (time.monotonic() - killed),
        )
        resumed = time.monotonic() - killed
        beat_every(schedule, lambda: bulk.uploads_reconcile(now=timezone.now()), lambda: _finished(upload), within=120)
        finished = time.monotonic() - killed
    finally:
        other.stop()

    _assert_exactly_once(upload, lines)
    with capsys.disabled():
        print(
            f"\n[figures] bulk, whole worker killed: its chunks done again after {resumed:.1f} s,"
            f" file finished after {finished:.1f} s"
        )


def _chunks_being_processed(upload: BulkUpload) -> int:
    """Chunks of the file a worker took and has not finished (probing their row locks would
    make the workers skip them)."""
    return BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING, started_at__isnull=False).count()
