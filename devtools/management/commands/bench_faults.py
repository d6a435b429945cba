"""Benchmark: a scripted tour of faults under a running portal, with the seconds to recovery and
the 5xx served during each fault.

The portal runs as in production: gunicorn (2 workers) and a Celery worker on every queue with
its beat, on this command's database, and on a Redis of the tour's own (started on a free port,
so that stopping it disturbs nothing else), e-mail through an SMTP address the tour can silence.
A signed-in person reads their record and dashboard every 100 ms throughout.

1. **Redis stopped 30 s** while pages are read; a statement is asked for during the outage.
   Recovery: until the worker answers on the broker again, then until the statement is ready.
2. **PostgreSQL restarted** (down ``--database-down`` seconds) while a 200,000-line file is
   processed. Recovery: from its return until the next chunk is done; then the file is checked
   line for line.
3. **The whole worker killed** (SIGKILL to its process group, beat included) while a 40-year
   statement renders, and started again at once. Recovery: until the statement is taken again,
   then until it is ready; one document, one message.
4. **SMTP that never answers** during a password reset: the request's time and status; then SMTP
   answers again, and the time until the e-mail arrives, once.

It prints one JSON line: per fault ``five_xx`` (answers of 500 and above to the reader or the
person), ``server_errors`` (500 exactly: 503 is the outage page), ``slowest_ms``, the seconds
to recovery and whether the work was done exactly once. PostgreSQL is restarted where it runs:
the embedded server of ``EMBEDDED_DATA_DIR``, or the local cluster with ``pg_ctlcluster`` (run
it on a machine where nothing else uses that cluster). The data of ``bench_pages`` and
``bench_bulk`` is created once if missing and reused.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, close_old_connections, connection
from django.db.models import Count
from django.utils import timezone

from contributions import bulk, statements
from contributions.models import BulkChunk, BulkUpload, ChunkStatus, DeclarationLine, StatementRequest, UploadStatus
from core.actor import ActingMode, Actor, LevelOfAssurance
from core.periods import Period
from devtools.management.commands.bench_bulk import Command as BulkBenchmark
from devtools.management.commands.bench_pages import Command as PagesBenchmark
from devtools.servers import Gunicorn, RedisServer, SilentSmtp, Visitor, free_port, worker_stop
from identity.models import Representation, User
from notifications.models import Notification

FILE_EMPLOYERS = 200  # × 1,000 employees: 200,000 lines
RESET_ADDRESS = "reset@bench-faults.guichet.example"


def _until(condition: Callable[[], bool], *, seconds: float, every: float = 0.1) -> float:
    """Seconds until ``condition()`` holds (database errors while it comes back count as no)."""
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except OperationalError:
            close_old_connections()
            connection.close()
        if time.monotonic() - started > seconds:
            raise CommandError(f"still waiting after {seconds} s")
        time.sleep(every)


class Command(BaseCommand):
    help = "A scripted tour of faults (Redis, PostgreSQL, a worker, SMTP): 5xx served and seconds to recovery."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--redis-down", type=int, default=30, help="seconds Redis stays stopped")
        parser.add_argument("--database-down", type=int, default=5, help="seconds PostgreSQL stays stopped")
        parser.add_argument("--redis-port", type=int, default=0, help="(internal) the tour's Redis")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["redis_port"]:
            self._in_own_redis(options)
            return
        self.directory = Path(tempfile.mkdtemp(prefix="guichet-bench-faults-"))
        # This process receives the file; the worker reads it there.
        settings.BULK_UPLOAD_DIR = self.directory / "uploads"
        try:
            self._tour(options)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _in_own_redis(self, options: dict[str, Any]) -> None:
        """Run the tour again in a process whose settings name the tour's Redis, for the cache and
        the broker, as its portal's will."""
        port = free_port()
        command = [sys.executable, "manage.py", "bench_faults", "--redis-port", str(port)]
        command += ["--redis-down", str(options["redis_down"]), "--database-down", str(options["database_down"])]
        environment = {
            **os.environ,
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "REDIS_CACHE_DB": "1",
            "REDIS_BROKER_DB": "0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        }
        finished = subprocess.run(command, env=environment, check=False)  # noqa: S603 — fixed arguments
        if finished.returncode:
            raise CommandError("the fault tour failed")

    # --- the tour ---------------------------------------------------------------------------

    def _tour(self, options: dict[str, Any]) -> None:
        from aiosmtpd.controller import Controller

        self.redis = RedisServer(self.directory / "redis", port=options["redis_port"])
        self.sink = _Sink()
        sink_port = free_port()
        controller = Controller(self.sink, hostname="127.0.0.1", port=sink_port)
        controller.start()
        self.smtp = SilentSmtp(sink_port)
        pages = PagesBenchmark()
        citizen, _declarant, _employer = pages._data()
        bulk_bench = BulkBenchmark()
        bureau, enterprises, people = bulk_bench._data()
        bulk_bench._clean(bureau)
        self._statements_clean(citizen)
        self.stderr.write("data ready")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.environment = self._environment()
        gunicorn = Gunicorn(self.environment, port=port, options=("--access-logfile", "/dev/null"))
        self.worker = self._worker_start()
        reader = _Reader(self.base, pages._session(citizen).split("=", 1))
        results: dict[str, Any] = {}
        try:
            self._worker_answers(seconds=60)
            reader.start()
            time.sleep(2)
            tours: list[tuple[str, Callable[[], dict[str, Any]]]] = [
                ("redis_stopped", lambda: self._redis_stopped(reader, citizen, options["redis_down"])),
                (
                    "postgres_restarted",
                    lambda: self._postgres_restarted(
                        reader, bureau, enterprises, people, bulk_bench, options["database_down"]
                    ),
                ),
                ("worker_killed", lambda: self._worker_killed(reader, citizen)),
                ("smtp_silent", self._smtp_silent),
            ]
            for name, tour in tours:
                results[name] = tour()
                self.stderr.write(f"   {name}: {json.dumps(results[name])}")
        finally:
            reader.stop()
            worker_stop(self.worker)
            gunicorn.stop()
            self.smtp.close()
            controller.stop()
            self.redis.stop()
            close_old_connections()
            bulk_bench._clean(bureau)
            self._statements_clean(citizen)
        self.stdout.write(json.dumps(results))

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "SITE_URL": self.base,
            "BULK_UPLOAD_DIR": str(self.directory / "uploads"),
        }

    # --- 1. Redis -----------------------------------------------------------------------------

    def _redis_stopped(self, reader: _Reader, citizen: User, seconds: int) -> dict[str, Any]:
        self.stderr.write(f"1. Redis stopped {seconds} s…")
        person = Visitor(self.base)
        person.cookie_set(*reader.cookie)
        with reader.window() as window:
            self.redis.stop()
            status, _page, _url = person.open("/my-file/contributions/statement/")
            status, _page, url = person.open("/my-file/contributions/statement/", {"intent": str(uuid.uuid4())})
            asked = status == 200 and "/statements/" in url
            time.sleep(seconds)
            self.redis.start()
            back = time.monotonic()
        worker_back = _until(lambda: self._worker_answers(seconds=0.5), seconds=120)
        statement = StatementRequest.objects.filter(requested_by=citizen).order_by("-pk").first()
        ready = _until(lambda: _status(statement) == "ready", seconds=300) if asked and statement else None
        return {
            "seconds": seconds,
            **window.summary(person.answers),
            "statement_asked_during": asked,
            "worker_back_s": round(worker_back, 1),
            "statement_ready_s": round(time.monotonic() - back, 1) if ready is not None else None,
            "exactly_once": statement is not None and _statement_once(statement, citizen),
        }

    # --- 2. PostgreSQL -------------------------------------------------------------------------

    def _postgres_restarted(
        self, reader: _Reader, bureau: User, enterprises: list[Any], people: list[Any], bench: BulkBenchmark, down: int
    ) -> dict[str, Any]:
        self.stderr.write(f"2. PostgreSQL restarted ({down} s down) during a 200,000-line file…")
        path = self.directory / "declarations.csv"
        period = Period.of(timezone.localdate()).previous()
        lines = bench._file(path, enterprises[:FILE_EMPLOYERS], people, 1000, period, 0.0)
        upload = self._upload(bureau, path)
        _until(lambda: self._chunks_done(upload) >= 0.2 * self._chunks(upload), seconds=300)
        with reader.window() as window:
            done_before = self._chunks_done(upload)
            restarted = _database_restart(down)
        resumed = _until(lambda: self._chunks_done(upload) > done_before, seconds=300)
        _until(lambda: _refreshed(upload).status in {UploadStatus.ACCEPTED, UploadStatus.REJECTED}, seconds=900)
        upload.refresh_from_db()
        declared = DeclarationLine.objects.filter(declaration__bulk_upload=upload).count()
        return {
            "lines": lines,
            "database_down_s": round(restarted, 1),
            **window.summary([]),
            "resumed_s": round(resumed, 1),
            "status": upload.status,
            "exactly_once": upload.status == UploadStatus.ACCEPTED and declared == lines and _no_line_twice(upload),
        }

    def _upload(self, bureau: User, path: Path) -> BulkUpload:
        bureau_id = Representation.objects.filter(user=bureau).values_list("enterprise_id", flat=True).get()
        actor = Actor(
            user_id=bureau.pk,
            level_of_assurance=LevelOfAssurance.LOW,
            mode=ActingMode.SELF,
            enterprise_ids=frozenset({bureau_id}),
        )

        def blocks() -> Iterator[bytes]:
            with path.open("rb") as file:
                while block := file.read(1 << 20):
                    yield block

        return bulk.upload_receive(
            actor=actor, name=path.name, chunks=blocks(), size=path.stat().st_size, channel="form", now=timezone.now()
        ).upload

    @staticmethod
    def _chunks(upload: BulkUpload) -> int:
        close_old_connections()
        return BulkChunk.objects.filter(upload=upload).count() or 1_000_000

    @staticmethod
    def _chunks_done(upload: BulkUpload) -> int:
        close_old_connections()
        return BulkChunk.objects.filter(upload=upload, status=ChunkStatus.DONE).count()

    # --- 3. A worker killed ---------------------------------------------------------------------

    def _worker_killed(self, reader: _Reader, citizen: User) -> dict[str, Any]:
        self.stderr.write("3. the whole worker killed during a statement…")
        assert citizen.person_id is not None
        asked = statements.statement_ask(
            actor=Actor(
                user_id=citizen.pk,
                level_of_assurance=LevelOfAssurance.LOW,
                mode=ActingMode.SELF,
                person_id=citizen.person_id,
                subject_person_id=citizen.person_id,
            ),
            person_id=citizen.person_id,
            year_from=None,
            year_to=None,
            language="fr",
            intent=uuid.uuid4(),
            now=timezone.now(),
        )
        statement = StatementRequest.objects.get(pk=asked.statement_id)
        _until(lambda: _refreshed(statement).started_at is not None, seconds=120)
        first_start = statement.started_at
        assert first_start is not None
        time.sleep(0.5)
        with reader.window() as window:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
            self.worker = self._worker_start()
            restarted = time.monotonic()
        taken = _until(lambda: _started_after(statement, first_start), seconds=300)
        _until(lambda: _status(statement) == "ready", seconds=300)
        return {
            **window.summary([]),
            "resumed_s": round(taken, 1),
            "ready_s": round(time.monotonic() - restarted, 1),
            "attempts": _refreshed(statement).attempts,
            "exactly_once": _statement_once(statement, citizen),
        }

    # --- 4. SMTP ---------------------------------------------------------------------------------

    def _smtp_silent(self) -> dict[str, Any]:
        self.stderr.write("4. SMTP that never answers, during a password reset…")
        # An account of its own: the person of the other faults receives other e-mails.
        account, _created = User.objects.get_or_create(email=RESET_ADDRESS, defaults={"password": make_password(None)})
        person = Visitor(self.base)
        self.smtp.silent = True
        person.open("/accounts/password/reset/")
        status, _page, _url = person.open("/accounts/password/reset/", {"email": account.email})
        reset_seconds = person.answers[-1][3]
        time.sleep(5)
        self.smtp.open()
        arrived = _until(lambda: self.sink.count(account.email) > 0, seconds=300, every=0.2)
        time.sleep(5)  # a second copy would have arrived by now
        return {
            "reset_status": status,
            "reset_ms": round(reset_seconds * 1000),
            "delivered_after_smtp_back_s": round(arrived, 1),
            "emails": self.sink.count(account.email),
        }

    # --- the worker ------------------------------------------------------------------------------

    def _worker_start(self) -> subprocess.Popen[bytes]:
        from portal.celery import worker_command

        queues = _queues()
        command = worker_command(queues=queues, concurrency=2, name=f"bench-faults-{time.monotonic_ns()}")
        command += ["--beat", "--schedule", str(self.directory / "celerybeat-schedule")]
        return subprocess.Popen(command, env=self.environment, start_new_session=True)  # noqa: S603

    @staticmethod
    def _worker_answers(*, seconds: float) -> bool:
        from portal.celery import app

        deadline = time.monotonic() + seconds
        while True:
            try:
                if app.control.ping(timeout=0.5):
                    return True
            except Exception:  # noqa: BLE001, S110 — the broker coming back: not yet
                pass
            if time.monotonic() > deadline:
                return False

    @staticmethod
    def _statements_clean(citizen: User) -> None:
        from core.models import VerifiableDocument

        asked = StatementRequest.objects.filter(requested_by=citizen)
        documents = list(asked.exclude(document=None).values_list("document_id", flat=True))
        asked.delete()
        VerifiableDocument.objects.filter(pk__in=documents).delete()


