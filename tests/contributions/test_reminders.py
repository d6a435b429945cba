"""Reminders of missing monthly declarations: who is reminded, when, and only once."""

import datetime
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contributions.models import Declaration, DeclarationReminder, Employment
from contributions.reminders import _reminders_insert, declarations_remind_missing, overdue_period
from contributions.tasks import declarations_remind_missing as declarations_remind_missing_task
from core.periods import Period
from notifications.models import Notification
from notifications.services import render_part
from tests import clock
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

# October 2026 is due on 15 November (DECLARATION_DUE_DAY = 15). Brussels is UTC+1 in November.
PERIOD = "2026-10"
ON_DUE_DAY = datetime.datetime(2026, 11, 15, 16, 0, tzinfo=datetime.UTC)
AFTER_DUE_DAY = datetime.datetime(2026, 11, 16, 5, 15, tzinfo=datetime.UTC)  # 06:15 in Brussels


@pytest.fixture(autouse=True)
def _due_day(settings):
    settings.DECLARATION_DUE_DAY = 15


def _employer(*, start=datetime.date(2026, 10, 1), end=None, cancelled=False, name=None):
    """An enterprise with an administrator, a declarant and a viewer, and one hire."""
    enterprise = EnterpriseFactory(**({"name": name} if name else {}))
    people = {role: UserFactory() for role in ("administrator", "declarant", "viewer")}
    for role, user in people.items():
        representation(user, enterprise, role)
    Employment.objects.create(
        enterprise=enterprise,
        person=PersonFactory(),
        worker_category="employee",
        start_date=start,
        end_date=end,
        cancelled_at=datetime.datetime(2026, 9, 25, tzinfo=datetime.UTC) if cancelled else None,
        declared_at=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC),
    )
    return {"enterprise": enterprise, **people}


def _declare(employer, period=PERIOD, status="in_force"):
    Declaration.objects.create(
        enterprise=employer["enterprise"],
        period=period,
        version=1,
        status=status,
        reference=f"D-{employer['enterprise'].pk}-{period}",
        channel="form",
        submitted_at=datetime.datetime(2026, 11, 3, tzinfo=datetime.UTC),
        submitted_by=employer["declarant"],
        line_count=1,
        total_wages=Decimal("3000.00"),
    )


def _reminders():
    # The late-filing penalty charged with each reminder has its own message (test_account_notices.py).
    return Notification.objects.filter(event_type="declaration_missing")


def _told():
    return sorted(_reminders().values_list("recipient_id", "event_type", "context", "link"))


def test_an_enterprise_that_employed_someone_and_did_not_declare_is_reminded(settings):
    bakery = _employer(name="Boulangerie Dupont")
    enterprise_id = bakery["enterprise"].pk

    reminded = declarations_remind_missing(now=AFTER_DUE_DAY)

    assert reminded == 1
    assert list(DeclarationReminder.objects.values_list("enterprise_id", "period", "sent_at")) == [
        (enterprise_id, PERIOD, AFTER_DUE_DAY)
    ]
    context = {"enterprise_name": "Boulangerie Dupont", "period": PERIOD, "due_date": "2026-11-15"}
    link = reverse("contributions:declarations", args=[enterprise_id]) + "?period=2026-10"
    assert link == f"/enterprises/{enterprise_id}/declarations/?period=2026-10"
    # The administrator and the declarant; not the viewer, who does not declare.
    assert _told() == sorted(
        [
            (bakery["administrator"].pk, "declaration_missing", context, link),
            (bakery["declarant"].pk, "declaration_missing", context, link),
        ]
    )
    assert not Notification.objects.filter(recipient=bakery["viewer"]).exists()
    assert (
        render_part(event="declaration_missing", part="subject.txt", context=context, language="en", link=link)
        == "The declaration of Boulangerie Dupont for 2026-10 is missing"
    )
    body = render_part(event="declaration_missing", part="body.html", context=context, language="en", link=link)
    assert "for 2026-10. It was due on 2026-11-15." in body


