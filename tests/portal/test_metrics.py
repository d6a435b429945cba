"""The operators' metrics on /internal/metrics (Prometheus text format): only for the bearer of
METRICS_TOKEN (a 404 like any unknown address otherwise, and for everyone while the setting is
empty); requests by route name, never by path; Celery tasks' durations, failures and retries by
task and queue; backlogs read when scraped."""

from __future__ import annotations

import datetime
import re

import pytest
from celery.signals import task_failure, task_postrun, task_prerun, task_retry
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import DeliveryStatus
from portal.tasks import sessions_purge
from tests.notifications.factories import DeliveryFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"
URL = "/internal/metrics"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_is_not_found_without_the_token(client, token):
    unknown = client.get("/internal/nothing-here")
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN}):
        response = client.get(URL, **headers)
        assert response.status_code == 404
        # The same page as an address that does not exist: nothing tells the endpoint is there.
        assert response.content == unknown.content


def test_is_not_found_for_everyone_while_the_setting_is_empty(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer").status_code == 404


def test_answers_the_bearer_of_the_token(client, token):
    samples = _scrape(client)
    assert samples[("guichet_dependency_up", (("dependency", "database"),))] == 1.0
    assert samples[("guichet_dependency_up", (("dependency", "cache"),))] == 1.0
    assert samples[("guichet_dependency_up", (("dependency", "broker"),))] == 1.0


def test_a_request_is_counted_by_its_route_name_never_its_path(client, token):
    route = {"route": "mandates:trail", "method": "GET", "status": "302"}
    before = _value("guichet_http_request_duration_seconds_count", **route)

    # An anonymous visitor is sent to sign in: a 302 on a route with an identifier in its path.
    assert client.get(reverse("mandates:trail", args=[987654])).status_code == 302

    assert _value("guichet_http_request_duration_seconds_count", **route) == before + 1
    assert _value("guichet_http_request_duration_seconds_bucket", le="1.0", **route) == before + 1
    body = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'route="mandates:trail"' in body
    # No label holds the path (a metric's value may contain those digits by chance: a byte count).
    labels = re.findall(r"\{[^}]*\}", body)
    assert labels and not [label for label in labels if "987654" in label]


def test_unknown_addresses_and_odd_methods_make_no_new_series(client, token):
    unresolved = {"route": "unresolved", "method": "other", "status": "404"}
    before = _value("guichet_http_request_duration_seconds_count", **unresolved)

    client.generic("BREW", "/no/such/page/12345/")

    assert _value("guichet_http_request_duration_seconds_count", **unresolved) == before + 1


def _task_run(task, *, task_id: str, queue: str, fails: bool = False, retries: bool = False) -> None:
    """What a worker does around a task taken from ``queue``: the signals Celery sends."""
    task.push_request(id=task_id, delivery_info={"routing_key": queue, "exchange": ""}, is_eager=False)
    try:
        task_prerun.send(sender=task, task_id=task_id, task=task, args=(), kwargs={})
        if retries:
            task_retry.send(sender=task, request=task.request, reason="busy")
        if fails:
            task_failure.send(sender=task, task_id=task_id, exception=ValueError("boom"), args=(), kwargs={})
        task_postrun.send(
            sender=task,
            task_id=task_id,
            task=task,
            args=(),
            kwargs={},
            retval=None,
            state="FAILURE" if fails else "SUCCESS",
        )
    finally:
        task.pop_request()


def test_a_tasks_duration_and_failures_are_counted_per_task_and_queue(client, token):
    labels = {"task": "portal.tasks.sessions_purge", "queue": "default"}
    elsewhere = {"task": "portal.tasks.sessions_purge", "queue": "bulk"}
    runs = _value("guichet_celery_task_duration_seconds_count", **labels)
    failures = _value("guichet_celery_task_failures_total", **labels)
    retries = _value("guichet_celery_task_retries_total", **labels)
    failures_elsewhere = _value("guichet_celery_task_failures_total", **elsewhere)

    _task_run(sessions_purge, task_id="run-1", queue="default")
    _task_run(sessions_purge, task_id="run-2", queue="default", fails=True, retries=True)

    assert _value("guichet_celery_task_duration_seconds_count", **labels) == runs + 2
    assert _value("guichet_celery_task_failures_total", **labels) == failures + 1
    assert _value("guichet_celery_task_retries_total", **labels) == retries + 1
    assert _value("guichet_celery_task_failures_total", **elsewhere) == failures_elsewhere
    samples = _scrape(client)
    assert samples[("guichet_celery_task_failures_total", tuple(sorted(labels.items())))] == failures + 1


def test_a_task_run_in_the_caller_is_counted_as_eager():
    labels = {"task": "portal.tasks.sessions_purge", "queue": "eager"}
    before = _value("guichet_celery_task_duration_seconds_count", **labels)

    sessions_purge.apply()

    assert _value("guichet_celery_task_duration_seconds_count", **labels) == before + 1


def test_backlogs_are_read_when_scraped(client, token):
    now = timezone.now()
    DeliveryFactory(status=DeliveryStatus.PENDING, next_attempt_at=now - datetime.timedelta(minutes=5))
    DeliveryFactory(status=DeliveryStatus.RETRY, next_attempt_at=now + datetime.timedelta(minutes=5))
    DeliveryFactory(status=DeliveryStatus.FAILED)
    DeliveryFactory(status=DeliveryStatus.SENT)

    samples = _scrape(client)

    assert samples[("guichet_notification_deliveries", (("status", "pending"),))] == 1.0
    assert samples[("guichet_notification_deliveries", (("status", "retry"),))] == 1.0
    assert samples[("guichet_notification_deliveries", (("status", "failed"),))] == 1.0
    assert samples[("guichet_notification_deliveries_due", ())] == 1.0
    assert samples[("guichet_notification_oldest_due_seconds", ())] >= 300
    assert samples[("guichet_bulk_chunks_pending", ())] == 0.0
    assert samples[("guichet_statements_pending", ())] == 0.0
    for queue in ("default", "bulk", "attribution", "documents", "notifications"):
        assert ("guichet_celery_queue_length", (("queue", queue),)) in samples
