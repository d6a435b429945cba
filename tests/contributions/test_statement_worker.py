"""Crash safety of contribution statements with real Celery workers (separate processes, prefork
pool, the Redis broker, this test database): forty years asked for, the worker killed outright —
its child, or the whole worker — or the database restarting in the middle of the rendering, and
the statement still ends ready exactly once: one code registered, one file, the person told
once. How fast: the task's own retry takes the statement back within 15 s of the database's
return, without counting an attempt; a dead worker's statement is taken again within 30 s,
queued by the reconciler at the pace beat runs it."""

from __future__ import annotations

import datetime
import hashlib
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from contributions import statements
from contributions.models import StatementRequest
from core.models import VerifiableDocument
from core.periods import Period
from devtools.history import paid_history
from devtools.rates import demo_rates_seed
from notifications.models import Notification
from portal.celery import app
from tests.contributions.test_bulk_worker import Worker, _wait_until, beat_every, database_down
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory
from tests.servers import TIMED_PROCESSES

pytestmark = [pytest.mark.django_db(transaction=True), TIMED_PROCESSES]

# A worker taking a statement that another took this long ago, and did not finish, takes it over.
LEASE_SECONDS = 2


@pytest.fixture(autouse=True)
def _empty_queues() -> Iterator[None]:
    def purge() -> None:
        with app.connection_for_write() as broker:
            for queue in ("documents", "default"):
                broker.default_channel.queue_purge(queue)

    purge()
    yield
    purge()


@pytest.fixture
def storage(settings, tmp_path) -> Path:
    settings.STATEMENT_REQUEUE_AFTER_SECONDS = LEASE_SECONDS
    return tmp_path / "uploads"


_OPTIONS: dict[str, Any] = {
    "queues": ("documents", "default"),
    "environment": {"STATEMENT_REQUEUE_AFTER_SECONDS": str(LEASE_SECONDS)},
}


def _worker(storage: Path) -> Worker:
    return Worker(storage, **_OPTIONS)


@pytest.fixture
def standby(storage) -> Iterator[Callable[[], Worker]]:
    """``standby()`` starts a standby worker of the documents queue (tests/contributions/
    test_bulk_worker.py, Worker): it starts while the test builds its record, and takes its
    queues with ``take_work()`` where the test used to start it. Stopped at the end of the test."""
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(storage, standby=True, **_OPTIONS)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _forty_years():
    """A citizen with 480 months declared and paid by one employer (written in SQL, as the page
    benchmark does): about five seconds of WeasyPrint."""
    demo_rates_seed()
    person = PersonFactory(first_name="Carla", last_name="Bench")
    owner = UserFactory(person=person)
    employer = EnterpriseFactory(name="Bench Industries SA")
    first = Period.of(timezone.localdate())
    for _ in range(480):
        first = first.previous()
    periods = [first]
    while len(periods) < 480:
        periods.append(periods[-1].next())
    paid_history(employer, [person.pk], periods, owner, timezone.now(), unpaid=0)
    return person, owner


def _ask(person, owner) -> int:
    return statements.statement_ask(
        actor=citizen_actor(owner),
        person_id=person.pk,
        year_from=None,
        year_to=None,
        language="en",
        intent=uuid.uuid4(),
        now=timezone.now(),
    ).statement_id


def _row(statement_id: int) -> StatementRequest:
    return StatementRequest.objects.get(pk=statement_id)


def _rendering(statement_id: int) -> None:
    """Until a worker is well into the rendering (taken, and a second later)."""
    _wait_until(lambda: _row(statement_id).started_at is not None, seconds=60)
    time.sleep(1)
    assert _row(statement_id).status == "pending", "rendered before it could be killed: make the record longer"


def _reconcile_until_ready(statement_id: int, *, seconds: float = 120) -> None:
    """What beat does every minute, every half second here, until the statement is finished."""
    deadline = time.monotonic() + seconds
    while _row(statement_id).status == "pending":
        assert time.monotonic() < deadline, "the statement did not finish"
        statements.statements_reconcile(now=timezone.now())
        time.sleep(0.5)


def _assert_exactly_once(statement_id: int, owner, *, attempts: int = 2) -> None:
    statement = _row(statement_id)
    assert statement.status == "ready"
    assert statement.attempts == attempts  # after a kill: the killed rendering, and the one that finished
    [document] = VerifiableDocument.objects.all()
    assert statement.document_id == document.pk
    assert document.content_sha256 == hashlib.sha256(bytes(statement.content)).hexdigest()
    assert bytes(statement.content)[:5] == b"%PDF-"
    assert (
        Notification.objects.filter(event_type="contribution_statement_processed", recipient_id=owner.pk).count() == 1
    )


