"""The Celery app: its safety settings, and a real worker running a scheduled task."""

import datetime
import logging
import re
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.logging import RequestIdFilter, request_id_var
from portal.celery import CONTROL_QUEUES, QUEUES, WORK_QUEUES, app


def test_tasks_are_json_only_acknowledged_late_and_outlive_no_visibility_timeout():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit > app.conf.task_soft_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit
    assert {queue.name for queue in app.conf.task_queues} == {
        "control",
        "default",
        "bulk",
        "attribution",
        "documents",
        "notifications",
    }


RECONCILERS = (
    "notifications.deliveries_reconcile",
    "contributions.bulk_reconcile",
    "contributions.statements_reconcile",
    "contributions.payments_reconcile",
    "benefits.life_events_reconcile",
)
HOUSEKEEPING = (
    "portal.tasks.status_check",
    "portal.tasks.status_flush",
    "portal.tasks.status_purge",
    "portal.tasks.sessions_purge",
    "portal.tasks.activation_codes_purge",
    "portal.tasks.idempotency_records_purge",
    "contributions.statements_purge",
)


def _queue(task: str) -> str:
    return str(app.amqp.router.route({}, task)["queue"].name)


def test_reconcilers_and_housekeeping_run_on_the_control_queue_never_behind_slow_work():
    for task in RECONCILERS + HOUSEKEEPING:
        assert _queue(task) == "control", task
    assert _queue("notifications.deliveries_send") == "notifications"
    assert _queue("contributions.bulk_chunk") == "bulk"
    assert _queue("contributions.statement_render") == "documents"
    # Life events and the proposals they open, the pension-age scan, the re-evaluation.
    for task in (
        "benefits.life_events_apply",
        "benefits.life_events_release",
        "benefits.life_events_propose",
        "benefits.proposals_pension_age_scan",
        "benefits.proposals_reevaluate",
    ):
        assert _queue(task) == "attribution", task
    # Every beat entry is on "control" or "default", never on a queue of slow work.
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert _queue(entry["task"]) in {"control", "default"}, entry["task"]


def test_the_demo_and_the_stack_consume_every_queue_with_a_worker_of_its_own_for_control():
    assert set(CONTROL_QUEUES) | set(WORK_QUEUES) == set(QUEUES)
    assert CONTROL_QUEUES == ("control",)
    assert "control" not in WORK_QUEUES
    compose = (Path(settings.BASE_DIR) / "docker-compose.yml").read_text()
    consumed = {queue for line in re.findall(r'"-Q", "([^"]+)"', compose) for queue in line.split(",")}
    assert consumed == set(QUEUES)


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_purges_expired_sessions_and_logs_with_the_request_id():
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="x", expire_date=now - datetime.timedelta(days=1))
    Session.objects.create(session_key="alive", session_data="x", expire_date=now + datetime.timedelta(days=1))
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.INFO)
    handler.addFilter(RequestIdFilter())
    handler.emit = records.append  # type: ignore[method-assign]
    task_logger = logging.getLogger("portal.tasks")
    task_logger.addHandler(handler)
    # A test worker configures logging at ERROR for the whole process; this logger says INFO.
    previous_level = task_logger.level
    task_logger.setLevel(logging.INFO)

    # A worker of the "control" queue alone: the task reaches it by its route.
    with start_worker(app, pool="solo", perform_ping_check=False, queues=["control"], shutdown_timeout=30):
        token = request_id_var.set("req-from-web-123")
        try:
            result = app.send_task("portal.tasks.sessions_purge", kwargs={})
        finally:
            request_id_var.reset(token)
        assert result.id
        deadline = timezone.now() + datetime.timedelta(seconds=30)
        while Session.objects.filter(session_key="expired").exists() and timezone.now() < deadline:
            time.sleep(0.1)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["alive"]
    task_logger.removeHandler(handler)
    task_logger.setLevel(previous_level)
    purged = [record for record in records if record.getMessage() == "expired sessions purged"]
    assert [(record.request_id, record.count) for record in purged] == [("req-from-web-123", 1)]


def test_a_worker_freezes_what_it_loaded_before_forking_and_collects_garbage_less_often():
    import gc

    from portal.celery import GC_THRESHOLDS, _load_before_fork

    before = gc.get_threshold()
    try:
        _load_before_fork()

        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