def test_running_twice_reminds_once_and_tells_each_person_once():
    bakery = _employer()

    assert declarations_remind_missing(now=AFTER_DUE_DAY) == 1
    assert declarations_remind_missing(now=AFTER_DUE_DAY + datetime.timedelta(days=1)) == 0

    assert DeclarationReminder.objects.count() == 1
    assert sorted(_reminders().values_list("recipient_id", flat=True)) == sorted(
        [bakery["administrator"].pk, bakery["declarant"].pk]
    )


def test_a_reminder_recorded_meanwhile_by_another_run_is_not_told_again():
    # Another run inserted the bakery's reminder after this run found the bakery: the insert
    # skips it and returns only the rows it wrote, which are the ones told.
    bakery, garage = _employer(), _employer()
    DeclarationReminder.objects.create(enterprise=bakery["enterprise"], period=PERIOD, sent_at=ON_DUE_DAY)

    inserted = _reminders_insert(
        enterprise_ids=[bakery["enterprise"].pk, garage["enterprise"].pk],
        period=Period.parse(PERIOD),
        now=AFTER_DUE_DAY,
    )

    assert inserted == [garage["enterprise"].pk]
    assert sorted(DeclarationReminder.objects.values_list("enterprise_id", "sent_at")) == [
        (bakery["enterprise"].pk, ON_DUE_DAY),
        (garage["enterprise"].pk, AFTER_DUE_DAY),
    ]


def test_an_enterprise_with_a_declaration_in_force_is_not_reminded():
    declared = _employer()
    _declare(declared)
    declared_another_month = _employer()
    _declare(declared_another_month, period="2026-09")

    assert declarations_remind_missing(now=AFTER_DUE_DAY) == 1

    assert list(DeclarationReminder.objects.values_list("enterprise_id", flat=True)) == [
        declared_another_month["enterprise"].pk
    ]
    assert not Notification.objects.filter(recipient=declared["declarant"]).exists()


@pytest.mark.parametrize(
    ("start", "end", "reminded"),
    [
        (datetime.date(2025, 3, 1), datetime.date(2026, 9, 30), False),  # left before October
        (datetime.date(2025, 3, 1), datetime.date(2026, 10, 1), True),  # left on its first day
        (datetime.date(2026, 10, 31), None, True),  # hired on its last day
        (datetime.date(2026, 11, 1), None, False),  # hired after it
    ],
)
def test_only_enterprises_that_employed_someone_during_the_period_are_reminded(start, end, reminded):
    employer = _employer(start=start, end=end)

    assert declarations_remind_missing(now=AFTER_DUE_DAY) == int(reminded)

    assert _reminders().filter(recipient=employer["declarant"]).count() == int(reminded)


def test_a_cancelled_hire_does_not_count():
    employer = _employer(cancelled=True)

    assert declarations_remind_missing(now=AFTER_DUE_DAY) == 0

    assert not DeclarationReminder.objects.exists()
    assert not Notification.objects.filter(recipient=employer["declarant"]).exists()


def test_nothing_is_sent_until_the_due_day_has_passed_in_local_time():
    _employer()

    # On the due day, October is not late yet (and September is checked: no one worked then).
    assert declarations_remind_missing(now=ON_DUE_DAY) == 0
    # 23:59 on the 15th in Brussels, already the 15th at 22:59 UTC.
    assert declarations_remind_missing(now=datetime.datetime(2026, 11, 15, 22, 59, tzinfo=datetime.UTC)) == 0
    assert not DeclarationReminder.objects.exists() and not Notification.objects.exists()
    # 00:30 on the 16th in Brussels, still the 15th in UTC.
    assert declarations_remind_missing(now=datetime.datetime(2026, 11, 15, 23, 30, tzinfo=datetime.UTC)) == 1


def test_the_due_day_comes_from_the_settings(settings):
    settings.DECLARATION_DUE_DAY = 5
    _employer()

    assert declarations_remind_missing(now=datetime.datetime(2026, 11, 5, 12, 0, tzinfo=datetime.UTC)) == 0
    assert declarations_remind_missing(now=datetime.datetime(2026, 11, 6, 12, 0, tzinfo=datetime.UTC)) == 1
    assert _reminders().first().context["due_date"] == "2026-11-05"