def _queues() -> tuple[str, ...]:
    """Every queue the routes name: one worker consumes them all."""
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    names.update(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())
    return tuple(sorted(names))


def _no_line_twice(upload: BulkUpload) -> bool:
    """No person declared twice for the same employer and period by the file."""
    return not (
        DeclarationLine.objects.filter(declaration__bulk_upload=upload)
        .values("declaration__enterprise_id", "declaration__period", "person_id")
        .annotate(times=Count("pk"))
        .filter(times__gt=1)
        .exists()
    )


def _refreshed(instance: Any) -> Any:
    close_old_connections()
    instance.refresh_from_db()
    return instance


def _started_after(statement: StatementRequest, moment: datetime.datetime) -> bool:
    started = _refreshed(statement).started_at
    return started is not None and started > moment


def _status(statement: StatementRequest) -> str:
    return str(_refreshed(statement).status)


def _statement_once(statement: StatementRequest, citizen: User) -> bool:
    from core.models import VerifiableDocument

    statement.refresh_from_db()
    documents = VerifiableDocument.objects.filter(pk=statement.document_id).count() if statement.document_id else 0
    told = Notification.objects.filter(
        recipient=citizen, event_type="contribution_statement_processed", created_at__gte=statement.requested_at
    ).count()
    return statement.status == "ready" and documents == 1 and told >= 1


