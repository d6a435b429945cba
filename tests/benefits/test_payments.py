"""The monthly payment run, on hand-worked examples: indexation, arrears, a death mid-month,
recoveries netted; preparing twice or at once; four eyes; the pain.001 files (valid against the
official XSD, the same on every export, split by size); the bank's pain.002 answer, and a
rejected payment issued again, once, after the account changed."""

from __future__ import annotations

import datetime
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from lxml import etree
from pypdf import PdfReader

from benefits import services
from benefits.models import (
    AmountReason,
    BankAnswer,
    EntitlementAmount,
    EntitlementState,
    Payment,
    PaymentFile,
    PaymentRun,
    PaymentStatus,
    Recovery,
    RecoveryItem,
    RunSkip,
    RunStatus,
)
from benefits.payments import bank
from benefits.payments.amounts import indexation_apply
from benefits.types import PaymentRefused
from core.periods import Period
from identity.models import BankAccount
from notifications.models import Notification
from tests.benefits.payment_helpers import (
    IBAN,
    OTHER_IBAN,
    PAIN001_XSD,
    aware,
    checked_approved_written,
    finance_officer,
    pain002,
    pensioner,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def prepare(period: Period, now: datetime.datetime, user_id: int | None = None):
    with time_machine.travel(now, tick=False):
        return services.payment_run_prepare(period=period, user_id=user_id, now=now)


def payment_of(entitlement, period: Period) -> Payment:
    return Payment.objects.get(entitlement=entitlement, run__period=period.first_day)


# --- Arithmetic -------------------------------------------------------------------------------------


def test_indexation_raises_monthly_amounts_from_january_once_with_its_rate_and_reference():
    now = aware(D(2025, 12, 1))
    paid = pensioner(amount="1000.00", start_on=D(2025, 6, 1), now=now)
    once = pensioner(amount="1200.00", start_on=D(2025, 6, 1), periodicity="once", scheme="birth_grant", now=now)

    assert indexation_apply(year=2026, now=now) == 1
    assert indexation_apply(year=2026, now=now) == 0  # the same day twice: nothing more
    assert indexation_apply(year=2027, now=now) == 1
    assert indexation_apply(year=2031, now=now) == 0  # no rate decreed for that day

    steps = list(EntitlementAmount.objects.filter(entitlement=paid["entitlement"]).order_by("since"))
    assert [(step.since, step.amount, step.reason) for step in steps] == [
        (D(2025, 6, 1), Decimal("1000.00"), AmountReason.DECISION),
        (D(2026, 1, 1), Decimal("1018.00"), AmountReason.INDEXATION),  # +1.8 %
        (D(2027, 1, 1), Decimal("1033.27"), AmountReason.INDEXATION),  # 1018 × 1.015 = 1033.27
    ]
    assert steps[1].rate == Decimal("0.01800")
    assert "Decree of 20 November 2025" in steps[1].reference
    assert EntitlementAmount.objects.filter(entitlement=once["entitlement"]).count() == 1


def test_a_decision_starting_in_the_past_pays_arrears_itemised_each_month_at_its_amount():
    # Opened on 20 February 2026 from 1 November 2025: November and December at the decision's
    # 1,000.00, January and February indexed (+1.8 %) at 1,018.00.
    now = aware(D(2026, 2, 20))
    with time_machine.travel(now, tick=False):
        paid = pensioner(amount="1000.00", start_on=D(2025, 11, 1), now=now)

    prepared = prepare(Period(2026, 2), now)

    payment = payment_of(paid["entitlement"], Period(2026, 2))
    assert prepared.payments_created == 1
    assert (payment.months.lower, payment.months.upper) == (D(2025, 11, 1), D(2026, 3, 1))
    assert payment.gross == Decimal("4036.00")  # 1000 + 1000 + 1018 + 1018
    assert payment.arrears == Decimal("3018.00")  # November, December, January
    assert payment.amount == Decimal("4036.00")
    assert payment.iban == IBAN
    assert payment.end_to_end_id == f"GUI202602E{paid['entitlement'].pk}"
    assert PaymentRun.objects.get(pk=prepared.run_id).pay_on == D(2026, 2, 28)

    # The next month: only March.
    checked_approved_written(prepared.run_id, now)
    march = prepare(Period(2026, 3), aware(D(2026, 3, 20)))
    payment = payment_of(paid["entitlement"], Period(2026, 3))
    assert march.payments_created == 1
    assert (payment.gross, payment.arrears) == (Decimal("1018.00"), Decimal("0.00"))


def test_a_death_mid_month_pays_that_month_and_no_later_one():
    now = aware(D(2026, 3, 20))
    with time_machine.travel(now, tick=False):
        paid = pensioner(amount="900.00", start_on=D(2026, 3, 1), now=now)
    # Died on 14 March: the entitlement ends with the month of death.
    paid["entitlement"].end_on = D(2026, 3, 31)
    paid["entitlement"].save()

    march = prepare(Period(2026, 3), now)
    checked_approved_written(march.run_id, now)
    april = prepare(Period(2026, 4), aware(D(2026, 4, 20)))

    assert payment_of(paid["entitlement"], Period(2026, 3)).gross == Decimal("900.00")
    assert april.payments_created == 0
    assert not Payment.objects.filter(run_id=april.run_id).exists()


def test_a_sum_to_recover_is_netted_a_third_of_a_payment_at_a_time():
    now = aware(D(2026, 5, 20))
    with time_machine.travel(now, tick=False):
        paid = pensioner(amount="1000.00", start_on=D(2026, 5, 1), now=now)
    recovery = Recovery.objects.create(
        person=paid["person"],
        entitlement=paid["entitlement"],
        reason="Paid twice in April",
        amount=Decimal("500.00"),
        outstanding=Decimal("500.00"),
        created_at=now,
    )

    may = prepare(Period(2026, 5), now)
    payment = payment_of(paid["entitlement"], Period(2026, 5))
    # Opened in 2026 from May 2026: no indexation yet. A third of 1,000.00 is kept back.
    assert (payment.gross, payment.recovered, payment.amount) == (
        Decimal("1000.00"),
        Decimal("330.00"),
        Decimal("670.00"),
    )
    assert may.recoveries == 1
    checked_approved_written(may.run_id, now)

    prepare(Period(2026, 6), aware(D(2026, 6, 20)))
    june = payment_of(paid["entitlement"], Period(2026, 6))
    recovery.refresh_from_db()
    assert (june.recovered, june.amount) == (Decimal("170.00"), Decimal("830.00"))
    assert recovery.outstanding == Decimal("0.00")
    assert list(
        RecoveryItem.objects.filter(recovery=recovery).order_by("payment__run__period").values_list("amount", flat=True)
    ) == [
        Decimal("330.00"),
        Decimal("170.00"),
    ]


# --- Idempotency ------------------------------------------------------------------------------------


def test_preparing_a_run_twice_creates_nothing_twice_and_adds_what_became_due():
    now = aware(D(2026, 4, 20))
    with time_machine.travel(now, tick=False):
        first = pensioner(start_on=D(2026, 4, 1), now=now)
        suspended = pensioner(start_on=D(2026, 4, 1), now=now, first_name="Marc")
        without_account = pensioner(start_on=D(2026, 4, 1), now=now, iban=None, first_name="Lina")
    suspended["entitlement"].state = EntitlementState.SUSPENDED
    suspended["entitlement"].suspension_reason = "life_certificate"
    suspended["entitlement"].suspended_at = now
    suspended["entitlement"].save()

    once = prepare(Period(2026, 4), now)
    again = prepare(Period(2026, 4), now)
    with time_machine.travel(now, tick=False):
        late = pensioner(start_on=D(2026, 3, 1), now=now, first_name="Paul")
    third = prepare(Period(2026, 4), now)

    assert (once.payments_created, once.skips_created) == (1, 2)
    assert (again.payments_created, again.skips_created) == (0, 2)  # the same two, not paid
    assert third.payments_created == 1  # the grant decided since: March and April
    assert payment_of(late["entitlement"], Period(2026, 4)).arrears == Decimal("1000.00")
    assert Payment.objects.filter(run_id=once.run_id).count() == 2
    assert dict(RunSkip.objects.filter(run_id=once.run_id).values_list("entitlement_id", "reason")) == {
        suspended["entitlement"].pk: "suspended",
        without_account["entitlement"].pk: "no_account",
    }
    assert RunSkip.objects.get(entitlement=suspended["entitlement"]).detail == "life_certificate"
    assert payment_of(first["entitlement"], Period(2026, 4)).gross == Decimal("1000.00")


def test_a_month_is_never_paid_twice_even_written_by_hand():
    now = aware(D(2026, 4, 20))
    with time_machine.travel(now, tick=False):
        paid = pensioner(start_on=D(2026, 4, 1), now=now)
    prepared = prepare(Period(2026, 4), now)
    payment = payment_of(paid["entitlement"], Period(2026, 4))
    other = PaymentRun.objects.create(period=D(2026, 5, 1), pay_on=D(2026, 5, 28), prepared_at=now)
    payment.pk = None
    payment.run = other
    payment.end_to_end_id = "HAND"
    with pytest.raises(IntegrityError), transaction.atomic():
        payment.save()  # the same first month, in another run
    assert Payment.objects.filter(entitlement=paid["entitlement"]).count() == 1
    assert prepared.payments_created == 1


@pytest.mark.django_db(transaction=True)
def test_two_preparations_at_once_create_each_payment_once():
    now = aware(D(2026, 4, 20))
    with time_machine.travel(now, tick=False):
        for number in range(5):
            pensioner(start_on=D(2026, 2, 1), now=now, first_name=f"P{number}")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            results.append(services.payment_run_prepare(period=Period(2026, 4), user_id=None, now=now))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(now, tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert sorted(result.payments_created for result in results) == [0, 5]
    assert Payment.objects.count() == 5
    assert PaymentRun.objects.count() == 1


# --- Four eyes --------------------------------------------------------------------------------------


def test_approval_takes_a_second_finance_officer():
    now = aware(D(2026, 4, 20))
    with time_machine.travel(now, tick=False):
        pensioner(start_on=D(2026, 4, 1), now=now)
    preparer, checker, approver = finance_officer("A"), finance_officer("B"), finance_officer("C")
    run_id = prepare(Period(2026, 4), now, user_id=preparer.pk).run_id

    with pytest.raises(PaymentRefused) as refused:
        services.payment_run_approve(run_id=run_id, user_id=approver.pk, now=now)
    assert refused.value.code == "run_moved"  # not checked yet
    services.payment_run_submit(run_id=run_id, user_id=checker.pk, now=now)
    for user in (checker, preparer):
        with pytest.raises(PaymentRefused) as refused:
            services.payment_run_approve(run_id=run_id, user_id=user.pk, now=now)
        assert refused.value.code == "own_run"
    assert PaymentRun.objects.get(pk=run_id).status == RunStatus.SUBMITTED
    with pytest.raises(PaymentRefused) as refused:
        prepare(Period(2026, 4), now)
    assert refused.value.code == "period_closed"

    # The database holds the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRun.objects.filter(pk=run_id).update(approved_by=checker, approved_at=now)

    assert services.payment_run_approve(run_id=run_id, user_id=approver.pk, now=now) == 1
    run = PaymentRun.objects.get(pk=run_id)
    assert (run.status, run.approved_by_id) == (RunStatus.APPROVED, approver.pk)


def test_a_run_is_prepared_for_this_month_or_the_next_only():
    now = aware(D(2026, 4, 20))
    for period in (Period(2026, 3), Period(2026, 6)):
        with pytest.raises(PaymentRefused) as refused:
            prepare(period, now)
        assert refused.value.code == "period_too_far"
    assert not PaymentRun.objects.exists()


# --- The bank files -----------------------------------------------------------------------------------


@override_settings(PAYMENT_FILE_TRANSACTIONS=2)
def test_export_splits_the_run_into_valid_pain001_files_the_same_on_every_export():
    now = aware(D(2026, 4, 20))
    with time_machine.travel(now, tick=False):
        paid = [
            pensioner(amount=f"{900 + number}.50", start_on=D(2026, 4, 1), now=now, first_name=f"Zoé{number}")
            for number in range(5)
        ]
    run_id = prepare(Period(2026, 4), now).run_id

    files = checked_approved_written(run_id, now)

    schema = etree.XMLSchema(etree.parse(str(PAIN001_XSD)))
    assert [payment_file.transactions for payment_file in files] == [2, 2, 1]
    assert sum(payment_file.total for payment_file in files) == Decimal("4512.50")
    run = PaymentRun.objects.get(pk=run_id)
    assert run.status == RunStatus.EXPORTED
    end_to_end_ids = []
    for payment_file in files:
        document = etree.fromstring(bytes(payment_file.content))
        schema.assertValid(document)
        namespace = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
        assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=namespace) == payment_file.message_id
        assert document.findtext(".//p:ReqdExctnDt", namespaces=namespace) == "2026-04-28"
        end_to_end_ids += document.xpath("//p:EndToEndId/text()", namespaces=namespace)
        # Written again, the same bytes.
        assert bank.pain001(payment_file, run) == bytes(payment_file.content)
    assert end_to_end_ids == [f"GUI202604E{item['entitlement'].pk}" for item in paid]
    first = etree.fromstring(bytes(files[0].content))
    assert first.xpath("//p:CdtTrfTxInf[1]/p:Cdtr/p:Nm/text()", namespaces=namespace) == ["Zoe0 Dubois"]
    assert first.xpath("//p:CdtTrfTxInf[1]/p:Amt/p:InstdAmt/text()", namespaces=namespace) == ["900.50"]
    # A second write of a file does nothing.
    assert services.payment_file_write(file_id=files[0].pk, now=now) is False


# --- The bank's answer ------------------------------------------------------------------------------


def test_a_rejected_payment_asks_to_check_the_account_and_is_paid_again_once_after_it_changed():
    now = aware(D(2026, 4, 20))
    with time_machine.travel(now, tick=False):
        kept = pensioner(start_on=D(2026, 4, 1), now=now, first_name="Ana")
        closed = pensioner(start_on=D(2026, 4, 1), now=now, first_name="Bob")
    run_id = prepare(Period(2026, 4), now).run_id
    (payment_file,) = checked_approved_written(run_id, now)
    ok, bad = payment_of(kept["entitlement"], Period(2026, 4)), payment_of(closed["entitlement"], Period(2026, 4))
    finance = finance_officer("Importer")
    answer = pain002("BANK-1", payment_file.message_id, "PART", [(bad.end_to_end_id, "RJCT", "AC04")])

    imported = services.bank_answer_import(content=answer, user_id=finance.pk, now=aware(D(2026, 4, 29)))

    assert (imported.paid, imported.rejected, imported.unknown) == (1, 1, 0)
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert ok.status == PaymentStatus.PAID
    assert (bad.status, bad.rejection_code) == (PaymentStatus.REJECTED, "AC04")
    assert Notification.objects.filter(recipient=closed["user"], event_type="payment_rejected").count() == 1
    assert not Notification.objects.filter(recipient=kept["user"], event_type="payment_rejected").exists()
    with pytest.raises(PaymentRefused) as refused:
        services.bank_answer_import(content=answer, user_id=finance.pk, now=now)
    assert refused.value.code == "answer_known"
    assert BankAnswer.objects.count() == 1

    # May: the account is the one rejected, so nothing is paid to it.
    may = prepare(Period(2026, 5), aware(D(2026, 5, 20)))
    assert RunSkip.objects.get(run_id=may.run_id).reason == "account_rejected"
    assert not Payment.objects.filter(run_id=may.run_id, entitlement=closed["entitlement"]).exists()
    # The account changes before the run is checked: the next preparation pays April and May.
    BankAccount.objects.filter(person=closed["person"]).update(ended_at=aware(D(2026, 5, 21)))
    BankAccount.objects.create(
        person=closed["person"],
        iban=OTHER_IBAN,
        holder_name="Bob Dubois",
        created_at=aware(D(2026, 5, 21)),
        created_by=closed["user"],
    )
    again = prepare(Period(2026, 5), aware(D(2026, 5, 21)))
    reissued = payment_of(closed["entitlement"], Period(2026, 5))
    assert again.payments_created == 1
    assert (reissued.months.lower, reissued.months.upper) == (D(2026, 4, 1), D(2026, 6, 1))
    assert (reissued.gross, reissued.arrears, reissued.iban) == (Decimal("2000.00"), Decimal("1000.00"), OTHER_IBAN)
    assert prepare(Period(2026, 5), aware(D(2026, 5, 22))).payments_created == 0


def test_a_month_the_bank_rejected_late_after_a_later_month_was_paid_is_paid_first_then_the_rest_once():
    with time_machine.travel(aware(D(2026, 1, 10)), tick=False):
        late = pensioner(start_on=D(2026, 1, 1), now=aware(D(2026, 1, 10)), first_name="Lea")
    entitlement = late["entitlement"]
    january = prepare(Period(2026, 1), aware(D(2026, 1, 20))).run_id
    (january_file,) = checked_approved_written(january, aware(D(2026, 1, 20)))
    february = prepare(Period(2026, 2), aware(D(2026, 2, 20))).run_id
    checked_approved_written(february, aware(D(2026, 2, 20)))
    # The bank returns January after February's file left: February is paid, January is not.
    rejected = payment_of(entitlement, Period(2026, 1))
    services.bank_answer_import(
        content=pain002("BANK-LATE", january_file.message_id, "RJCT", [(rejected.end_to_end_id, "RJCT", "AC04")]),
        user_id=finance_officer("Importer").pk,
        now=aware(D(2026, 2, 25)),
    )
    BankAccount.objects.filter(person=late["person"]).update(ended_at=aware(D(2026, 3, 1)))
    BankAccount.objects.create(
        person=late["person"],
        iban=OTHER_IBAN,
        holder_name="Lea Dubois",
        created_at=aware(D(2026, 3, 1)),
        created_by=late["user"],
    )

    march = prepare(Period(2026, 3), aware(D(2026, 3, 20)))
    again = prepare(Period(2026, 3), aware(D(2026, 3, 20)))
    hole = payment_of(entitlement, Period(2026, 3))
    april = prepare(Period(2026, 4), aware(D(2026, 4, 20)))
    rest = payment_of(entitlement, Period(2026, 4))
    may = prepare(Period(2026, 5), aware(D(2026, 5, 20)))

    assert (march.payments_created, again.payments_created, april.payments_created) == (1, 0, 1)
    assert (hole.months.lower, hole.months.upper, hole.gross, hole.arrears, hole.iban) == (
        D(2026, 1, 1),
        D(2026, 2, 1),
        Decimal("1000.00"),
        Decimal("1000.00"),
        OTHER_IBAN,
    )
    assert (rest.months.lower, rest.months.upper, rest.gross, rest.arrears) == (
        D(2026, 3, 1),
        D(2026, 5, 1),
        Decimal("2000.00"),
        Decimal("1000.00"),
    )
    assert (payment_of(entitlement, Period(2026, 5)).months.lower, may.payments_created) == (D(2026, 5, 1), 1)
    paying = Payment.objects.filter(entitlement=entitlement, status__in=["pending", "paid"])
    months = sorted((p.months.lower, p.months.upper) for p in paying)
    assert months == [
        (D(2026, 1, 1), D(2026, 2, 1)),
        (D(2026, 2, 1), D(2026, 3, 1)),
        (D(2026, 3, 1), D(2026, 5, 1)),
        (D(2026, 5, 1), D(2026, 6, 1)),
    ]  # every month once


def test_a_report_that_is_not_a_pain002_is_refused_and_changes_nothing():
    finance = finance_officer()
    for content in (b"not xml", b"<Document><Other/></Document>", b'<!DOCTYPE x [<!ENTITY a "b">]><Document/>'):
        with pytest.raises(PaymentRefused) as refused:
            services.bank_answer_import(content=content, user_id=finance.pk, now=aware(D(2026, 4, 29)))
        assert refused.value.code == "answer_unreadable"
    assert not BankAnswer.objects.exists()


# --- Death ------------------------------------------------------------------------------------------


def _died(person, on: datetime.date) -> None:
    person.death_date = on
    person.save(update_fields=["death_date"])


def test_a_death_ends_the_benefit_with_its_month_and_asks_the_estate_back_what_was_paid_after():
    now = aware(D(2026, 3, 20))
    with time_machine.travel(now, tick=False):
        paid = pensioner(amount="1000.00", start_on=D(2026, 3, 1), now=now)
    march = prepare(Period(2026, 3), now)
    checked_approved_written(march.run_id, now)
    april = prepare(Period(2026, 4), aware(D(2026, 4, 20)))
    (_april_file,) = checked_approved_written(april.run_id, aware(D(2026, 4, 20)))
    # Reported on 30 April: died on 14 March. April was paid and was not due.
    _died(paid["person"], D(2026, 3, 14))

    applied = services.deaths_apply(now=aware(D(2026, 4, 30)))

    entitlement = paid["entitlement"]
    entitlement.refresh_from_db()
    assert entitlement.end_on == D(2026, 3, 31)
    assert (applied.entitlements_ended, applied.payments_stopped, applied.recoveries) == (1, 0, 1)
    recovery = Recovery.objects.get(entitlement=entitlement)
    assert (recovery.kind, recovery.amount, recovery.outstanding) == (
        "after_death",
        Decimal("1000.00"),
        Decimal("1000.00"),
    )
    assert recovery.payment_id == payment_of(entitlement, Period(2026, 4)).pk
    assert recovery.reference == f"REC-2026-{recovery.pk:06d}"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(recovery.letter))).pages)
    assert "Jean Dubois" in text and recovery.reference in text
    assert "1 000,00 €" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "avril 2026" in text
    # Applied again: nothing more; May pays nothing.
    again = services.deaths_apply(now=aware(D(2026, 5, 1)))
    assert (again.entitlements_ended, again.payments_stopped, again.recoveries) == (0, 0, 0)
    assert prepare(Period(2026, 5), aware(D(2026, 5, 20))).payments_created == 0
    assert Recovery.objects.count() == 1


