"""The employer's account: a declaration posts its debit, a replacement the difference; credits
settle the debit named by their reference first, then the oldest; posting twice posts once."""

import datetime
from decimal import Decimal

import pytest
from stdnum import iso11649

from contributions import ledger
from contributions.models import Allocation, LedgerEntry
from tests.contributions.account_helpers import credit, declare, employer_with_staff

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
# When the interest tests declare September: before it is due (15 October), so that the debit is
# on the account in October (a debit counts from the month it is booked in).
DECLARED = datetime.datetime(2026, 10, 5, 10, 0, tzinfo=datetime.UTC)
# One employee line of 3,000.00 in 2026 (hand-worked with the demo rates):
#   pension 207.00 + 256.50, health 106.50 + 114.00, unemployment 26.10 + 43.80,
#   family 0 + 210.00, work injury 0 + 9.00 → 339.60 + 633.30 = 972.90
# and of 2,000.00: 138.00 + 171.00, 71.00 + 76.00, 17.40 + 29.20, 0 + 140.00, 0 + 6.00 → 648.60
LINE_3000 = Decimal("972.90")
LINE_2000 = Decimal("648.60")


@pytest.fixture
def employer(settings):
    settings.DECLARATION_DUE_DAY = 15
    return employer_with_staff(
        hired_from=datetime.date(2026, 8, 1), hired_at=datetime.datetime(2026, 7, 20, tzinfo=datetime.UTC)
    )


def _declare(employer, period, wages, replace=False, now=NOW):
    return declare(employer, period, wages, now=now, replace=replace)


def _pay(employer, amount, reference="", source="bank:1"):
    return ledger.credit_post(
        enterprise_id=employer["enterprise"].pk,
        amount=Decimal(amount),
        payment_reference=reference,
        source=source,
        booked_on=NOW.date(),
        now=NOW,
    )


def _settled(entry):
    return sum((a.amount for a in Allocation.objects.filter(debit=entry)), Decimal("0.00"))


def test_a_declaration_posts_its_debit_with_a_structured_reference_and_due_date(employer):
    declaration = _declare(employer, "2026-10", ["3000.00", "3000.00"])

    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.period, entry.due_on) == (
        "declaration",
        2 * LINE_3000,
        "2026-10",
        datetime.date(2026, 11, 15),
    )
    assert entry.declaration_id == declaration.pk
    assert iso11649.is_valid(entry.payment_reference)
    assert entry.payment_reference.endswith(employer["enterprise"].enterprise_number + "D202610")


def test_a_replacement_posts_the_difference_both_ways(employer):
    _declare(employer, "2026-10", ["3000.00", "3000.00"])
    _declare(employer, "2026-10", ["3000.00", "2000.00"], replace=True)
    _declare(employer, "2026-10", ["3000.00", "3000.00"], replace=True)

    assert list(LedgerEntry.objects.order_by("pk").values_list("kind", "amount")) == [
        ("declaration", Decimal("1945.80")),
        ("correction", Decimal("-324.30")),
        ("correction", Decimal("324.30")),
    ]
    references = set(LedgerEntry.objects.values_list("payment_reference", flat=True))
    assert len(references) == 1


def test_a_credit_settles_the_debit_it_names_then_the_oldest(employer):
    september = LedgerEntry.objects.get(declaration=_declare(employer, "2026-09", ["3000.00"]))
    october = LedgerEntry.objects.get(declaration=_declare(employer, "2026-10", ["2000.00"]))

    _pay(employer, "700.00", reference=october.payment_reference, source="bank:1")
    assert (_settled(september), _settled(october)) == (Decimal("51.40"), LINE_2000)

    _pay(employer, "100.00", source="bank:2")  # no reference: the oldest first
    assert _settled(september) == Decimal("151.40")


def test_credit_left_over_settles_the_next_debit_when_it_is_posted(employer):
    _pay(employer, "1000.00", source="bank:early")
    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-10", ["3000.00"]))
    assert _settled(debit) == LINE_3000


def test_the_same_source_is_credited_once(employer):
    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-10", ["3000.00"]))
    assert _pay(employer, "500.00", source="payment:7") is True
    assert _pay(employer, "500.00", source="payment:7") is False
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    assert _settled(debit) == Decimal("500.00")


def test_a_zero_declaration_posts_nothing(employer):
    _declare(employer, "2026-10", ["0.00"])
    assert not LedgerEntry.objects.exists()


# --- Late-payment interest and late-filing penalties -------------------------------------------