def _database_restart(down: int) -> float:
    """Stop PostgreSQL where it runs, keep it down ``down`` seconds, start it again; returns the
    seconds it did not answer."""
    started = time.monotonic()
    host = str(connection.settings_dict.get("HOST") or "")
    if host.startswith("/"):
        data_dir = Path(settings.EMBEDDED_DATA_DIR)
        postmaster = data_dir / "postgres" / "postmaster.pid"
        pid = int(postmaster.read_text().splitlines()[0])
        os.kill(pid, signal.SIGINT)
        _until(lambda: not Path(f"/proc/{pid}").exists(), seconds=60)
        time.sleep(down)
        # Started by a process of its own: this one keeps a handle on the server it found running.
        start = f"from pathlib import Path; from portal.embedded import embedded_database; embedded_database(Path({str(data_dir)!r}))"
        subprocess.run([sys.executable, "-c", start], check=True)  # noqa: S603 — fixed arguments
    else:
        versions = sorted(os.listdir("/etc/postgresql"))
        if not versions or shutil.which("pg_ctlcluster") is None:
            raise CommandError("no local PostgreSQL cluster to restart (pg_ctlcluster)")
        cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]
        subprocess.run([*cluster, "stop", "--mode", "fast"], check=True)  # noqa: S603
        time.sleep(down)
        subprocess.run([*cluster, "start"], check=True)  # noqa: S603
    connection.close()
    _until(lambda: _answers(), seconds=60)
    return time.monotonic() - started


