"""The pensioner's "My payments", through HTTP: the next payment (foreseen, then from the run
prepared, with the account it goes to and a change of account after the cut-off), the payments
made and each amount explained (arrears, indexation, recoveries); who may see it (the
authorization matrix), and a proxy's reading in the principal's trail."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from benefits import services
from benefits.models import Entitlement, PaymentFile, Recovery
from core.models import AccessRecord, VerifiableDocument
from core.periods import Period
from core.types import Scope
from devtools.payments import bank_answer_accepting
from identity.models import BankAccount
from mandates.models import Mandate
from tests.benefits.payment_helpers import OTHER_IBAN, aware, finance_officer, pensioner
from tests.helpers import act_for, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)
EN = {"Accept-Language": "en"}
D = datetime.date


def _text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\N{NO-BREAK SPACE}", " ").replace("\u202f", " ").split())


def _paid_month(period: Period) -> None:
    """The month's run prepared on the 20th, checked, approved, exported and accepted by the bank."""
    prepared_at = aware(period.first_day.replace(day=20))
    run_id = services.payment_run_prepare(period=period, user_id=None, now=prepared_at).run_id
    services.payment_run_submit(run_id=run_id, user_id=finance_officer("A").pk, now=prepared_at)
    services.payment_run_approve(run_id=run_id, user_id=finance_officer("B").pk, now=prepared_at)
    for payment_file in PaymentFile.objects.filter(run_id=run_id):
        services.payment_file_write(file_id=payment_file.pk, now=prepared_at)
        payment_file.refresh_from_db()
        services.bank_answer_import(
            content=bank_answer_accepting(payment_file, answered_on=period.first_day.replace(day=28)),
            user_id=finance_officer("C").pk,
            now=aware(period.first_day.replace(day=28)),
        )


@pytest.fixture
def jean():
    # Granted on 10 November 2026 from 1 October 2025 (1,000.00; indexed +1.8 % from January):
    # November's run paid the arrears, December's is not prepared yet.
    jean = pensioner(amount="1000.00", start_on=D(2025, 10, 1), now=aware(D(2026, 11, 10)))
    Recovery.objects.create(
        person=jean["person"],
        entitlement=jean["entitlement"],
        reason="Paid twice",
        amount=Decimal("100.00"),
        outstanding=Decimal("100.00"),
        created_at=aware(D(2026, 11, 10)),
    )
    _paid_month(Period(2026, 11))
    return jean


@pytest.mark.time_machine(NOW, tick=False)
def test_the_pensioner_reads_his_next_payment_and_each_amount_explained(client, jean):
    sign_in(client, jean["user"])

    text = _text(client.get(reverse("benefits:payments"), headers=EN))

    # Foreseen: December at the indexed amount, on the 28th, to the account on file.
    assert "1,018.00 € on 28 December 2026" in text
    assert "Foreseen from your benefits in force today" in text
    assert "FR** **** **** **** **** ***0 189" in text
    # The amount over time: the decision, then the indexation with its rate and legal basis.
    assert "1,018.00 € a month, since 1 October 2025." in text
    assert "1 January 2026 1,018.00 € Yearly indexation: +1.8 % (Decree of 20 November 2025" in text
    # November's payment: October 2025 to November 2026, gross 14,198.00 (3 × 1,000 + 11 × 1,018),
    # of which 13,180.00 for earlier months, less 100.00 recovered.
    assert "Old-age pension, October 2025 to November 2026 14,098.00 €" in text
    assert "gross 14,198.00 €, of which 13,180.00 € for earlier months, less 100.00 € recovered" in text
    assert "Paid" in text


@pytest.mark.time_machine(NOW, tick=False)
def test_an_account_changed_after_the_cut_off_is_used_from_the_next_run_and_the_page_says_so(client, jean):
    services.payment_run_prepare(period=Period(2026, 12), user_id=None, now=aware(D(2026, 12, 5)))
    BankAccount.objects.filter(person=jean["person"]).update(ended_at=NOW)
    BankAccount.objects.create(
        person=jean["person"], iban=OTHER_IBAN, holder_name="Jean P", created_at=NOW, created_by=jean["user"]
    )
    sign_in(client, jean["user"])

    text = _text(client.get(reverse("benefits:payments"), headers=EN))
    french = _text(client.get(reverse("benefits:payments")))

    assert "1,018.00 € on 28 December 2026" in text
    assert "Foreseen" not in text
    assert (
        "Your bank account changed after this payment was prepared: it still goes to FR** **** **** **** **** ***0 189."
        " Your new account DE** **** **** **** **30 00 is used from the next payment." in text
    )
    assert "1 018,00 € le 28 décembre 2026" in french