def test_interest_is_computed_per_day_on_what_is_overdue_and_posted_once(employer, settings):
    settings.LATE_INTEREST_MINIMUM = "1.00"
    debit = LedgerEntry.objects.get(
        declaration=_declare(employer, "2026-09", ["3000.00"], now=DECLARED)
    )  # due 15 October
    from core.periods import Period

    # 16 to 31 October overdue: 16 days × 972.90 × 7 % / 365 = 2.985… → 2.99
    assert ledger.interest_post(month=Period(2026, 10), now=NOW) == 1
    assert ledger.interest_post(month=Period(2026, 10), now=NOW) == 0
    interest = LedgerEntry.objects.get(kind="interest")
    assert (interest.amount, interest.period) == (Decimal("2.99"), "2026-10")
    assert iso11649.is_valid(interest.payment_reference) and "I202610" in interest.payment_reference
    assert debit.due_on == datetime.date(2026, 10, 15)


def test_a_payment_reduces_interest_from_the_day_after_it_is_booked(employer, settings):
    settings.LATE_INTEREST_MINIMUM = "1.00"
    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-09", ["3000.00"], now=DECLARED))
    ledger.credit_post(
        enterprise_id=employer["enterprise"].pk,
        amount=Decimal("472.90"),
        payment_reference=debit.payment_reference,
        source="bank:partial",
        booked_on=datetime.date(2026, 10, 20),
        now=NOW,
    )
    from core.periods import Period

    ledger.interest_post(month=Period(2026, 10), now=NOW)
    # 16–20 October: 5 × 972.90; 21–31 October: 11 × 500.00 → 10,364.50 × 7 % / 365 = 1.987… → 1.99
    assert LedgerEntry.objects.get(kind="interest").amount == Decimal("1.99")


def test_no_interest_when_paid_on_time_or_under_the_minimum(employer, settings):
    settings.LATE_INTEREST_MINIMUM = "5.00"
    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-09", ["3000.00"], now=DECLARED))
    from core.periods import Period

    assert ledger.interest_post(month=Period(2026, 10), now=NOW) == 0  # 2.99 is under 5.00
    ledger.credit_post(
        enterprise_id=employer["enterprise"].pk,
        amount=LINE_3000,
        payment_reference=debit.payment_reference,
        source="bank:full",
        booked_on=datetime.date(2026, 10, 31),
        now=NOW,
    )
    settings.LATE_INTEREST_MINIMUM = "0.01"
    assert ledger.interest_post(month=Period(2026, 11), now=NOW) == 0


def test_a_debit_declared_late_owes_interest_from_its_legal_due_date(employer, settings):
    settings.LATE_INTEREST_MINIMUM = "1.00"
    _declare(employer, "2026-09", ["3000.00"])  # declared late, on 10 November; due 15 October
    from core.periods import Period

    # October, charged on 10 November, counts the debit from the day after its due date, though
    # it was booked later: 16 days × 972.90 × 7 % / 365 = 2.985… → 2.99.
    assert ledger.interest_post(month=Period(2026, 10), now=NOW) == 1
    # All of November: 30 × 972.90 × 7 % / 365 = 5.597… → 5.60
    assert ledger.interest_post(month=Period(2026, 11), now=NOW) == 1
    assert sorted(LedgerEntry.objects.filter(kind="interest").values_list("amount", flat=True)) == [
        Decimal("2.99"),
        Decimal("5.60"),
    ]


# --- Interest corrected for credits booked in the past ----------------------------------------


def _at(year, month, day, hour=10):
    return datetime.datetime(year, month, day, hour, 0, tzinfo=datetime.UTC)


# The monthly job runs on the 1st at 04:00 in Brussels (03:00 UTC in winter).
NOVEMBER_RUN, DECEMBER_RUN, JANUARY_RUN = _at(2026, 11, 1, 3), _at(2026, 12, 1, 3), _at(2027, 1, 1, 3)


def _credit(employer, amount, *, booked_on, now, reference="", source="bank:late"):
    return credit(employer, amount, booked_on=booked_on, now=now, reference=reference, source=source)


def _interest(period):
    return list(
        LedgerEntry.objects.filter(kind="interest", period=period)
        .order_by("pk")
        .values_list("amount", "booked_on", "source")
    )


@pytest.fixture
def interest_rules(settings):
    settings.LATE_INTEREST_MINIMUM = "1.00"
    settings.PENALTY_PAYMENT_DAYS = 30


