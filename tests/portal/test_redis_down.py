"""Redis stopped under a running portal (gunicorn, this test database, a Redis of the test's own
for the cache and the broker): a person signs in, reads their contribution record and asks for a
statement, and every page answers — none in 5xx, none slower than two seconds. The session lives
in PostgreSQL; the statement is stored and its page says it is being prepared. When Redis comes
back, empty, the reconciler queues the statement and a real worker renders it, exactly once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from contributions.models import StatementRequest
from core.models import VerifiableDocument
from core.periods import Period
from devtools.history import paid_history
from devtools.rates import demo_rates_seed
from notifications.models import Notification
from portal.celery import worker_command
from tests import clock
from tests.identity.factories import PASSWORD, EnterpriseFactory, PersonFactory, UserFactory
from tests.servers import TIMED_PROCESSES, Gunicorn, RedisServer, Visitor, test_database_url

pytestmark = [pytest.mark.django_db(transaction=True), TIMED_PROCESSES]

SLOWEST_SECONDS = 2.0


def _environment(redis: RedisServer, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis.url,
        "REDIS_CACHE_DB": "1",
        "REDIS_BROKER_DB": "0",
        "STATEMENT_REQUEUE_AFTER_SECONDS": "1",
        "BULK_UPLOAD_DIR": str(tmp_path / "uploads"),
        "LOG_LEVEL": "WARNING",
    }


def _wait_until(condition, *, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {seconds} s"
        time.sleep(0.1)


@pytest.fixture
def redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
def portal(redis, tmp_path) -> Iterator[str]:
    server = Gunicorn(_environment(redis, tmp_path), log=tmp_path / "gunicorn.log", wrap=clock.command)
    try:
        yield server.base
    finally:
        server.stop()


def _citizen_with_a_year_declared():
    demo_rates_seed()
    person = PersonFactory(first_name="Nadia", last_name="Redisless")
    owner = UserFactory(person=person)
    employer = EnterpriseFactory(name="Steady Works SA")
    periods = [Period.of(timezone.localdate())]
    for _ in range(11):
        periods.insert(0, periods[0].previous())
    paid_history(employer, [person.pk], periods, owner, timezone.now(), unpaid=0)
    return person, owner


def test_with_redis_stopped_a_person_signs_in_reads_their_record_and_asks_for_a_statement(portal, redis, tmp_path):
    _person, owner = _citizen_with_a_year_declared()
    visitor = Visitor(portal)
    redis.stop()

    status, page, _url = visitor.open("/accounts/login/")
    assert status == 200
    status, page, url = visitor.open("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    assert status == 200 and url.endswith("/dashboard/"), (status, url)

    status, page, _url = visitor.open("/my-file/contributions/")
    assert status == 200
    assert "Steady Works SA" in page

    status, page, url = visitor.open("/my-file/contributions/statement/", {"intent": str(uuid.uuid4())})
    assert status == 200
    assert "Your statement is being prepared" in page
    statement_id = int(re.search(r"/statements/(\d+)/", url).group(1))
    assert StatementRequest.objects.get(pk=statement_id).status == "pending"

    # The verification page counts wrong codes in the cache: without it, it still answers.
    status, page, _url = visitor.open("/verify/?code=ABCD-EFGH-JKLM")
    assert status in {200, 400} and "Verify a document" in page
    status, _page, _url = visitor.open("/api/v1/rates/")
    assert status == 200

    assert all(0 < status < 500 for _when, _path, status, _seconds in visitor.answers), visitor.answers
    assert max(seconds for _when, _path, _status, seconds in visitor.answers) < SLOWEST_SECONDS, visitor.answers

    # Redis comes back, empty (no persistence): the person is still signed in (the session is
    # in PostgreSQL), and the reconciler hands the stored statement to a real worker.
    redis.start()
    status, _page, url = visitor.open("/dashboard/")
    assert status == 200 and url.endswith("/dashboard/")
    environment = _environment(redis, tmp_path)
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        clock.command(
            worker_command(queues=("documents", "default"), concurrency=1, name=f"redis-down-{time.monotonic_ns()}")
        ),
        env=environment,
        start_new_session=True,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(1.1)  # the reconciler's lease (STATEMENT_REQUEUE_AFTER_SECONDS) since it was asked for
        reconcile = (
            "import django; django.setup(); from django.utils import timezone; "
            "from contributions import statements; print(statements.statements_reconcile(now=timezone.now()))"
        )
        queued = subprocess.run(
            clock.command([sys.executable, "-c", reconcile]),
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        assert queued.stdout.strip().splitlines()[-1] == "1"
        _wait_until(lambda: StatementRequest.objects.get(pk=statement_id).status == "ready", seconds=90)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        worker_log.close()

    assert VerifiableDocument.objects.count() == 1
    assert (
        Notification.objects.filter(event_type="contribution_statement_processed", recipient_id=owner.pk).count() == 1
    )


def test_readyz_answers_within_a_second_when_redis_is_frozen(redis, settings, client):
    """A frozen Redis accepts connections and answers nothing: /readyz says so, in time."""
    settings.REDIS_CACHE_URL = redis.url
    redis.freeze()
    try:
        started = time.monotonic()
        response = client.get("/readyz")
        seconds = time.monotonic() - started
    finally:
        redis.thaw()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable", "broker": "ok"}
    assert seconds < 1.0, seconds


def test_with_redis_frozen_no_page_waits_for_it(portal, redis):
    """A frozen Redis accepts connections and answers nothing: every command gives up within its
    timeout, and the pages answer as without Redis — none in 5xx, none slower than two seconds
    (the statement asked for included: its message's publication gives up too)."""
    _person, owner = _citizen_with_a_year_declared()
    visitor = Visitor(portal)
    visitor.open("/accounts/login/")
    redis.freeze()
    try:
        status, _page, url = visitor.open("/accounts/login/", {"login": owner.email, "password": PASSWORD})
        assert status == 200 and url.endswith("/dashboard/"), (status, url)
        status, page, _url = visitor.open("/my-file/contributions/")
        assert status == 200 and "Steady Works SA" in page
        visitor.open("/my-file/contributions/statement/")
        status, page, _url = visitor.open("/my-file/contributions/statement/", {"intent": str(uuid.uuid4())})
        assert status == 200 and "Your statement is being prepared" in page
    finally:
        redis.thaw()
    assert StatementRequest.objects.filter(requested_by=owner, status="pending").count() == 1
    assert all(0 < status < 500 for _when, _path, status, _seconds in visitor.answers), visitor.answers
    assert max(seconds for _when, _path, _status, seconds in visitor.answers) < SLOWEST_SECONDS, visitor.answers