@pytest.mark.parametrize(
    ("today", "due_day", "period"),
    [
        (datetime.date(2026, 11, 15), 15, "2026-09"),
        (datetime.date(2026, 11, 16), 15, "2026-10"),
        (datetime.date(2027, 1, 16), 15, "2026-12"),
        (datetime.date(2027, 1, 1), 15, "2026-11"),
        (datetime.date(2027, 2, 2), 1, "2027-01"),
        (datetime.date(2027, 3, 1), 28, "2027-01"),
    ],
)
def test_the_overdue_period_is_the_latest_whose_due_day_has_passed(today, due_day, period):
    assert overdue_period(today=today, due_day=due_day) == Period.parse(period)


def _queries(enterprises: int, now: datetime.datetime) -> list[str]:
    for _ in range(enterprises):
        _employer()
    with CaptureQueriesContext(connection) as queries:
        assert declarations_remind_missing(now=now) == enterprises
    return [query["sql"] for query in queries.captured_queries]


def test_reminding_and_charging_takes_the_same_queries_for_1_or_20_enterprises():
    one = _queries(1, AFTER_DUE_DAY)
    twenty = _queries(20, AFTER_DUE_DAY + datetime.timedelta(days=1))

    def own(queries: list[str]) -> list[str]:
        return [sql for sql in queries if "contributions_" in sql or '"identity_enterprise"' in sql]

    # Who employed someone and did not declare (one query), the reminders (one INSERT), the
    # enterprises' names and numbers (one query), the penalties (one INSERT that returns those it
    # posted; who has credit left to settle them is looked up after commit): the same four.
    assert len(own(one)) == len(own(twenty)) == 4
    # The administrators and declarants of all of them: one query for the reminders, one for the
    # penalties' messages.
    assert len([sql for sql in twenty if "identity_representation" in sql]) == 2
    # Each enterprise is told of its reminder and of its penalty in a batch of each: 20 cost
    # what 1 costs.
    assert len(twenty) == len(one)
    assert Notification.objects.filter(event_type="declaration_missing").count() == 2 * 21
    assert Notification.objects.filter(event_type="penalty_posted").count() == 2 * 21


def test_the_task_reminds_for_the_period_overdue_today():
    period = overdue_period(today=timezone.localdate(), due_day=15)
    employer = _employer(start=period.first_day)

    declarations_remind_missing_task.apply()
    declarations_remind_missing_task.apply()

    assert list(DeclarationReminder.objects.values_list("enterprise_id", "period")) == [
        (employer["enterprise"].pk, str(period))
    ]
    assert _reminders().filter(recipient=employer["administrator"]).count() == 1


@pytest.mark.parametrize("value", ["0", "29", "31"])
def test_a_due_day_outside_1_to_28_stops_the_portal(value):
    environment = {
        **os.environ,
        "DEBUG": "true",
        "DECLARATION_DUE_DAY": value,
        # Parsed, never reached: the settings module only reads them.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = subprocess.run(
        clock.command([sys.executable, "-c", "import portal.settings"]),
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"DECLARATION_DUE_DAY must be between 1 and 28, not {value}." in result.stderr


def test_the_reminded_enterprise_is_charged_the_late_filing_penalty_once(settings):
    from contributions.models import LedgerEntry

    settings.LATE_FILING_PENALTY = "150.00"
    employer = _employer()
    declared = _employer()
    _declare(declared)

    declarations_remind_missing(now=AFTER_DUE_DAY)
    declarations_remind_missing(now=AFTER_DUE_DAY + datetime.timedelta(days=1))

    assert list(LedgerEntry.objects.values_list("enterprise_id", "kind", "amount", "period")) == [
        (employer["enterprise"].pk, "penalty", Decimal("150.00"), PERIOD)
    ]