def test_a_credit_booked_in_a_month_already_charged_corrects_its_interest_once(
    employer, interest_rules, django_capture_on_commit_callbacks
):
    from contributions.account import account_debts, account_entries, account_summary
    from core.periods import Period

    enterprise_id = employer["enterprise"].pk
    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-09", ["3000.00"], now=DECLARED))
    with django_capture_on_commit_callbacks(execute=True):
        # 16–31 October overdue: 16 × 972.90 × 7 % / 365 = 2.985… → 2.99, posted on 1 November.
        assert ledger.interest_post(month=Period(2026, 10), now=NOVEMBER_RUN) == 1
        # A transfer booked on 28 October, imported on 3 November.
        _credit(
            employer,
            "472.90",
            booked_on=datetime.date(2026, 10, 28),
            now=_at(2026, 11, 3),
            reference=debit.payment_reference,
        )

        # On 1 December: November's interest, 30 × 500.00 × 7 % / 365 = 2.876… → 2.88, and
        # October's again: 16–28 October 13 × 972.90 + 29–31 October 3 × 500.00 = 14,147.70
        # × 7 % / 365 = 2.713… → 2.71, so 2.99 − 2.71 = 0.28 were charged too much.
        assert ledger.interest_post(month=Period(2026, 11), now=DECEMBER_RUN) == 2
        assert ledger.interest_post(month=Period(2026, 11), now=DECEMBER_RUN) == 0
        assert ledger.interest_post(month=Period(2026, 11), now=_at(2026, 12, 2)) == 0

    october_interest = LedgerEntry.objects.get(source=f"interest:{enterprise_id}:2026-10")
    assert _interest("2026-10") == [
        (Decimal("2.99"), datetime.date(2026, 11, 1), f"interest:{enterprise_id}:2026-10"),
        (Decimal("-0.28"), datetime.date(2026, 12, 1), f"interest-correction:{enterprise_id}:2026-10:2026-11"),
    ]
    correction = LedgerEntry.objects.get(source__startswith="interest-correction:")
    assert (correction.payment_reference, correction.due_on) == (october_interest.payment_reference, None)
    assert correction.is_interest_correction and not october_interest.is_interest_correction
    assert _interest("2026-11") == [(Decimal("2.88"), datetime.date(2026, 12, 1), f"interest:{enterprise_id}:2026-11")]
    # The correction lowers October's interest, it pays nothing: 2.71 of it is left to pay.
    assert not Allocation.objects.filter(credit=correction).exists()
    october_debt = next(
        d for d in account_debts(enterprise_id=enterprise_id, today=datetime.date(2026, 12, 1)) if d.period == "2026-10"
    )
    assert (october_debt.kind, october_debt.owed, october_debt.settled) == (
        "interest",
        Decimal("2.71"),
        Decimal("0.00"),
    )
    # 972.90 + 2.99 − 472.90 + 2.88 − 0.28 = 505.59
    summary = account_summary(enterprise_id=enterprise_id, today=datetime.date(2026, 12, 1))
    assert (summary.balance, summary.overdue, summary.not_yet_due) == (
        Decimal("505.59"),
        Decimal("500.00"),
        Decimal("5.59"),
    )
    # The statement, in booking order, with its running balance.
    assert [
        (row.booked_on, row.amount, row.balance, row.is_interest_correction)
        for row in account_entries(enterprise_id=enterprise_id)
    ] == [
        (datetime.date(2026, 10, 5), LINE_3000, LINE_3000, False),
        (datetime.date(2026, 10, 28), Decimal("-472.90"), Decimal("500.00"), False),
        (datetime.date(2026, 11, 1), Decimal("2.99"), Decimal("502.99"), False),
        (datetime.date(2026, 12, 1), Decimal("2.88"), Decimal("505.87"), False),
        (datetime.date(2026, 12, 1), Decimal("-0.28"), Decimal("505.59"), True),
    ]


