"""The employer's account as a finance officer signs it off, on hand-worked examples: interest
from the legal due date (a debit filed late is caught up, month by month, at the rates of those
months), a correction adjusts its own period's debt up or down (never a payment), a period
overpaid leaves a credit, every debt is listed and payable, and the page's totals are the sums
of its rows.

The figures: one employee line of 3,000.00 owes 972.90 in 2026 and 971.40 in 2025 (the 2025
pension share is 0.05 point lower: 1.50 less), one of 2,000.00 owes 648.60 in 2026 (see
test_ledger.py). Interest is, per day late, what is unpaid × the yearly rate of that day / 365,
summed over a month and rounded once; the rate is 7 % unless a test changes it."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contributions import ledger, payments
from contributions.account import account_debts, account_entries, account_summary, periods_payment
from contributions.models import Allocation, LateInterestRate, LedgerEntry
from core.periods import Period
from tests.contributions.account_helpers import credit, declare, employer_with_staff
from tests.contributions.test_payments import FakeProvider, _callback
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def _at(year, month, day, hour=10):
    return datetime.datetime(year, month, day, hour, 0, tzinfo=datetime.UTC)


# The monthly job runs on the 1st at 04:00 in Brussels (03:00 UTC in winter).
def _run(year, month):
    return _at(year, month, 1, 3)


@pytest.fixture
def employer(settings):
    settings.DECLARATION_DUE_DAY = 15
    settings.LATE_INTEREST_MINIMUM = "1.00"
    settings.PENALTY_PAYMENT_DAYS = 30
    return employer_with_staff(
        hired_from=datetime.date(2024, 12, 1), hired_at=_at(2024, 11, 20), name="Boulangerie Dupont"
    )


def _declare(employer, period, wages, *, now, replace=False):
    return declare(employer, period, wages, now=now, replace=replace)


def _bank(employer, amount, *, booked_on, now, reference="", source="bank:1"):
    assert credit(employer, amount, booked_on=booked_on, now=now, reference=reference, source=source)


def _interest(employer):
    """(month, amount, a catch-up or correction?) of every interest entry, in posting order."""
    return [
        (entry.period, entry.amount, entry.is_interest_correction)
        for entry in LedgerEntry.objects.filter(enterprise=employer["enterprise"], kind="interest").order_by("pk")
    ]


# --- 1. Interest runs from the legal due date --------------------------------------------------


def test_a_debit_filed_21_months_late_owes_interest_from_its_due_date_caught_up_month_by_month(
    employer, django_capture_on_commit_callbacks, client
):
    enterprise_id = employer["enterprise"].pk
    # January 2025, due on 15 February 2025, filed on 10 November 2026: 971.40.
    declaration = _declare(employer, "2025-01", ["3000.00"], now=_at(2026, 11, 10))
    debit = LedgerEntry.objects.get(declaration=declaration)
    assert (debit.amount, debit.due_on, debit.booked_on) == (
        Decimal("971.40"),
        datetime.date(2025, 2, 15),
        datetime.date(2026, 11, 10),
    )

    with django_capture_on_commit_callbacks(execute=True):
        # The first run after the filing: November, and the 21 months already past.
        assert ledger.interest_post(month=Period(2026, 11), now=_run(2026, 12)) == 1 + 21
        assert ledger.interest_post(month=Period(2026, 11), now=_run(2026, 12)) == 0
        # Next month, nothing changed in the past: December alone.
        assert ledger.interest_post(month=Period(2026, 12), now=_run(2027, 1)) == 1

    # 971.40 × 7 % / 365 a day: 16–28 February 2025, 13 days → 2.42; a month of 31 days → 5.78,
    # of 30 → 5.59; February 2026, 28 days → 5.22.
    day = Decimal("971.40") * Decimal("0.07") / 365
    expected = {"2025-02": Decimal("2.42")}
    for month in Period(2025, 3).through(Period(2026, 10)):
        days = (month.next().first_day - month.first_day).days
        expected[str(month)] = {31: Decimal("5.78"), 30: Decimal("5.59"), 28: Decimal("5.22")}[days]
        assert abs(day * days - expected[str(month)]) < Decimal("0.005")
    interest = _interest(employer)
    assert interest[0] == ("2026-11", Decimal("5.59"), False)
    catch_up = interest[1:22]
    assert [(month, amount) for month, amount, _correction in catch_up] == sorted(expected.items())
    assert all(correction for _month, _amount, correction in catch_up)
    # 2.42 + 12 × 5.78 + 7 × 5.59 + 5.22
    assert sum(amount for _month, amount, _correction in catch_up) == Decimal("116.13")
    assert interest[22] == ("2026-12", Decimal("5.78"), False)
    # Never from a day before the debt was due: nothing for January 2025 or before.
    assert not LedgerEntry.objects.filter(kind="interest", period__lt="2025-02").exists()

    # Each caught-up month is its own line of the statement, under its month and reference.
    with time_machine.travel(_at(2026, 12, 2), tick=False):
        sign_in(client, employer["declarant"])
        csv = b"".join(
            client.get(
                reverse("contributions:statement_csv", args=[enterprise_id]), headers={"Accept-Language": "en"}
            ).streaming_content
        ).decode()
    assert "2026-12-01,late-payment interest,2026-11,RF" in csv
    assert "2026-12-01,late-payment interest caught up for an earlier month,2025-02,RF" in csv
    assert csv.count("late-payment interest caught up for an earlier month") == 21


# --- 2. A correction adjusts its own period ----------------------------------------------------


def test_a_downward_and_an_upward_replacement_in_the_same_month_recompute_its_interest_from_the_due_date(
    employer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _declare(employer, "2026-09", ["3000.00"], now=_at(2026, 10, 5))  # 972.90, due 15 October
        # October: 16 × 972.90 × 7 % / 365 = 2.985… → 2.99
        assert ledger.interest_post(month=Period(2026, 10), now=_run(2026, 11)) == 1
        # In November, September goes down to 648.60, then up to 1,621.50 (both lines).
        _declare(employer, "2026-09", ["2000.00"], now=_at(2026, 11, 3), replace=True)
        _declare(employer, "2026-09", ["3000.00", "2000.00"], now=_at(2026, 11, 6), replace=True)
        # November: 30 × 1,621.50 × 7 % / 365 = 9.329… → 9.33, and October again on the
        # corrected amount from the due date: 16 × 1,621.50 × 7 % / 365 = 4.975… → 4.98, so
        # 4.98 − 2.99 = 1.99 more.
        assert ledger.interest_post(month=Period(2026, 11), now=_run(2026, 12)) == 2

    corrections = list(
        LedgerEntry.objects.filter(kind="correction").order_by("pk").values_list("amount", "period", "due_on")
    )
    assert corrections == [
        (Decimal("-324.30"), "2026-09", datetime.date(2026, 10, 15)),
        (Decimal("972.90"), "2026-09", datetime.date(2026, 10, 15)),
    ]
    assert _interest(employer) == [
        ("2026-10", Decimal("2.99"), False),
        ("2026-11", Decimal("9.33"), False),
        ("2026-10", Decimal("1.99"), True),
    ]
    # The period is one debt: what its versions add up to, nothing paid (no money came in).
    assert not Allocation.objects.exists()
    september = periods_payment(enterprise_ids=[employer["enterprise"].pk], today=datetime.date(2026, 12, 1))[
        (employer["enterprise"].pk, "2026-09")
    ]
    assert (september.owed, september.settled, september.status) == (Decimal("1621.50"), Decimal("0.00"), "overdue")


def test_a_reduction_of_an_unpaid_period_lowers_the_interest_already_charged(
    employer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _declare(employer, "2026-09", ["3000.00", "2000.00"], now=_at(2026, 10, 5))  # 1,621.50
        assert ledger.interest_post(month=Period(2026, 10), now=_run(2026, 11)) == 1  # 4.98
        _declare(employer, "2026-09", ["3000.00"], now=_at(2026, 11, 10), replace=True)  # 972.90
        # November on 972.90: 5.60; October again: 2.99 instead of 4.98, 1.99 less.
        assert ledger.interest_post(month=Period(2026, 11), now=_run(2026, 12)) == 2
    assert _interest(employer) == [
        ("2026-10", Decimal("4.98"), False),
        ("2026-11", Decimal("5.60"), False),
        ("2026-10", Decimal("-1.99"), True),
    ]
    # The lowered interest is a smaller debt, not money: October's interest owes 2.99.
    october = next(
        debt
        for debt in account_debts(enterprise_id=employer["enterprise"].pk, today=datetime.date(2026, 12, 1))
        if debt.kind == "interest" and debt.period == "2026-10"
    )
    assert (october.owed, october.settled) == (Decimal("2.99"), Decimal("0.00"))


def test_a_reduction_below_what_was_paid_leaves_a_credit_that_settles_the_next_debt(
    employer, django_capture_on_commit_callbacks
):
    enterprise_id = employer["enterprise"].pk
    with django_capture_on_commit_callbacks(execute=True):
        _declare(employer, "2026-09", ["3000.00", "2000.00"], now=_at(2026, 10, 5))  # 1,621.50
        september = LedgerEntry.objects.get(kind="declaration", period="2026-09")
        _bank(
            employer,
            "1621.50",
            booked_on=datetime.date(2026, 10, 10),
            now=_at(2026, 10, 11),
            reference=september.payment_reference,
        )
        # On 5 November, September goes down to 972.90: 648.60 was paid that is not owed.
        _declare(employer, "2026-09", ["3000.00"], now=_at(2026, 11, 5), replace=True)

    today = datetime.date(2026, 11, 5)
    summary = account_summary(enterprise_id=enterprise_id, today=today)
    assert (summary.balance, summary.overdue, summary.not_yet_due, summary.credit) == (
        Decimal("-648.60"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("648.60"),
    )
    # "Paid" is money received for the period, no more than it owes; the correction paid nothing.
    row = periods_payment(enterprise_ids=[enterprise_id], today=today)[(enterprise_id, "2026-09")]
    assert (row.owed, row.settled, row.status) == (Decimal("972.90"), Decimal("972.90"), "paid")
    correction = LedgerEntry.objects.get(kind="correction")
    assert not Allocation.objects.filter(credit=correction).exists()
    # The money released is the bank payment's, as of the day it was received: no interest.
    assert list(Allocation.objects.order_by("pk").values_list("amount", flat=True)) == [
        Decimal("1621.50"),
        Decimal("-648.60"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert ledger.interest_post(month=Period(2026, 10), now=_run(2026, 11)) == 0

        # October's contributions, 648.60, are settled by the credit as soon as they are declared.
        october = LedgerEntry.objects.get(declaration=_declare(employer, "2026-10", ["2000.00"], now=_at(2026, 11, 8)))
    paid = periods_payment(enterprise_ids=[enterprise_id], today=today)[(enterprise_id, "2026-10")]
    assert (paid.owed, paid.settled, paid.status) == (Decimal("648.60"), Decimal("648.60"), "paid")
    assert Allocation.objects.filter(debit=october, credit__kind="payment").get().amount == Decimal("648.60")
    summary = account_summary(enterprise_id=enterprise_id, today=today)
    assert (summary.balance, summary.credit) == (Decimal("0.00"), Decimal("0.00"))
    with django_capture_on_commit_callbacks(execute=True):
        assert ledger.interest_post(month=Period(2026, 11), now=_run(2026, 12)) == 0


# --- 3. Every debt can be seen and paid --------------------------------------------------------


def test_a_penalty_is_listed_with_its_reference_and_paid_online(
    employer, client, monkeypatch, django_capture_on_commit_callbacks
):
    enterprise = employer["enterprise"]
    with django_capture_on_commit_callbacks(execute=True):
        _declare(employer, "2026-09", ["3000.00"], now=_at(2026, 10, 5))  # 972.90, left unpaid
        assert ledger.penalties_post(
            enterprises={enterprise.pk: enterprise.enterprise_number},
            period=Period(2026, 10),
            amount=Decimal("100.00"),
            now=_at(2026, 11, 20),
        )
    penalty = LedgerEntry.objects.get(kind="penalty")
    assert "L202610" in penalty.payment_reference

    provider = FakeProvider()
    with time_machine.travel(_at(2026, 11, 21), tick=False):
        sign_in(client, employer["declarant"])
        page = client.get(reverse("contributions:account", args=[enterprise.pk]), headers={"Accept-Language": "en"})
        html = page.content.decode()
        assert "Late-filing penalty" in html
        assert (
            f'<option value="{penalty.payment_reference}">Late-filing penalty, 2026-10 (100.00 € left)</option>' in html
        )
        with monkeypatch.context() as patched:
            patched.setattr(payments, "payment_provider", lambda: provider)
            response = client.post(
                reverse("contributions:pay", args=[enterprise.pk]),
                {"intent": str(uuid.uuid4()), "amount": "100,00", "payment_reference": penalty.payment_reference},
            )
        assert response.status_code == 302
        with django_capture_on_commit_callbacks(execute=True):
            assert _callback(Payment_of(enterprise)).status_code == 200
        page = client.get(reverse("contributions:account", args=[enterprise.pk]), headers={"Accept-Language": "en"})

    # The payment names the penalty: it settles the penalty, though September is older.
    assert Allocation.objects.get().debit == penalty
    rows = _to_pay(page.content.decode())
    assert [(row["Debt"], row["Period"]) for row in rows] == [("Contributions", "2026-09")]


def Payment_of(enterprise):
    from contributions.models import Payment

    return Payment.objects.get(enterprise=enterprise)


# --- Interest across a change of rate ----------------------------------------------------------


def test_interest_across_a_change_of_rate_charges_each_day_at_its_own_rate(
    employer, django_capture_on_commit_callbacks
):
    LateInterestRate.objects.create(valid_from=datetime.date(2026, 10, 21), yearly_rate=Decimal("0.10"))
    with django_capture_on_commit_callbacks(execute=True):
        _declare(employer, "2026-09", ["3000.00"], now=_at(2026, 10, 5))  # 972.90, due 15 October
        # 16–20 October at 7 %, 21–31 October at 10 %:
        # 972.90 × (5 × 0.07 + 11 × 0.10) / 365 = 3.864… → 3.86
        assert ledger.interest_post(month=Period(2026, 10), now=_run(2026, 11)) == 1
        # November at 10 %: 30 × 972.90 × 0.10 / 365 = 7.996… → 8.00
        assert ledger.interest_post(month=Period(2026, 11), now=_run(2026, 12)) == 1
        # A debit filed late is caught up at the rates of the months it catches up: August,
        # 972.90 as well, filed on 10 December, due 15 September.
        _declare(employer, "2026-08", ["3000.00"], now=_at(2026, 12, 10))
        assert ledger.interest_post(month=Period(2026, 12), now=_run(2027, 1)) == 1 + 3

    day_7, day_10 = Decimal("972.90") * Decimal("0.07") / 365, Decimal("972.90") * Decimal("0.10") / 365
    assert _interest(employer) == [
        ("2026-10", Decimal("3.86"), False),
        ("2026-11", Decimal("8.00"), False),
        # December, 31 days at 10 % on both months: 1,945.80 × 31 × 0.10 / 365 = 16.526… → 16.53
        ("2026-12", Decimal("16.53"), False),
        # September: August's 16–30 September, 15 days at 7 %: 2.798… → 2.80
        ("2026-09", Decimal("2.80"), True),
        # October again, both debts: September's 5 days at 7 % and 11 at 10 %, August's 20 days
        # at 7 % and 11 at 10 %: 972.90 × (1.45 + 2.50) / 365 = 10.528… → 10.53, less 3.86
        ("2026-10", Decimal("6.67"), True),
        # November again, both debts at 10 %: 1,945.80 × 30 × 0.10 / 365 = 15.992… → 15.99, less 8.00
        ("2026-11", Decimal("7.99"), True),
    ]
    assert abs(15 * day_7 - Decimal("2.80")) < Decimal("0.005")
    assert abs((16 * day_7 + 4 * day_7 + 11 * day_10) + (5 * day_7 + 11 * day_10) - Decimal("10.53")) < Decimal("0.005")


# --- The page's totals are the sums of its rows ------------------------------------------------


def _cells(html, label):
    return re.findall(rf'data-label="{re.escape(label)}">([^<]*)<', html)


def _to_pay(html):
    """The rows of the "To pay" table (the footer's total aside) as dicts of their cells."""
    body = html.split("<caption", 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body):
        cells = dict(re.findall(r'data-label="([^"]+)">(?:<code>|<strong>)?([^<]*)<', row))
        rows.append(cells)
    return rows


def _amount(text):
    return Decimal(text.replace(",", ""))


def test_the_account_pages_totals_are_the_sums_of_its_rows_with_every_kind_of_entry(
    employer, client, settings, django_capture_on_commit_callbacks
):
    settings.LATE_INTEREST_MINIMUM = "0.01"
    enterprise = employer["enterprise"]
    with django_capture_on_commit_callbacks(execute=True):
        _declare(employer, "2026-08", ["3000.00", "2000.00"], now=_at(2026, 9, 5))  # 1,621.50
        _declare(employer, "2026-09", ["3000.00"], now=_at(2026, 10, 5))  # 972.90
        ledger.interest_post(month=Period(2026, 9), now=_run(2026, 10))
        _declare(employer, "2026-08", ["3000.00"], now=_at(2026, 10, 10), replace=True)  # down
        _declare(employer, "2026-09", ["3000.00", "2000.00"], now=_at(2026, 10, 12), replace=True)  # up
        august = LedgerEntry.objects.get(kind="declaration", period="2026-08")
        _bank(
            employer,
            "500.00",
            booked_on=datetime.date(2026, 10, 20),
            now=_at(2026, 10, 21),
            reference=august.payment_reference,
        )
        ledger.penalties_post(
            enterprises={enterprise.pk: enterprise.enterprise_number},
            period=Period(2026, 9),
            amount=Decimal("100.00"),
            now=_at(2026, 10, 25),
        )
        _declare(employer, "2026-07", ["500.00"], now=_at(2026, 10, 28))  # 162.15, late
        ledger.interest_post(month=Period(2026, 10), now=_run(2026, 11))

    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds == {"declaration", "correction", "penalty", "interest", "payment"}
    # August caught up for July's debt filed late (162.15 × 16 × 7 % / 365 = 0.497… → 0.50);
    # September lowered: August reduced outweighs July added, 3.73 instead of 4.66.
    catch_ups = LedgerEntry.objects.filter(source__startswith="interest-correction:").order_by("period")
    assert list(catch_ups.values_list("period", "amount")) == [
        ("2026-08", Decimal("0.50")),
        ("2026-09", Decimal("-0.93")),
    ]

    with time_machine.travel(_at(2026, 11, 2), tick=False):
        sign_in(client, employer["declarant"])
        html = client.get(
            reverse("contributions:account", args=[enterprise.pk]), headers={"Accept-Language": "en"}
        ).content.decode()
    summary = account_summary(enterprise_id=enterprise.pk, today=datetime.date(2026, 11, 2))
    rows = _to_pay(html)
    assert {row["Debt"] for row in rows} == {"Contributions", "Late-filing penalty", "Late-payment interest"}
    left = sum((_amount(row["Left to pay (€)"]) for row in rows), Decimal("0.00"))
    owed = sum((_amount(row["Owed (€)"]) for row in rows), Decimal("0.00"))
    paid = sum((_amount(row["Paid (€)"]) for row in rows), Decimal("0.00"))
    assert all(_amount(r["Owed (€)"]) - _amount(r["Paid (€)"]) == _amount(r["Left to pay (€)"]) for r in rows)
    # The footer is the sum of the rows; the summary's figures add up to it.
    footer = html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert [_amount(v) for v in _cells(footer, "Owed (€)") + _cells(footer, "Paid (€)")] == [owed, paid]
    assert _cells(footer, "Left to pay (€)") == [f"{left:,.2f}"]
    figures = dict(re.findall(r'<dt class="text-bold">([^<]+)</dt><dd[^>]*>([^<]+) €</dd>', html))
    assert _amount(figures["Overdue"]) + _amount(figures["Not yet due"]) == left
    assert (summary.overdue + summary.not_yet_due, summary.credit) == (left, Decimal("0.00"))
    # The balance is what is left to pay, less any credit, and the statement's last balance.
    assert _amount(figures["Balance"]) == left - summary.credit == summary.balance
    assert account_entries(enterprise_id=enterprise.pk)[-1].balance == summary.balance
    # Only money counts as paid: the 500.00 transfer, on August.
    assert paid == Decimal("500.00")
