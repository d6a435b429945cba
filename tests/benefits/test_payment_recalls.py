"""A transfer already in a bank file, to a person reported dead before its payment date, is
recalled from the bank (a camt.055 recall file) instead of asked back from the estate; the bank's
camt.029 answer cancels it (the payment stops; the months before the death are paid by the next
run) or refuses it (the estate is asked); a pain.002 that pays it first settles it too."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from lxml import etree

from benefits import services
from benefits.models import (
    BankAnswer,
    Payment,
    PaymentFile,
    PaymentRecall,
    PaymentStatus,
    RecallFile,
    RecallStatus,
    Recovery,
)
from benefits.payments.recalls import CAMT055
from benefits.types import PaymentRefused
from core.periods import Period
from tests.benefits.payment_helpers import aware, camt029, checked_approved_written, finance_officer, pain002, pensioner

pytestmark = pytest.mark.django_db

D = datetime.date
C = {"c": CAMT055}
P = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
# The April run is prepared and its file written on the 20th; it is paid on the 28th.
WRITTEN = aware(D(2026, 4, 20))
REPORTED = aware(D(2026, 4, 22))


def _prepare(period: Period, now: datetime.datetime):
    with time_machine.travel(now, tick=False):
        return services.payment_run_prepare(period=period, user_id=None, now=now)


def _april_sent() -> dict:
    """Ana (alive) and Bob, both paid from March; Bob's first payment, in April's file, pays
    March and April (2,000.00). Bob died on 14 March, reported on the 22nd: March was due,
    April was not."""
    with time_machine.travel(WRITTEN, tick=False):
        ana = pensioner(start_on=D(2026, 3, 1), now=WRITTEN, first_name="Ana")
        bob = pensioner(start_on=D(2026, 3, 1), now=WRITTEN, first_name="Bob")
    run_id = _prepare(Period(2026, 4), WRITTEN).run_id
    (april_file,) = checked_approved_written(run_id, WRITTEN)
    bob["person"].death_date = D(2026, 3, 14)
    bob["person"].save(update_fields=["death_date"])
    payment = Payment.objects.get(entitlement=bob["entitlement"], run_id=run_id)
    return {"ana": ana, "bob": bob, "file": april_file, "payment": payment}


ANSWERED = aware(D(2026, 4, 24))


def _import(content: bytes, now: datetime.datetime = ANSWERED):
    return services.bank_answer_import(content=content, user_id=finance_officer("Importer").pk, now=now)


def test_a_transfer_in_a_sent_file_to_a_person_reported_dead_before_the_payment_date_is_recalled():
    sent = _april_sent()

    applied = services.deaths_apply(now=REPORTED)

    assert (applied.payments_stopped, applied.recalls, applied.recoveries) == (0, 1, 0)
    recall = PaymentRecall.objects.get()
    assert (recall.payment_id, recall.status) == (sent["payment"].pk, RecallStatus.REQUESTED)
    recall_file = RecallFile.objects.get()
    assert recall.file_id == recall_file.pk
    assert (recall_file.recalls, recall_file.total) == (1, Decimal("2000.00"))
    document = etree.fromstring(bytes(recall_file.content))
    request = document.find("c:CstmrPmtCxlReq", C)
    assert request.findtext("c:Assgnmt/c:Id", namespaces=C) == recall_file.message_id
    assert request.findtext("c:Assgnmt/c:Assgne/c:Agt/c:FinInstnId/c:BICFI", namespaces=C) == "GKCCBEBB"
    assert request.findtext("c:Case/c:Id", namespaces=C) == recall_file.message_id
    assert (
        request.findtext("c:CtrlData/c:NbOfTxs", namespaces=C),
        request.findtext("c:CtrlData/c:CtrlSum", namespaces=C),
    ) == ("1", "2000.00")
    (instruction,) = request.findall("c:Undrlyg/c:OrgnlPmtInfAndCxl", C)
    # It names the payment information and the message of the pain.001 file the bank has.
    sent_file = etree.fromstring(bytes(sent["file"].content))
    assert instruction.findtext("c:OrgnlPmtInfId", namespaces=C) == sent_file.findtext(
        "p:CstmrCdtTrfInitn/p:PmtInf/p:PmtInfId", namespaces=P
    )
    assert instruction.findtext("c:OrgnlGrpInf/c:OrgnlMsgId", namespaces=C) == sent["file"].message_id
    assert instruction.findtext("c:OrgnlGrpInf/c:OrgnlCreDtTm", namespaces=C) == sent_file.findtext(
        "p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", namespaces=P
    )
    (transfer,) = instruction.findall("c:TxInf", C)
    assert transfer.findtext("c:OrgnlEndToEndId", namespaces=C) == sent["payment"].end_to_end_id
    amount = transfer.find("c:OrgnlInstdAmt", C)
    assert (amount.text, amount.get("Ccy")) == ("2000.00", "EUR")
    assert transfer.findtext("c:OrgnlReqdExctnDt/c:Dt", namespaces=C) == "2026-04-28"
    assert transfer.findtext("c:CxlRsnInf/c:Rsn/c:Cd", namespaces=C) == "UPAY"
    # Applied again (the nightly job): nothing asked twice, no second file.
    again = services.deaths_apply(now=aware(D(2026, 4, 23)))
    assert (again.recalls, again.recoveries, RecallFile.objects.count()) == (0, 0, 1)


def test_the_bank_cancelling_the_recall_stops_the_payment_and_the_next_run_pays_the_month_before_the_death():
    sent = _april_sent()
    services.deaths_apply(now=REPORTED)
    recall_file = RecallFile.objects.get()

    imported = _import(camt029("BANK-CX-1", recall_file.message_id, [(sent["payment"].end_to_end_id, "CNCL")]))

    assert (imported.cancelled, imported.not_cancelled, imported.unknown) == (1, 0, 0)
    payment = Payment.objects.get(pk=sent["payment"].pk)
    assert (payment.status, payment.rejection_code) == (PaymentStatus.STOPPED, "RECALLED")
    recall = PaymentRecall.objects.get()
    assert (recall.status, recall.answer_code) == (RecallStatus.CANCELLED, "CNCL")
    answer = BankAnswer.objects.get(message_id="BANK-CX-1")
    assert (answer.cancelled, answer.not_cancelled, answer.paid) == (1, 0, 0)
    # Nothing to ask of the estate, now or at night.
    assert services.deaths_apply(now=aware(D(2026, 4, 25))).recoveries == 0
    assert not Recovery.objects.exists()
    # May pays Bob's March (due: he died on the 14th) to the account on file, and Ana's May.
    may = _prepare(Period(2026, 5), aware(D(2026, 5, 20)))
    assert may.payments_created == 2
    march = Payment.objects.get(entitlement=sent["bob"]["entitlement"], run_id=may.run_id)
    assert (march.months.lower, march.months.upper, march.gross) == (D(2026, 3, 1), D(2026, 4, 1), Decimal("1000.00"))
    # The same answer again is refused and changes nothing.
    with pytest.raises(PaymentRefused) as refused:
        _import(camt029("BANK-CX-1", recall_file.message_id, [(sent["payment"].end_to_end_id, "CNCL")]))
    assert refused.value.code == "answer_known"


def test_the_bank_refusing_the_recall_asks_the_estate_for_the_month_after_the_death():
    sent = _april_sent()
    services.deaths_apply(now=REPORTED)
    recall_file = RecallFile.objects.get()

    imported = _import(camt029("BANK-CX-2", recall_file.message_id, [(sent["payment"].end_to_end_id, "RJCR")]))

    assert (imported.cancelled, imported.not_cancelled) == (0, 1)
    assert PaymentRecall.objects.get().status == RecallStatus.REFUSED
    assert Payment.objects.get(pk=sent["payment"].pk).status == PaymentStatus.PENDING
    # April only: March was due.
    recovery = Recovery.objects.get()
    assert (recovery.payment_id, recovery.amount, recovery.kind) == (
        sent["payment"].pk,
        Decimal("1000.00"),
        "after_death",
    )
    assert recovery.letter


def test_an_answer_naming_no_transfer_resolves_every_recall_of_its_case():
    sent = _april_sent()
    services.deaths_apply(now=REPORTED)
    recall_file = RecallFile.objects.get()

    imported = _import(camt029("BANK-CX-3", recall_file.message_id, [], confirmation="CNCL"))

    assert imported.cancelled == 1
    assert Payment.objects.get(pk=sent["payment"].pk).status == PaymentStatus.STOPPED
    # An answer about another case changes nothing.
    assert _import(camt029("BANK-CX-4", "GUI-RCL-OTHER", [], confirmation="RJCR")).not_cancelled == 0


def test_a_pain002_paying_the_transfer_first_makes_the_recall_fail_and_asks_the_estate():
    sent = _april_sent()
    services.deaths_apply(now=REPORTED)

    imported = _import(pain002("BANK-ST-1", sent["file"].message_id, "ACSC", []), now=aware(D(2026, 4, 29)))

    assert imported.paid == 2
    recall = PaymentRecall.objects.get()
    assert (recall.status, recall.answer_code) == (RecallStatus.REFUSED, "ACSC")
    assert Recovery.objects.get().amount == Decimal("1000.00")
    # A late camt.029 cancelling it changes nothing: it was paid.
    late = _import(camt029("BANK-CX-5", RecallFile.objects.get().message_id, [(sent["payment"].end_to_end_id, "CNCL")]))
    assert (late.cancelled, late.unknown) == (0, 1)
    assert Payment.objects.get(pk=sent["payment"].pk).status == PaymentStatus.PAID


def test_a_death_reported_on_the_payment_date_is_not_recalled_but_asked_of_the_estate():
    sent = _april_sent()

    applied = services.deaths_apply(now=aware(D(2026, 4, 28)))

    assert (applied.recalls, applied.recoveries) == (0, 1)
    assert not RecallFile.objects.exists()
    assert Recovery.objects.get().payment_id == sent["payment"].pk


def test_a_death_reported_before_the_file_is_written_stops_the_payment_and_recalls_nothing():
    with time_machine.travel(WRITTEN, tick=False):
        bob = pensioner(start_on=D(2026, 4, 1), now=WRITTEN, first_name="Bob")
    run_id = _prepare(Period(2026, 4), WRITTEN).run_id
    bob["person"].death_date = D(2026, 3, 30)
    bob["person"].save(update_fields=["death_date"])

    applied = services.deaths_apply(now=WRITTEN)

    assert (applied.payments_stopped, applied.recalls) == (1, 0)
    assert not PaymentFile.objects.filter(run_id=run_id).exists()
    assert not RecallFile.objects.exists()


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"<Document><RsltnOfInvstgtn><Sts/></RsltnOfInvstgtn></Document>", "RsltnOfInvstgtn/Assgnmt/Id"),
        (b"<Document><Other/></Document>", "CstmrPmtStsRpt, RsltnOfInvstgtn"),
    ],
)
def test_an_answer_we_cannot_read_is_refused_and_changes_nothing(content, detail):
    _april_sent()
    services.deaths_apply(now=REPORTED)

    with pytest.raises(PaymentRefused) as refused:
        _import(content)

    assert (refused.value.code, refused.value.params["detail"]) == ("answer_unreadable", detail)
    assert PaymentRecall.objects.get().status == RecallStatus.REQUESTED
    assert not BankAnswer.objects.exists()