def _answers() -> bool:
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True


class _Sink:
    """The SMTP server behind the silenceable address: keeps the recipients of what it receives."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 — aiosmtpd's name
        self.recipients.extend(address.lower() for address in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def count(self, address: str) -> int:
        return self.recipients.count(address.lower())


class _Window:
    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.start = time.monotonic()
        self.end = self.start

    def summary(self, more: list[tuple[float, str, int, float]]) -> dict[str, Any]:
        answers = [answer for answer in self.reader.visitor.answers if self.start <= answer[0] <= self.end + 1] + more
        return {
            "requests": len(answers),
            "five_xx": sum(1 for answer in answers if answer[2] >= 500 or answer[2] == 0),
            "server_errors": sum(1 for answer in answers if answer[2] == 500 or answer[2] == 0),
            "slowest_ms": round(max((answer[3] for answer in answers), default=0) * 1000),
        }


class _Reader:
    """A signed-in person reading their record and dashboard every 100 ms, in a thread."""

    def __init__(self, base: str, cookie: list[str]) -> None:
        self.cookie = (cookie[0], cookie[1])
        self.visitor = Visitor(base)
        self.visitor.cookie_set(*self.cookie)
        self.running = False
        self.thread = threading.Thread(target=self._read, name="reader", daemon=True)

    def start(self) -> None:
        self.running = True
        self.thread.start()

    def stop(self) -> None:
        self.running = False
        if self.thread.is_alive():
            self.thread.join(timeout=60)

    def _read(self) -> None:
        while self.running:
            for path in ("/my-file/contributions/", "/dashboard/"):
                self.visitor.open(path, timeout=30)
            time.sleep(0.1)

    @contextmanager
    def window(self) -> Iterator[_Window]:
        window = _Window(self)
        try:
            yield window
        finally:
            window.end = time.monotonic()