@pytest.mark.parametrize(
    ("minimum", "october_correction"),
    [
        # October again: 16–20 October, 5 × 972.90 × 7 % / 365 = 0.932… → 0.93, under the
        # minimum of 1.00: the 2.99 posted is reversed in full.
        ("1.00", Decimal("-2.99")),
        # Over a minimum of 0.50: 0.93 is what October owes, 2.99 − 0.93 = 2.06 is given back.
        ("0.50", Decimal("-2.06")),
    ],
)
def test_a_credit_booked_several_months_back_corrects_each_month_with_the_minimum_on_the_corrected_total(
    employer, interest_rules, settings, django_capture_on_commit_callbacks, minimum, october_correction
):
    from contributions.account import account_summary
    from core.periods import Period

    settings.LATE_INTEREST_MINIMUM = minimum
    enterprise_id = employer["enterprise"].pk
    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-09", ["3000.00"], now=DECLARED))
    with django_capture_on_commit_callbacks(execute=True):
        ledger.interest_post(month=Period(2026, 10), now=NOVEMBER_RUN)  # 2.99
        # 30 × 972.90 × 7 % / 365 = 5.597… → 5.60
        ledger.interest_post(month=Period(2026, 11), now=DECEMBER_RUN)
        # The whole debit, paid on 20 October, assigned by staff on 3 December.
        _credit(
            employer,
            "972.90",
            booked_on=datetime.date(2026, 10, 20),
            now=_at(2026, 12, 3),
            reference=debit.payment_reference,
        )
        # December: nothing overdue; October and November are corrected (November to 0.00).
        assert ledger.interest_post(month=Period(2026, 12), now=JANUARY_RUN) == 2
        assert ledger.interest_post(month=Period(2026, 12), now=JANUARY_RUN) == 0

    assert [row[0] for row in _interest("2026-10")] == [Decimal("2.99"), october_correction]
    assert [row[0] for row in _interest("2026-11")] == [Decimal("5.60"), Decimal("-5.60")]
    assert not _interest("2026-12")
    # 972.90 + 2.99 + 5.60 − 972.90 + the corrections: 0.00 or 0.93 (October's interest)
    expected = Decimal("2.99") + october_correction
    assert account_summary(enterprise_id=enterprise_id, today=datetime.date(2027, 1, 1)).balance == expected


def test_a_credit_posted_before_the_month_is_charged_needs_no_correction(
    employer, interest_rules, django_capture_on_commit_callbacks
):
    from core.periods import Period

    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-09", ["3000.00"], now=DECLARED))
    with django_capture_on_commit_callbacks(execute=True):
        # Booked on 28 October, imported on 1 November at 02:00 in Brussels, before the job.
        _credit(
            employer,
            "972.90",
            booked_on=datetime.date(2026, 10, 28),
            now=_at(2026, 11, 1, 1),
            reference=debit.payment_reference,
        )
        # 13 × 972.90 × 7 % / 365 = 2.425… → 2.43
        assert ledger.interest_post(month=Period(2026, 10), now=NOVEMBER_RUN) == 1
        assert ledger.interest_post(month=Period(2026, 11), now=DECEMBER_RUN) == 0
    assert [row[0] for row in _interest("2026-10")] == [Decimal("2.43")]


def test_a_month_left_uncharged_under_the_minimum_is_not_charged_by_a_correction(
    employer, interest_rules, settings, django_capture_on_commit_callbacks
):
    from core.periods import Period

    settings.LATE_INTEREST_MINIMUM = "5.00"
    debit = LedgerEntry.objects.get(declaration=_declare(employer, "2026-09", ["3000.00"], now=DECLARED))
    with django_capture_on_commit_callbacks(execute=True):
        assert ledger.interest_post(month=Period(2026, 10), now=NOVEMBER_RUN) == 0  # 2.99 < 5.00
        _credit(
            employer,
            "972.90",
            booked_on=datetime.date(2026, 10, 28),
            now=_at(2026, 11, 3),
            reference=debit.payment_reference,
        )
        assert ledger.interest_post(month=Period(2026, 11), now=DECEMBER_RUN) == 0
    assert not LedgerEntry.objects.filter(kind="interest").exists()


def test_a_penalty_is_posted_once_per_enterprise_and_period_and_settled_by_credit_left_over(
    employer, django_capture_on_commit_callbacks
):
    from core.periods import Period

    enterprise = employer["enterprise"]
    _pay(employer, "30.00", source="bank:ahead")
    numbers = {enterprise.pk: enterprise.enterprise_number}
    with django_capture_on_commit_callbacks(execute=True):  # settled once the penalty is committed
        assert (
            ledger.penalties_post(enterprises=numbers, period=Period(2026, 9), amount=Decimal("100.00"), now=NOW) == 1
        )
        ledger.penalties_post(enterprises=numbers, period=Period(2026, 9), amount=Decimal("100.00"), now=NOW)
    penalty = LedgerEntry.objects.get(kind="penalty")
    assert (penalty.amount, penalty.period) == (Decimal("100.00"), "2026-09")
    assert penalty.payment_reference.endswith(enterprise.enterprise_number + "L202609")
    assert _settled(penalty) == Decimal("30.00")