@pytest.mark.time_machine(NOW, tick=False)
def test_who_may_see_the_payments(client, jean):
    url = reverse("benefits:payments")
    assert client.get(url)["Location"].startswith(reverse("account_login"))

    # Another citizen sees their own file: nothing paid.
    sign_in(client, UserFactory(person=PersonFactory()))
    assert "1 018,00" not in _text(client.get(url))

    # A proxy allowed to view the file reads it; the principal sees it in their trail.
    _proxy, mandate_id = act_for(client, jean["user"], [Scope.VIEW_FILE])
    response = client.get(url, headers=EN)
    assert response.status_code == 200
    assert "1,018.00 € on 28 December 2026" in _text(response)
    record = AccessRecord.objects.filter(subject_person_id=jean["person"].pk, detail="payments").get()
    assert record.mandate_id == mandate_id

    # A proxy for claims only, or for the bank account only: refused.
    for scopes, name in (([Scope.MANAGE_CLAIMS], "Claims"), ([Scope.MANAGE_PAYMENT_DETAILS], "Payer")):
        act_for(client, jean["user"], scopes, last_name=name)
        response = client.get(url)
        assert response.status_code == 403
        assert "1 018,00" not in _text(response)

    # An ended mandate: no longer in the principal's file.
    _proxy, ended = act_for(client, jean["user"], [Scope.VIEW_FILE], last_name="Ended")
    Mandate.objects.filter(pk=ended).update(status="revoked")
    response = client.get(url)
    assert response.status_code in (200, 302)
    assert "1 018,00" not in (_text(response) if response.status_code == 200 else "")
    assert AccessRecord.objects.filter(subject_person_id=jean["person"].pk, detail="payments").count() == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_the_page_reads_in_the_same_queries_whatever_the_number_of_payments(client, jean):
    sign_in(client, jean["user"])
    url = reverse("benefits:payments")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    # Two more benefits, each with its amounts and its foreseen payment: more rows, not more queries.
    for number in range(2):
        pensioner(amount="300.00", start_on=D(2026, 12, 1), now=aware(D(2026, 12, 1)), first_name=f"Other{number}")
    Entitlement.objects.filter(person__first_name__startswith="Other").update(person=jean["person"])
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more.captured_queries) == len(one.captured_queries)


@pytest.mark.time_machine(NOW, tick=False)
def test_the_yearly_statement_for_the_tax_return_is_a_verifiable_pdf(client, jean):
    url = reverse("benefits:payment_statement")
    sign_in(client, jean["user"])
    page = _text(client.get(reverse("benefits:payments"), headers=EN))
    assert "Yearly statement for the tax return" in page

    response = client.post(url, {"year": "2026"}, headers=EN)

    assert response["Content-Type"] == "application/pdf"
    assert 'filename="benefits-paid-2026.pdf"' in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())
    assert "Benefits paid in 2026" in text
    assert "Total paid in 2026: €14,098.00" in text or "Total paid in 2026: 14,098.00" in text
    document = VerifiableDocument.objects.get(kind="payment_statement")
    assert document.subject_id == jean["person"].pk

    # A year without payments: a message, no document.
    response = client.post(url, {"year": "2019"}, headers=EN)
    assert response.status_code == 302
    assert "No benefit was paid in 2019" in _text(client.get(response["Location"], headers=EN))
    for forged in ("", "abc", "99999"):
        assert client.post(url, {"year": forged}).status_code == 302
    assert VerifiableDocument.objects.filter(kind="payment_statement").count() == 1

    # A proxy for claims only may not have it; one allowed to view the file may, in the trail.
    act_for(client, jean["user"], [Scope.MANAGE_CLAIMS], last_name="Claims")
    assert client.post(url, {"year": "2026"}).status_code == 404
    act_for(client, jean["user"], [Scope.VIEW_FILE])
    assert client.post(url, {"year": "2026"})["Content-Type"] == "application/pdf"
    assert AccessRecord.objects.filter(subject_person_id=jean["person"].pk, detail="payment statement").count() == 1
    assert client.get(url).status_code == 405
