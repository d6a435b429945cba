"""Crash safety of a payment run's bank files with real Celery workers (separate processes,
prefork pool, the Redis broker, this test database): the whole worker killed while it writes
the ``pain.001`` files of an approved run, and the export still ends exactly once — each file
written once, each payment in exactly one file, the bytes its builder gives (the files are the
same on every export), the run exported. A file the dead worker held is queued again by the
reconciler (``benefits.payment_files_reconcile``, run by beat), and by nothing else: its message
stays unacknowledged in Redis for the visibility timeout.

Where the worker is killed is not left to timing: the test holds a lock the task waits for at
that point — the run's row (the file saved, the run's check not made, neither committed), or
the payments table (the file taken and locked, its transfers not read yet) — and kills the
worker once its two pool processes wait for it."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone
from lxml import etree

from benefits import services, tasks
from benefits.models import Payment, PaymentFile, PaymentRun, PaymentStatus, RunStatus
from benefits.payments import bank
from core.periods import Period
from portal.celery import app
from tests.benefits.payment_helpers import PAIN001_XSD, finance_officer, pensioner
from tests.contributions.test_bulk_worker import Worker, _wait_until
from tests.servers import TIMED_PROCESSES

pytestmark = [pytest.mark.django_db(transaction=True), TIMED_PROCESSES]

FILE_TRANSACTIONS = 2
PENSIONERS = 9
FILES = 5  # 2, 2, 2, 2 and 1 transfers
# The files' queue, and the reconciler's.
QUEUES = ("bulk", "default")
PAIN001 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@pytest.fixture(autouse=True)
def _empty_queues() -> Iterator[None]:
    """The files' queues emptied before and after the test, and the messages killed workers
    took and never acknowledged forgotten (no worker runs then): Redis would hand them to the
    workers of a test run past the visibility timeout, with ids of that run's files."""

    def purge() -> None:
        with app.connection_for_write() as broker:
            channel = broker.default_channel
            for queue in QUEUES:
                channel.queue_purge(queue)
            channel.client.delete(channel.unacked_key, channel.unacked_index_key)

    purge()
    yield
    purge()


@pytest.fixture
def storage(settings, tmp_path) -> Path:
    settings.PAYMENT_FILE_TRANSACTIONS = FILE_TRANSACTIONS
    return tmp_path / "uploads"