def test_killing_the_whole_worker_mid_render_then_restarting_ends_it_exactly_once(storage, standby):
    worker, restarted = standby(), standby()  # both start while the record is written
    person, owner = _forty_years()
    statement_id = _ask(person, owner)
    worker.take_work()
    _rendering(statement_id)
    worker.kill()  # parent and pool, mid-render: the transaction is rolled back with its connection
    time.sleep(0.5)
    statement = _row(statement_id)
    assert (statement.status, statement.attempts, statement.document_id) == ("pending", 1, None)
    assert not VerifiableDocument.objects.exists()

    restarted.take_work()  # a worker of the queue again: its start-up was done beside the first
    try:
        _reconcile_until_ready(statement_id)
    finally:
        restarted.stop()

    _assert_exactly_once(statement_id, owner)


def test_killing_a_pool_process_mid_render_ends_it_exactly_once(storage, standby):
    worker = standby()
    person, owner = _forty_years()
    statement_id = _ask(person, owner)
    worker.take_work()
    try:
        _rendering(statement_id)
        for child in worker.children():  # the one rendering among them: the parent replaces them
            os.kill(child, signal.SIGKILL)
        _reconcile_until_ready(statement_id)
    finally:
        worker.stop()

    _assert_exactly_once(statement_id, owner)
    assert _row(statement_id).finished_at - _row(statement_id).requested_at < datetime.timedelta(seconds=60)


def test_a_database_outage_mid_render_is_ridden_out_by_the_task_s_own_retry(storage, standby, capsys):
    """Eight seconds of PostgreSQL refusing the worker while it renders: the rendering cannot
    hand its claim back, its retry (the same task) takes it back and renders it, ready within
    15 s of the database's return, without the reconciler; the outage is not counted as an
    attempt."""
    worker = standby()
    person, owner = _forty_years()
    statement_id = _ask(person, owner)
    worker.take_work()
    try:
        _rendering(statement_id)
        taken = _row(statement_id)
        assert database_down(8) > 0
        back = time.monotonic()
        _wait_until(
            lambda: _row(statement_id).status != "pending" or _row(statement_id).claim != taken.claim, seconds=15
        )
        resumed = time.monotonic() - back
        _wait_until(lambda: _row(statement_id).status != "pending", seconds=15 - resumed)
        ready = time.monotonic() - back
    finally:
        worker.stop()

    # Taken back by the same task, a later run of it (not a copy queued by the reconciler).
    task, run = _row(statement_id).claim.split("/")
    assert (task, int(run) > 0) == (taken.claim.split("/")[0], True)
    _assert_exactly_once(statement_id, owner, attempts=1)
    with capsys.disabled():
        print(f"\n[figures] statement, database back: taken back after {resumed:.1f} s, ready after {ready:.1f} s")


def test_a_whole_worker_killed_mid_render_is_taken_again_within_30_seconds_by_the_reconciler_as_beat_runs_it(
    storage, standby, settings, capsys
):
    schedule = django_settings.CELERY_BEAT_SCHEDULE["statements-reconcile"]["schedule"]
    assert schedule == 15.0
    settings.STATEMENT_REQUEUE_AFTER_SECONDS = 60  # as in production: not what brings it back
    worker = standby()
    person, owner = _forty_years()
    statement_id = _ask(person, owner)
    worker.take_work()
    _rendering(statement_id)
    killed_claim = _row(statement_id).claim
    worker.kill()
    killed = time.monotonic()

    # Another worker of the documents queue (or the same, restarted), started now: beat's 30 s
    # include its start-up.
    other = _worker(storage)
    try:
        beat_every(
            schedule,
            lambda: statements.statements_reconcile(now=timezone.now()),
            lambda: _row(statement_id).claim != killed_claim,
            within=30 - (time.monotonic() - killed),
        )
        resumed = time.monotonic() - killed
        beat_every(
            schedule,
            lambda: statements.statements_reconcile(now=timezone.now()),
            lambda: _row(statement_id).status != "pending",
            within=60,
        )
        ready = time.monotonic() - killed
    finally:
        other.stop()

    _assert_exactly_once(statement_id, owner)
    with capsys.disabled():
        print(
            f"\n[figures] statement, whole worker killed: taken again after {resumed:.1f} s, ready after {ready:.1f} s"
        )