def test_a_death_stops_a_payment_not_yet_in_a_written_file_and_the_file_leaves_it_out():
    now = aware(D(2026, 4, 20))
    with time_machine.travel(now, tick=False):
        alive = pensioner(start_on=D(2026, 4, 1), now=now, first_name="Ana")
        dying = pensioner(start_on=D(2026, 3, 1), now=now, first_name="Bob")
    run_id = prepare(Period(2026, 4), now).run_id
    first, second = finance_officer("Checker"), finance_officer("Approver")
    services.payment_run_submit(run_id=run_id, user_id=first.pk, now=now)
    services.payment_run_approve(run_id=run_id, user_id=second.pk, now=now)
    # Died on 20 March, reported before the file was written: March is due, April is not.
    _died(dying["person"], D(2026, 3, 20))
    assert services.deaths_apply(now=now).payments_stopped == 1
    (payment_file,) = [
        PaymentFile.objects.get(pk=file_id)
        for file_id in PaymentFile.objects.filter(run_id=run_id).values_list("pk", flat=True)
        if services.payment_file_write(file_id=file_id, now=now)
    ]

    stopped = payment_of(dying["entitlement"], Period(2026, 4))
    assert (stopped.status, stopped.rejection_code) == (PaymentStatus.STOPPED, "DEATH")
    assert (payment_file.transactions, payment_file.total) == (1, Decimal("1000.00"))
    assert payment_of(alive["entitlement"], Period(2026, 4)).end_to_end_id.encode() in bytes(payment_file.content)
    assert stopped.end_to_end_id.encode() not in bytes(payment_file.content)
    assert not Recovery.objects.exists()
    # May's run pays March only, to the account on file (the estate's).
    may = prepare(Period(2026, 5), aware(D(2026, 5, 20)))
    paid_later = payment_of(dying["entitlement"], Period(2026, 5))
    assert may.payments_created == 2  # Ana's May, and Bob's March
    assert (paid_later.months.lower, paid_later.months.upper, paid_later.gross) == (
        D(2026, 3, 1),
        D(2026, 4, 1),
        Decimal("1000.00"),
    )
