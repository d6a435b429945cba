"""The back office's performance indicators: exact figures on hand-made data, a fixed number of
queries whatever the volume, nothing recorded in anyone's trail, and only for staff with the
permission (supervisors), signed in with a second factor."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from itertools import count

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contributions.models import (
    BankStatementImport,
    BankTransaction,
    BulkUpload,
    Declaration,
    DiscrepancyReport,
    Payment,
)
from core.models import AccessRecord
from notifications.models import DeliveryAttempt, DeliveryStatus
from portal.kpis import kpi_figures
from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, with_totp
from tests.notifications.factories import DeliveryFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Tuesday 10 March 2026, 13:00 in Brussels: February's declarations are due on 15 March.
NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
_serial = count(1)


def _ago(**delta: float) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


def _brussels(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    from zoneinfo import ZoneInfo

    return datetime.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Brussels"))


def _declaration(enterprise, period, channel, submitted_at, *, version=1, status="in_force", author=None):
    return Declaration.objects.create(
        enterprise=enterprise,
        period=period,
        version=version,
        status=status,
        reference=f"REF-{next(_serial)}",
        channel=channel,
        submitted_at=submitted_at,
        submitted_by=author or UserFactory(),
        line_count=1,
        total_wages=Decimal("1000.00"),
    )


def _payment(enterprise, amount, status, settled_at=None):
    return Payment.objects.create(
        enterprise=enterprise,
        amount=Decimal(amount),
        provider="sandbox",
        provider_payment_id=f"p{next(_serial)}",
        status=status,
        intent=uuid.uuid4(),
        created_by=UserFactory(),
        created_at=settled_at or NOW,
        settled_at=settled_at,
    )


def _transfer(statement, enterprise, amount, status, booked_on):
    staff = statement.imported_by
    decided = status in ("resolved", "returned")
    return BankTransaction.objects.create(
        statement_import=statement,
        account_iban="BE71096123456769",
        entry_reference=f"E{next(_serial)}",
        index=0,
        booking_date=booked_on,
        amount=Decimal(amount),
        currency="EUR",
        status=status,
        enterprise=enterprise if status in ("matched", "resolved") else None,
        resolved_by=staff if decided else None,
        resolved_at=NOW if decided else None,
    )


def _report(person, enterprise, period, reported_at, *, closed_at=None):
    return DiscrepancyReport.objects.create(
        person=person,
        enterprise=enterprise,
        period=period,
        message="Not declared",
        reported_by=UserFactory(),
        reported_at=reported_at,
        status="closed" if closed_at else "open",
        closed_by=UserFactory() if closed_at else None,
        closed_at=closed_at,
    )


def _attempt(channel, outcome, at):
    delivery = DeliveryFactory(channel=channel, status=DeliveryStatus.SENT, address="someone@example.org")
    DeliveryAttempt.objects.create(delivery=delivery, at=at, outcome=outcome)


def _upload(status, *, created_at, finished_at, lines):
    return BulkUpload.objects.create(
        uploaded_by=UserFactory(),
        channel="web",
        file_name="f.csv",
        stored_name=f"{next(_serial)}.csv",
        size=10,
        sha256=f"{next(_serial):064d}",
        encoding="utf-8",
        separator=";",
        decimal_mark=",",
        line_ending="LF",
        status=status,
        lines_total=lines,
        created_at=created_at,
        finished_at=finished_at,
    )


@pytest.fixture
def data():
    employers = [EnterpriseFactory() for _ in range(5)]
    # January 2026, due on Sunday 15 February (Brussels time, that day included).
    _declaration(employers[0], "2026-01", "form", _brussels(2026, 2, 15, 23, 59), status="replaced")  # on time
    _declaration(employers[0], "2026-01", "api", _brussels(2026, 2, 20, 9), version=2)  # a replacement: not counted
    _declaration(employers[1], "2026-01", "form", _brussels(2026, 2, 16, 0, 1))  # late by two minutes
    _declaration(employers[2], "2026-01", "api", _brussels(2026, 2, 1, 10))  # on time
    _declaration(employers[3], "2026-01", "file", _brussels(2026, 2, 20, 10))  # late
    _declaration(employers[4], "2026-01", "file", _brussels(2026, 2, 2, 10), status="pending")  # file being processed
    # February 2026, not due yet.
    _declaration(employers[0], "2026-02", "form", _brussels(2026, 3, 2, 9))
    # An older period, outside the six shown.
    _declaration(employers[0], "2025-08", "form", _brussels(2025, 9, 1, 9))

    # Money: a payment that succeeded at 00:30 on 1 March in Brussels counts in March.
    _payment(employers[0], "100.00", "succeeded", _brussels(2026, 3, 1, 0, 30))
    _payment(employers[1], "250.50", "succeeded", _brussels(2026, 2, 10, 11))
    _payment(employers[1], "999.00", "failed", _brussels(2026, 2, 11, 11))
    _payment(employers[1], "999.00", "pending")
    staff = UserFactory(is_staff=True)
    statement = BankStatementImport.objects.create(
        file_name="camt.xml",
        sha256="a" * 64,
        statement_id="S1",
        account_iban="BE71096123456769",
        imported_by=staff,
        imported_at=NOW,
        credit_count=4,
        matched_count=1,
        unmatched_count=1,
        already_imported_count=0,
        skipped_count=0,
    )
    _transfer(statement, employers[2], "1000.00", "matched", datetime.date(2026, 2, 3))
    _transfer(statement, employers[3], "20.00", "resolved", datetime.date(2026, 2, 27))
    _transfer(statement, employers[3], "5.00", "unmatched", datetime.date(2026, 2, 5))
    _transfer(statement, employers[3], "7.00", "returned", datetime.date(2026, 2, 6))
    _transfer(statement, employers[2], "30.00", "matched", datetime.date(2025, 3, 31))  # 13 months ago

    # Reported problems, by age.
    person = PersonFactory()
    _report(person, employers[0], "2025-01", _ago(days=6, hours=23))
    _report(person, employers[0], "2025-02", _ago(days=7))
    _report(person, employers[0], "2025-03", _ago(days=30))
    _report(person, employers[0], "2025-04", _ago(days=30, minutes=1))
    _report(person, employers[0], "2025-05", _ago(days=40), closed_at=_ago(days=29))
    _report(person, employers[0], "2025-06", _ago(days=40), closed_at=_ago(days=31))

    # Notifications: attempts and their outcomes.
    _attempt("email", "sent", _ago(days=2))
    _attempt("email", "sent", _ago(days=8))
    _attempt("email", "failed", _ago(days=10))
    _attempt("sms", "retry", _ago(days=1))
    _attempt("sms", "sent", _ago(days=1))
    _attempt("sms", "sent", _ago(days=31))
    DeliveryFactory(status=DeliveryStatus.FAILED)
    DeliveryFactory(status=DeliveryStatus.PENDING, next_attempt_at=_ago(minutes=2))

    # Bulk files: 10 s, 30 s and 100 s from receipt to report; one still being processed.
    _upload("accepted", created_at=_ago(days=1, seconds=10), finished_at=_ago(days=1), lines=1000)
    _upload("rejected", created_at=_ago(days=3, seconds=30), finished_at=_ago(days=3), lines=500)
    _upload("accepted", created_at=_ago(days=20, seconds=100), finished_at=_ago(days=20), lines=2000)
    _upload("processing", created_at=_ago(minutes=5), finished_at=None, lines=None)


def test_the_figures_on_hand_made_data(data):
    figures = kpi_figures(now=NOW)

    periods = [row.period for row in figures.declarations]
    assert periods == ["2026-02", "2026-01", "2025-12", "2025-11", "2025-10", "2025-09"]
    february, january = figures.declarations[0], figures.declarations[1]
    assert (february.due_on, february.is_due) == (datetime.date(2026, 3, 15), False)
    assert [(c.channel, c.filed, c.on_time) for c in february.channels] == [
        ("form", 1, 1),
        ("api", 0, 0),
        ("file", 0, 0),
    ]
    assert (january.due_on, january.is_due) == (datetime.date(2026, 2, 15), True)
    assert [(c.channel, c.filed, c.on_time) for c in january.channels] == [
        ("form", 2, 1),
        ("api", 1, 1),
        ("file", 1, 0),
    ]
    assert (january.total.filed, january.total.on_time, january.total.on_time_percent) == (4, 2, Decimal("50.0"))
    assert all(row.total.filed == 0 for row in figures.declarations[2:])

    months = {row.month: row for row in figures.receipts}
    assert list(months) == [f"2026-{m:02d}" for m in (3, 2, 1)] + [f"2025-{m:02d}" for m in range(12, 3, -1)]
    assert (months["2026-03"].online_count, months["2026-03"].online_amount) == (1, Decimal("100.00"))
    assert (months["2026-03"].transfer_count, months["2026-03"].transfer_amount) == (0, Decimal("0.00"))
    assert (months["2026-02"].online_count, months["2026-02"].online_amount) == (1, Decimal("250.50"))
    assert (months["2026-02"].transfer_count, months["2026-02"].transfer_amount) == (2, Decimal("1020.00"))
    assert sum(row.transfer_count for row in figures.receipts) == 2

    ages = figures.discrepancies
    assert (ages.open_under_7_days, ages.open_7_to_30_days, ages.open_over_30_days) == (1, 2, 1)
    assert ages.handled_last_30_days == 1

    week, month = figures.spans
    assert week.days == 7 and month.days == 30
    assert [(d.channel, d.sent, d.failed, d.retried) for d in week.deliveries] == [("email", 1, 0, 0), ("sms", 1, 0, 1)]
    assert [(d.channel, d.sent, d.failed, d.retried) for d in month.deliveries] == [
        ("email", 2, 1, 0),
        ("sms", 1, 0, 1),
    ]
    assert (figures.outbox.due, figures.outbox.failed) == (1, 1)

    assert (week.bulk.accepted, week.bulk.rejected, week.bulk.lines) == (1, 1, 1500)
    assert (week.bulk.median_seconds, week.bulk.p95_seconds, week.bulk.longest_seconds) == (20.0, 29.0, 30.0)
    assert (month.bulk.accepted, month.bulk.rejected, month.bulk.lines) == (2, 1, 3500)
    assert (month.bulk.median_seconds, month.bulk.p95_seconds, month.bulk.longest_seconds) == (30.0, 93.0, 100.0)


def test_an_empty_system_has_zeros_and_no_times():
    figures = kpi_figures(now=NOW)

    assert all(row.total.filed == 0 and row.total.on_time_percent is None for row in figures.declarations)
    assert all(row.online_count == 0 and row.transfer_amount == Decimal("0.00") for row in figures.receipts)
    assert figures.spans[0].bulk.median_seconds is None


def test_the_queries_do_not_grow_with_the_volume(data):
    with CaptureQueriesContext(connection) as few:
        kpi_figures(now=NOW)
    more = [EnterpriseFactory() for _ in range(20)]
    for enterprise in more:
        _declaration(enterprise, "2026-01", "api", _brussels(2026, 2, 3, 9))
        _payment(enterprise, "10.00", "succeeded", _brussels(2026, 2, 3, 9))
        _upload("accepted", created_at=_ago(days=2, seconds=5), finished_at=_ago(days=2), lines=10)
    with CaptureQueriesContext(connection) as many:
        kpi_figures(now=NOW)

    assert len(few.captured_queries) == len(many.captured_queries) == 11  # 8, and 3 for attribution


# --- The page and who may see it ----------------------------------------------------------------


def _staff(group: str | None = None, *, superuser: bool = False):
    user = with_totp(UserFactory(is_staff=True, is_superuser=superuser))
    if group:
        user.groups.set([Group.objects.get(name=group)])
    return user


def test_supervisors_have_the_permission():
    supervisor = Group.objects.get(name="Supervisor")
    assert supervisor.permissions.filter(content_type__app_label="portal", codename="view_kpis").exists()
    assert Permission.objects.filter(content_type__app_label="portal", codename="view_kpis").count() == 1


def test_a_supervisor_reads_the_page_and_it_records_nothing(client, data):
    sign_in(client, _staff("Supervisor"), mfa=True)

    with time_machine.travel(NOW, tick=False):
        index = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        response = client.get(reverse("admin:kpis"), HTTP_ACCEPT_LANGUAGE="en")

    assert reverse("admin:kpis") in index
    assert response.status_code == 200
    body = response.content.decode()
    assert "Declarations filed on time" in body
    assert "2 of 4" in body and "(50.0%)" in body
    assert "1,020.00" in body  # February's transfers
    assert "not due yet" in body
    assert AccessRecord.objects.count() == 0


def test_the_page_in_french(client, data):
    sign_in(client, _staff("Supervisor"), mfa=True)

    with time_machine.travel(NOW, tick=False):
        body = client.get(reverse("admin:kpis"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Indicateurs de performance" in body
    assert "Déclarations déposées à temps" in body
    assert "2 sur 4" in body and "(50,0\xa0%)" in body
    assert "pas encore échue" in body


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("citizen", 302),  # the back office sends them to sign in as staff, which refuses them
        ("case worker", 403),
        ("finance", 403),
        ("supervisor without a second factor in this session", 302),
        ("supervisor", 200),
        ("superuser", 200),
    ],
)
def test_who_may_see_the_indicators(client, who, status):
    users = {
        "anonymous": None,
        "citizen": with_totp(UserFactory()),
        "case worker": _staff("Case worker"),
        "finance": _staff("Finance"),
        "supervisor without a second factor in this session": _staff("Supervisor"),
        "supervisor": _staff("Supervisor"),
        "superuser": _staff(superuser=True),
    }
    user = users[who]
    if user is not None:
        sign_in(client, user, mfa=who != "supervisor without a second factor in this session")

    response = client.get(reverse("admin:kpis"))

    assert response.status_code == status
    if who == "citizen":
        assert client.get(reverse("admin:kpis"), follow=True).status_code == 403
    assert AccessRecord.objects.count() == 0