@pytest.fixture
def standby(storage) -> Iterator[Callable[[], Worker]]:
    """``standby()`` starts a standby worker of the files' queue (tests/contributions/
    test_bulk_worker.py, Worker): it starts while the test prepares the run, and takes its
    queues with ``take_work()`` where the test used to start it. Stopped at the end of the test."""
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(
            storage,
            standby=True,
            queues=QUEUES,
            environment={"PAYMENT_FILE_TRANSACTIONS": str(FILE_TRANSACTIONS)},
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def writes() -> Iterator[Callable[[], Counter[int]]]:
    """``writes()``: the committed writes of each file's content, counted by a trigger of the
    test's own (a write rolled back with a killed worker's connection counts nothing). Requested
    before the workers, it is dropped after they stopped."""

    def drop() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS test_payment_file_write ON benefits_paymentfile")
            cursor.execute("DROP FUNCTION IF EXISTS test_payment_file_write()")
            cursor.execute("DROP TABLE IF EXISTS test_payment_file_write")

    drop()  # a run stopped before its teardown, on a test database kept (--reuse-db)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_payment_file_write (file_id bigint NOT NULL)")
        cursor.execute(
            "CREATE FUNCTION test_payment_file_write() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN INSERT INTO test_payment_file_write VALUES (NEW.id); RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_payment_file_write AFTER UPDATE OF content ON benefits_paymentfile"
            " FOR EACH ROW WHEN (NEW.content IS NOT NULL) EXECUTE FUNCTION test_payment_file_write()"
        )

    def counted() -> Counter[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT file_id FROM test_payment_file_write")
            return Counter(row[0] for row in cursor.fetchall())

    yield counted
    drop()


def _approved_run() -> tuple[PaymentRun, dict[int, str]]:
    """This month's run of PENSIONERS pensioners, prepared, checked and approved: FILES files
    planned, their tasks queued. With the SHA-256 of each file's document as its builder gives
    it, before any worker wrote one."""
    now = timezone.now()
    period = Period.of(timezone.localdate(now))
    for number in range(PENSIONERS):
        pensioner(amount=f"{1000 + 10 * number}.50", start_on=period.first_day, now=now, first_name=f"P{number}")
    run_id = services.payment_run_prepare(period=period, user_id=None, now=now).run_id
    checker, approver = finance_officer("Checker"), finance_officer("Approver")
    services.payment_run_submit(run_id=run_id, user_id=checker.pk, now=now)
    assert services.payment_run_approve(run_id=run_id, user_id=approver.pk, now=now) == FILES
    run = PaymentRun.objects.get(pk=run_id)
    return run, {f.pk: hashlib.sha256(bank.pain001(f, run)).hexdigest() for f in run.files.all()}


@contextlib.contextmanager
def _holding(statement: str, parameters: tuple[Any, ...] = ()) -> Iterator[None]:
    """The lock ``statement`` takes, held by a connection of the test's own until the block
    ends (whatever happens in it)."""
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        dbname=database["NAME"],
    ) as holder:
        try:
            holder.execute(statement, parameters)
            yield
        finally:
            holder.rollback()


def _waiting() -> list[int]:
    """The sessions of this database waiting for a lock: the pool processes stopped at the
    test's (the second one waiting for a row waits behind the first, not the test)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY pid"
        )
        return [row[0] for row in cursor.fetchall()]


def _waiting_for_the_payments() -> list[int]:
    """The sessions waiting to read the payments table (the test holds it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE NOT granted AND locktype = 'relation'"
            " AND relation = 'benefits_payment'::regclass AND pid <> pg_backend_pid() ORDER BY pid"
        )
        return [row[0] for row in cursor.fetchall()]


def _gone(pids: list[int]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
        return cursor.fetchone()[0] == 0


def _written(run: PaymentRun) -> dict[int, datetime.datetime]:
    return dict(PaymentFile.objects.filter(run=run, content__isnull=False).values_list("pk", "written_at"))


def _being_written(run: PaymentRun) -> set[int]:
    """The run's files not written that a task holds: those a probe skipping locked rows does
    not get. Only while the worker's processes wait at the test's lock (a task skips a file the
    probe holds)."""
    unwritten = set(PaymentFile.objects.filter(run=run, content__isnull=True).values_list("pk", flat=True))
    with transaction.atomic():
        free = PaymentFile.objects.select_for_update(skip_locked=True).filter(run=run, content__isnull=True)
        return unwritten - set(free.values_list("pk", flat=True))


def _status(run: PaymentRun) -> str:
    return PaymentRun.objects.get(pk=run.pk).status


def _kill_waiting(worker: Worker, pids: list[int], holding: contextlib.ExitStack) -> None:
    """SIGKILL to the whole worker (parent and pool) while its processes wait at the test's
    locks; then the locks go, and the database ends the dead sessions, rolling back what they
    had begun."""
    worker.kill()
    holding.close()
    _wait_until(lambda: _gone(pids), seconds=30)


def _assert_exported_exactly_once(run: PaymentRun, expected: dict[int, str], writes: Counter[int]) -> None:
    run.refresh_from_db()
    assert (run.status, run.exported_at is not None) == (RunStatus.EXPORTED, True)
    files = list(run.files.order_by("sequence"))
    assert [f.transactions for f in files] == [2, 2, 2, 2, 1]
    assert writes == Counter({f.pk: 1 for f in files})  # each file written once
    # The same bytes as the builder's, the same on every export.
    assert {f.pk: f.sha256 for f in files} == expected
    assert all(hashlib.sha256(bytes(f.content)).hexdigest() == f.sha256 for f in files)
    # Valid, and each payment of the run in exactly one file, for its amount.
    schema = etree.XMLSchema(etree.parse(str(PAIN001_XSD)))
    transfers = Counter[str]()
    for f in files:
        document = etree.fromstring(bytes(f.content))
        schema.assertValid(document)
        assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=PAIN001) == f.message_id
        transfers.update(document.xpath("//p:CdtTrfTxInf/p:PmtId/p:EndToEndId/text()", namespaces=PAIN001))
    payments = Payment.objects.filter(run=run)
    assert payments.count() == PENSIONERS
    assert set(payments.values_list("status", flat=True)) == {PaymentStatus.PENDING}
    assert transfers == Counter({e2e: 1 for e2e in payments.values_list("end_to_end_id", flat=True)})
    assert sum(f.total for f in files) == sum(p.amount for p in payments)


def _reconcile_until_exported(run: PaymentRun, *, seconds: float = 30) -> None:
    """What beat does every minute (``benefits.payment_files_reconcile``: the files of approved
    runs not written, queued again), every half second here, until the run is exported."""
    _wait_until(lambda: _reconciled(run), seconds=seconds, every=0.5)


def _reconciled(run: PaymentRun) -> bool:
    if _status(run) == RunStatus.EXPORTED:
        return True
    tasks.payment_files_reconcile()
    return False


def test_killing_the_whole_worker_mid_export_then_restarting_ends_it_exactly_once(writes, standby):
    """Killed with two files built and saved, each process waiting for the run's lock to check
    whether its file was the last (the file and that check commit together): both files are
    rolled back with the dead sessions — never a run left approved with every file written,
    which nothing would mark exported; restarted, the worker writes the queued files, the
    reconciler queues the two again, and the run is exported with its five files written once."""
    worker, restarted = standby(), standby()  # both start while the run is prepared
    run, expected = _approved_run()

    with contextlib.ExitStack() as holding:
        holding.enter_context(_holding("SELECT 1 FROM benefits_paymentrun WHERE id = %s FOR UPDATE", (run.pk,)))
        worker.take_work()
        _wait_until(lambda: len(_waiting()) == 2, seconds=30)
        pids = _waiting()
        begun = _being_written(run)
        assert len(begun) == 2
        assert _written(run) == {}  # saved in their transactions, not committed
        assert _status(run) == RunStatus.APPROVED
        _kill_waiting(worker, pids, holding)

    assert _written(run) == {}  # rolled back with the dead sessions
    assert writes() == Counter()
    assert set(bank.files_to_write()) == set(run.files.values_list("pk", flat=True))

    restarted.take_work()  # a worker of the queue again: its start-up was done beside the first
    try:
        _reconcile_until_exported(run)
    finally:
        restarted.stop()

    _assert_exported_exactly_once(run, expected, writes())


def test_a_file_a_dead_worker_held_waits_for_the_reconciler_as_beat_sends_it(writes, standby):
    """Killed with a file being written in each of its processes: the broker keeps their
    messages unacknowledged for the visibility timeout, so a worker restarted writes the three
    files still queued and no more; the run waits, those two files are what the reconciler finds
    to write, and the reconciler's task, sent as beat sends it, has them written: exported,
    exactly once."""
    assert django_settings.CELERY_BEAT_SCHEDULE["benefits-payment-files"]["task"] == "benefits.payment_files_reconcile"
    assert django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > 600  # no help from the broker
    worker, restarted = standby(), standby()
    run, expected = _approved_run()

    with contextlib.ExitStack() as holding:
        holding.enter_context(_holding("LOCK TABLE benefits_payment IN ACCESS EXCLUSIVE MODE"))
        worker.take_work()
        _wait_until(lambda: len(_waiting_for_the_payments()) == 2, seconds=30)
        pids = _waiting_for_the_payments()
        begun = _being_written(run)
        assert len(begun) == 2
        _kill_waiting(worker, pids, holding)

    assert not _written(run)
    assert not writes()

    restarted.take_work()
    try:
        _wait_until(lambda: len(_written(run)) == FILES - 2, seconds=30)
        inspect = app.control.inspect([restarted.hostname], timeout=0.5)
        _wait_until(lambda: (inspect.active() or {}).get(restarted.hostname) == [], seconds=10)
        with app.connection_for_write() as broker:
            assert broker.default_channel.queue_declare(queue="bulk").message_count == 0
        # Nothing queued, nothing running: the two files wait, and the run with them.
        assert set(bank.files_to_write()) == begun
        assert not begun & set(_written(run))
        assert _status(run) == RunStatus.APPROVED

        app.send_task("benefits.payment_files_reconcile")  # what beat sends every minute
        _wait_until(lambda: _status(run) == RunStatus.EXPORTED, seconds=30)
    finally:
        restarted.stop()

    _assert_exported_exactly_once(run, expected, writes())
    assert bank.files_to_write() == []
