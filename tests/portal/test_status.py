"""The public status page and its measurements: requests counted per online service and minute
in Redis, copied to PostgreSQL by a flush that is safe to run twice, one check of the
dependencies per minute, the shares of each window computed exactly, and a page that says when
there is nothing to show."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import OperationalError, connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from contributions.models import BulkChunk, BulkUpload, ChunkStatus
from notifications.models import DeliveryStatus
from portal.models import DependencyCheck, ServiceMinute
from portal.status import counting
from portal.status.catalogue import NOT_A_SERVICE, NOT_A_SERVICE_NAMESPACES, SERVICE_KEYS, service_of_route
from portal.status.selectors import status_report
from portal.status.services import dependency_check_record, service_minutes_flush, status_purge
from tests.identity.factories import UserFactory
from tests.notifications.factories import DeliveryFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# A quiet Tuesday, 12:00:30 UTC (13:00:30 in Brussels).
NOW = datetime.datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)
THIS_MINUTE = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _epoch(moment: datetime.datetime) -> int:
    return int(moment.timestamp())


def _minutes_ago(count: int) -> datetime.datetime:
    return THIS_MINUTE - datetime.timedelta(minutes=count)


@pytest.fixture(autouse=True)
def _counts_pushed():
    """Whatever earlier tests of this process counted goes to Redis before the test (their
    minutes are other minutes than the frozen ones here)."""
    counting.counts_push()
    yield
    counting.counts_push()


# --- Which routes make which service -------------------------------------------------------------


def _named_routes(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from _named_routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_named_route_is_a_service_or_said_not_to_be_one():
    unplaced = [
        route
        for route in _named_routes()
        if service_of_route(route) is None
        and route not in NOT_A_SERVICE
        and route.split(":", 1)[0] not in NOT_A_SERVICE_NAMESPACES
    ]
    assert unplaced == []
    assert {service_of_route(route) for route in _named_routes()} - {None} == SERVICE_KEYS


def test_routes_are_grouped_into_services_people_know():
    assert service_of_route("account_login") == "account"
    assert service_of_route("mfa_authenticate") == "account"
    assert service_of_route("contributions:record") == "file"
    assert service_of_route("contributions:declarations") == "declarations"
    assert service_of_route("api_declarations") == "declarations"
    assert service_of_route("api_uploads") == "bulk"
    assert service_of_route("contributions:pay") == "payments"
    assert service_of_route("portal:verify") == "documents"
    assert service_of_route("mandates:grant") == "mandates"
    assert service_of_route("notifications:inbox") == "messages"
    assert service_of_route("admin:index") is None
    assert service_of_route("healthz") is None


# --- Counting ------------------------------------------------------------------------------------


def test_requests_are_counted_per_service_and_minute(client):
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("portal:verify"))
        client.get(reverse("portal:verify"))
        client.get(reverse("portal:home"))
        client.get(reverse("healthz"))  # not an online service
        client.get(reverse("admin:index"))  # staff only: not counted
        counting.counts_push()

        found = counting.minutes_read(minutes=[_epoch(THIS_MINUTE)])

    assert found == {_epoch(THIS_MINUTE): {"documents": (2, 2, 0), "information": (1, 1, 0)}}


def test_slow_answers_and_server_errors_are_counted_apart():
    at = _epoch(THIS_MINUTE) + 10.0
    counting.request_count(service="file", seconds=0.2, status=200, at=at)
    counting.request_count(service="file", seconds=0.999, status=200, at=at)
    counting.request_count(service="file", seconds=1.0, status=200, at=at)
    counting.request_count(service="file", seconds=0.1, status=500, at=at)
    counting.request_count(service="file", seconds=3.0, status=503, at=at)
    counting.request_count(service="file", seconds=0.1, status=404, at=at + 60)
    counting.counts_push()

    found = counting.minutes_read(minutes=[_epoch(THIS_MINUTE), _epoch(THIS_MINUTE) + 60])

    assert found == {
        _epoch(THIS_MINUTE): {"file": (5, 3, 2)},
        _epoch(THIS_MINUTE) + 60: {"file": (1, 1, 0)},
    }


# --- The flush -----------------------------------------------------------------------------------


def _count(service: str, minute: datetime.datetime, *, requests: int, slow: int = 0, errors: int = 0) -> None:
    for index in range(requests):
        counting.request_count(
            service=service,
            seconds=2.0 if index < slow else 0.05,
            status=500 if index < errors else 200,
            at=minute.timestamp() + 1,
        )
    counting.counts_push()


def _rows() -> set[tuple[str, datetime.datetime, int, int, int]]:
    return set(ServiceMinute.objects.values_list("service", "minute", "requests", "fast", "server_errors"))


def test_the_flush_copies_the_minutes_that_ended_and_is_safe_to_run_twice():
    _count("file", _minutes_ago(61), requests=9)  # beyond what the flush looks back on
    _count("file", _minutes_ago(2), requests=4, slow=1)
    _count("bulk", _minutes_ago(1), requests=3, errors=1)
    _count("file", THIS_MINUTE, requests=5)  # not ended yet

    assert service_minutes_flush(now=NOW) == 2
    expected = {("file", _minutes_ago(2), 4, 3, 0), ("bulk", _minutes_ago(1), 3, 3, 1)}
    assert _rows() == expected

    assert service_minutes_flush(now=NOW) == 0  # nothing changes, nothing is written
    assert _rows() == expected

    # A process that pushes late: the next flush copies the minute again, with every count.
    _count("file", _minutes_ago(2), requests=2)
    assert service_minutes_flush(now=NOW + datetime.timedelta(seconds=20)) == 1
    assert _rows() == {("file", _minutes_ago(2), 6, 5, 0), ("bulk", _minutes_ago(1), 3, 3, 1)}


def test_a_lost_redis_never_lowers_what_was_copied():
    _count("file", _minutes_ago(2), requests=4)
    service_minutes_flush(now=NOW)
    counting.status_redis().delete(counting.minute_key(_epoch(_minutes_ago(2))))
    _count("file", _minutes_ago(2), requests=1)  # counted again from zero after a restart

    service_minutes_flush(now=NOW)

    assert _rows() == {("file", _minutes_ago(2), 4, 4, 0)}


def test_old_minutes_are_forgotten(settings):
    settings.STATUS_KEEP_DAYS = 35
    keep = THIS_MINUTE - datetime.timedelta(days=35)
    for minute in (keep - datetime.timedelta(minutes=1), keep):
        ServiceMinute.objects.create(service="file", minute=minute, requests=1, fast=1, server_errors=0)
        DependencyCheck.objects.create(
            minute=minute, checked_at=minute, cache_up=True, broker_up=True, work_waiting=0, work_on_time=True
        )

    assert status_purge(now=NOW) == 2

    assert list(ServiceMinute.objects.values_list("minute", flat=True)) == [keep]
    assert list(DependencyCheck.objects.values_list("minute", flat=True)) == [keep]


# --- The check of each minute ------------------------------------------------------------------


def test_the_check_is_recorded_once_per_minute():
    first = dependency_check_record(now=NOW)
    dependency_check_record(now=NOW + datetime.timedelta(seconds=20))

    assert first.minute == THIS_MINUTE
    assert list(DependencyCheck.objects.values_list("minute", "checked_at", "cache_up", "broker_up")) == [
        (THIS_MINUTE, NOW + datetime.timedelta(seconds=20), True, True)
    ]


def test_the_check_says_when_background_work_is_late(settings):
    settings.STATUS_WORK_LATE_AFTER_SECONDS = 600
    DeliveryFactory(status=DeliveryStatus.RETRY, next_attempt_at=NOW - datetime.timedelta(minutes=4))
    DeliveryFactory(status=DeliveryStatus.PENDING, next_attempt_at=NOW + datetime.timedelta(minutes=4))  # not due
    upload = BulkUpload.objects.create(
        uploaded_by=UserFactory(),
        channel="web",
        file_name="f.csv",
        stored_name="f.csv",
        size=1,
        sha256="0" * 64,
        encoding="utf-8",
        separator=";",
        decimal_mark=",",
        line_ending="LF",
        status="processing",
        created_at=NOW - datetime.timedelta(minutes=12),
    )
    for number, queued in enumerate((11, 2)):
        BulkChunk.objects.create(
            upload=upload,
            number=number,
            first_line=2,
            line_count=1,
            start_offset=0,
            end_offset=1,
            status=ChunkStatus.PENDING,
            queued_at=NOW - datetime.timedelta(minutes=queued),
        )

    late = dependency_check_record(now=NOW)

    assert (late.work_waiting, late.oldest_work_seconds, late.work_on_time) == (3, 660, False)
    BulkChunk.objects.filter(number=0).update(status=ChunkStatus.DONE)
    on_time = dependency_check_record(now=NOW)
    assert (on_time.work_waiting, on_time.oldest_work_seconds, on_time.work_on_time) == (2, 240, True)


# --- The windows' shares ---------------------------------------------------------------------------


def _checks(first: datetime.datetime, *, missing=(), cache_down=(), broker_down=()) -> None:
    """One check a minute from ``first`` to the minute before THIS_MINUTE."""
    rows = []
    minute = first
    while minute < THIS_MINUTE:
        if minute not in missing:
            rows.append(
                DependencyCheck(
                    minute=minute,
                    checked_at=minute + datetime.timedelta(seconds=1),
                    cache_up=minute not in cache_down,
                    broker_up=minute not in broker_down,
                    work_waiting=0,
                    work_on_time=True,
                )
            )
        minute += datetime.timedelta(minutes=1)
    DependencyCheck.objects.bulk_create(rows)


def _figures(report, window: str, service: str):
    [figures] = [f for w in report.windows if w.key == window for f in w.services if f.service == service]
    return figures


def test_each_windows_shares_are_computed_exactly_on_hand_made_rows():
    # Checks for the last two days; in the last 24 hours three minutes have none, the cache
    # was down one minute and the broker two.
    _checks(
        THIS_MINUTE - datetime.timedelta(days=2),
        missing={_minutes_ago(10), _minutes_ago(11), _minutes_ago(12)},
        cache_down={_minutes_ago(100)},
        broker_down={_minutes_ago(200), _minutes_ago(201)},
    )
    rows = [
        # "file" (no broker needed): one minute of 10 requests with 1 server error (10 %: down),
        # one of 100 requests with 4 errors (4 %: up), and 3 slow requests in all.
        ServiceMinute(service="file", minute=_minutes_ago(30), requests=10, fast=9, server_errors=1),
        ServiceMinute(service="file", minute=_minutes_ago(31), requests=100, fast=98, server_errors=4),
        # Two days ago: in the week's window only.
        ServiceMinute(service="file", minute=_minutes_ago(60 * 30), requests=40, fast=40, server_errors=0),
        # "bulk" (needs the broker): failing while the broker was down is one minute down, not two.
        ServiceMinute(service="bulk", minute=_minutes_ago(200), requests=2, fast=2, server_errors=2),
        # Before the window and after it: not counted.
        ServiceMinute(
            service="bulk",
            minute=THIS_MINUTE - datetime.timedelta(days=30, minutes=1),
            requests=7,
            fast=0,
            server_errors=7,
        ),
        ServiceMinute(service="bulk", minute=THIS_MINUTE, requests=7, fast=0, server_errors=7),
    ]
    ServiceMinute.objects.bulk_create(rows)

    report = status_report(now=NOW)

    assert report.measured_since == THIS_MINUTE - datetime.timedelta(days=2)
    day_file, day_bulk = _figures(report, "day", "file"), _figures(report, "day", "bulk")
    assert (day_file.fast.part, day_file.fast.whole) == (107, 110)
    assert day_file.fast.percent == Decimal("97.27")  # 97.2727… rounded down
    # 1,440 minutes; 3 without a check and 1 with the cache down; 1 with too many errors.
    assert (day_file.available.part, day_file.available.whole) == (1435, 1440)
    assert day_file.available.percent == Decimal("99.65")
    # The broker's two minutes count too; the failing bulk minute is one of them.
    assert (day_bulk.available.part, day_bulk.available.whole) == (1434, 1440)
    assert day_bulk.fast.percent == Decimal("100.00")
    # The week and the month began with the measurements, two days ago.
    for window in ("week", "month"):
        file = _figures(report, window, "file")
        assert (file.fast.part, file.fast.whole) == (147, 150)
        assert (file.available.part, file.available.whole) == (2875, 2880)
        assert (_figures(report, window, "bulk").fast.whole) == 2
    # A service nobody used: its availability is that of what it needs, its speed unknown.
    quiet = _figures(report, "day", "mandates")
    assert quiet.fast.percent is None
    assert (quiet.available.part, quiet.available.whole) == (1434, 1440)
    assert report.state.is_recent and report.state.cache_up and report.state.broker_up


def test_a_share_is_rounded_down_never_up_to_a_perfect_score():
    from portal.status.types import Share

    assert Share(part=99_999, whole=100_000).percent == Decimal("99.99")
    assert Share(part=1, whole=1).percent == Decimal("100.00")
    assert Share(part=0, whole=0).percent is None


def test_an_empty_system_says_so(client):
    with time_machine.travel(NOW, tick=False):
        report = status_report(now=NOW)
        with translation.override("en"):
            page = client.get(reverse("portal:status"), HTTP_ACCEPT_LANGUAGE="en")

    assert report.measured_since is None
    assert all(f.fast.percent is None and f.available.percent is None for w in report.windows for f in w.services)
    body = page.content.decode()
    assert page.status_code == 200
    # One sentence per window, not a table of empty cells.
    assert body.count("Not enough measurements yet for this period.") == 3
    assert "<table" not in body
    assert "No check has run yet" in body
    assert "Measurements have not begun yet." in body


# --- The page ------------------------------------------------------------------------------------


def _measured_day() -> None:
    _checks(THIS_MINUTE - datetime.timedelta(days=1), missing={_minutes_ago(10)})
    ServiceMinute.objects.create(service="file", minute=_minutes_ago(30), requests=1200, fast=1199, server_errors=0)


def test_the_page_tells_the_figures_in_french_and_in_english(client):
    _measured_day()
    with time_machine.travel(NOW, tick=False):
        french = client.get(reverse("portal:status"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        client.cookies.clear()
        from django.core.cache import cache

        cache.clear()
        english = client.get(reverse("portal:status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "État des services" in french
    assert "Mon dossier et mon relevé de cotisations" in french
    assert "99,91\xa0%" in french  # 1,199 of 1,200 answered in under a second
    assert "sur 1\xa0200 requêtes" in french
    assert "99,93\xa0%" in french  # 1,439 of 1,440 minutes
    assert "Service status" in english
    assert "My file and contribution record" in english
    assert "99.91%" in english
    assert "of 1,200 requests" in english
    assert "99.93%" in english
    assert "Working" in english


def test_the_page_is_linked_from_every_pages_footer(client):
    home = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("portal:status")}"' in home


def test_the_page_reads_a_few_rows_once_a_minute(client, django_assert_num_queries):
    _measured_day()
    with time_machine.travel(NOW, tick=False):
        with django_assert_num_queries(3):
            client.get(reverse("portal:status"))
        with django_assert_num_queries(0):
            client.get(reverse("portal:status"))


def test_a_stopped_check_makes_the_current_state_unknown(client):
    _checks(THIS_MINUTE - datetime.timedelta(minutes=30))
    DependencyCheck.objects.filter(minute__gte=_minutes_ago(5)).delete()

    with time_machine.travel(NOW, tick=False):
        body = client.get(reverse("portal:status"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "the checks are not running, so the current state is unknown" in body
    assert "Working" not in body


def test_a_database_that_does_not_answer_is_said_plainly(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("the server closed the connection")

    with connection.execute_wrapper(refuse):
        response = client.get(reverse("portal:status"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "The measurements cannot be read right now" in response.content.decode()
