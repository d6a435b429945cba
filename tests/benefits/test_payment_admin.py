"""Finance's back office of benefit payments: the runs (their totals per benefit and per bank,
the entitlements not paid, the files to download), the steps taken with four eyes through the
page's buttons (refusals shown, nothing changed), the bank's answers uploaded, the sums to
recover, the amounts in force on an entitlement's page, and who may see and do what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import html

from benefits import services
from benefits.models import (
    BankAnswer,
    Payment,
    PaymentFile,
    PaymentRun,
    PaymentStatus,
    RecallFile,
    RecallStatus,
    Recovery,
    RunStatus,
)
from benefits.payments.amounts import indexation_apply
from core.models import AccessRecord
from core.periods import Period
from notifications.models import Notification
from tests.benefits.claim_helpers import case_worker
from tests.benefits.payment_helpers import (
    OTHER_IBAN,
    aware,
    camt029,
    checked_approved_written,
    finance_officer,
    pain002,
    pensioner,
)
from tests.helpers import sign_in
from tests.identity.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db

D = datetime.date
# 20 April 2026, the day the scheduler prepares April's run: April's and May's may be prepared.
NOW = aware(D(2026, 4, 20))
APRIL, MAY = Period(2026, 4), Period(2026, 5)
EN = {"Accept-Language": "en"}


def _finance(name: str = "Finance"):
    return with_totp(finance_officer(name))


def _who(user) -> str:
    """A staff member as the pages name them (escaped)."""
    return f"{user.get_full_name()} &lt;{user.email}&gt;"


def _message(response) -> str:
    """What the last request said (those before it wait in the session)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def _changelist() -> str:
    return reverse("admin:benefits_paymentrun_changelist")


def _change(run_id: int) -> str:
    return reverse("admin:benefits_paymentrun_change", args=[run_id])


def _step(name: str, run_id: int) -> str:
    return reverse(f"admin:benefits_paymentrun_{name}", args=[run_id])


def _prepare_url() -> str:
    return reverse("admin:benefits_paymentrun_prepare")


def _answer_url() -> str:
    return reverse("admin:benefits_bankanswer_add")


def _run_state(run_id: int) -> tuple:
    run = PaymentRun.objects.get(pk=run_id)
    return (run.status, run.prepared_by_id, run.submitted_by_id, run.approved_by_id, run.files.count())


def _table(page: str, section: str) -> list[list[str]]:
    """The rows (body and foot) of a page's table, each cell's text without spaces around."""
    tree = html.fromstring(page)
    rows = tree.xpath(f'//div[@aria-labelledby="{section}"]//tbody/tr | //div[@aria-labelledby="{section}"]//tfoot/tr')
    return [[" ".join(cell.text_content().split()) for cell in row] for row in rows]


def _text(escaped: str) -> str:
    return escaped.replace("&lt;", "<").replace("&gt;", ">")


def _list_rows(page: str) -> list[list[str]]:
    """The rows of a changelist, each cell's text."""
    tree = html.fromstring(page)
    return [
        [" ".join(cell.text_content().split()) for cell in row.xpath("th|td")]
        for row in tree.xpath('//table[@id="result_list"]/tbody/tr')
    ]


def _inline_rows(page: str) -> list[list[str]]:
    """The rows of the read-only table on a record's page, each cell's text."""
    tree = html.fromstring(page)
    return [
        [" ".join(cell.text_content().split()) for cell in row.xpath("td[not(contains(@class, 'original'))]")]
        for row in tree.xpath('//div[contains(@class, "tabular")]//tbody/tr[contains(@class, "has_original")]')
    ]


def _world() -> dict:
    """April's payments: Ana's pension (1,000.00, 300.00 of it recovered) and Chloé's birth grant
    (1,500.00) to a French bank, Bob's pension (1,200.50) to a German one; Dan has no account."""
    ana = pensioner(amount="1000.00", start_on=D(2026, 4, 1), now=NOW, first_name="Ana")
    bob = pensioner(amount="1200.50", start_on=D(2026, 4, 1), now=NOW, first_name="Bob", iban=OTHER_IBAN)
    chloe = pensioner(
        amount="1500.00", start_on=D(2026, 4, 1), now=NOW, first_name="Chloe", periodicity="once", scheme="birth_grant"
    )
    dan = pensioner(start_on=D(2026, 4, 1), now=NOW, first_name="Dan", iban=None)
    recovery = Recovery.objects.create(
        person=ana["person"],
        entitlement=ana["entitlement"],
        reason="Paid twice in March",
        amount=Decimal("300.00"),
        outstanding=Decimal("300.00"),
        created_at=NOW,
    )
    return {"ana": ana, "bob": bob, "chloe": chloe, "dan": dan, "recovery": recovery}


def _prepared(user_id: int | None = None) -> int:
    return services.payment_run_prepare(period=APRIL, user_id=user_id, now=NOW).run_id


# --- A run's page -----------------------------------------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)
def test_the_run_page_shows_who_did_what_the_totals_per_benefit_and_bank_and_what_was_not_paid(client):
    _world()
    run_id = _prepared()  # by the scheduler
    sign_in(client, _finance(), mfa=True)

    response = client.get(_change(run_id), headers=EN)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Payment run of April 2026" in page
    assert '<div class="readonly">the scheduler</div>' in page
    assert '<div class="readonly">prepared, to be checked</div>' in page
    assert _table(page, "run-per-benefit") == [
        ["Birth grant", "1", "1,500.00", "0.00", "0.00", "1,500.00"],
        ["Old-age pension", "2", "2,200.50", "0.00", "300.00", "1,900.50"],
        ["Total", "3", "3,700.50", "0.00", "300.00", "3,400.50"],
    ]
    assert _table(page, "run-per-bank") == [
        ["DE 37040044", "1", "1,200.50", "0.00", "0.00", "1,200.50"],
        ["FR 30006", "2", "2,500.00", "0.00", "300.00", "2,200.00"],
    ]
    assert _table(page, "run-skips") == [["no bank account on file", "—", "1"], ["Total", "", "1"]]
    assert "No file yet: the files are made when the run is approved." in page
    assert "Checked: send for approval" in page and 'value="Approve"' not in page
    # Totals only: nobody's data was shown, nothing is recorded.
    assert not AccessRecord.objects.exists()


@pytest.mark.time_machine(NOW, tick=False)
def test_the_list_shows_each_run_with_its_payments_total_and_who_handled_it(client):
    _world()
    april = _prepared()
    checked_approved_written(april, NOW)
    finance = _finance()
    services.payment_run_prepare(period=MAY, user_id=finance.pk, now=NOW)
    sign_in(client, finance, mfa=True)

    response = client.get(_changelist(), headers=EN)

    assert response.status_code == 200
    changelist = response.context["cl"]
    shown = [
        [str(changelist.model_admin.month(run)), run.status, run.payments_count, run.payments_total]
        for run in changelist.result_list
    ]
    # April from its file (what was sent); May from its payments (the grant is paid once, in
    # April, and April's payment recovered all of the sum).
    assert shown == [
        ["May 2026", "prepared", 2, Decimal("2200.50")],
        ["April 2026", "exported", 3, Decimal("3400.50")],
    ]
    checked_by = PaymentRun.objects.get(pk=april).submitted_by
    rows = _list_rows(response.content.decode())
    assert rows == [
        ["May 2026", "28 May 2026", "prepared, to be checked", "2", "2,200.50", _text(_who(finance)), "—", "—"],
        [
            "April 2026",
            "28 April 2026",
            "exported to the bank",
            "3",
            "3,400.50",
            "the scheduler",
            _text(_who(checked_by)),
            _text(_who(PaymentRun.objects.get(pk=april).approved_by)),
        ],
    ]
    page = response.content.decode()
    # April is exported: only May's run may still be prepared again.
    assert "Prepare the run of May 2026" in page and "Prepare the run of April 2026" not in page


@pytest.mark.time_machine(NOW, tick=False)
def test_the_list_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    _world()
    checked_approved_written(_prepared(), NOW)
    sign_in(client, _finance(), mfa=True)
    client.get(_changelist())  # warm the caches (permissions, content types)
    with django_assert_max_num_queries(30) as few:
        client.get(_changelist())
    for month in (1, 2, 3):
        run = PaymentRun.objects.create(
            period=D(2025, month, 1), pay_on=D(2025, month, 28), prepared_at=NOW, status=RunStatus.EXPORTED
        )
        PaymentFile.objects.create(
            run=run,
            sequence=1,
            transactions=2,
            total=Decimal("10.00"),
            message_id=f"OLD-{month}",
            first_payment_id=0,
            last_payment_id=0,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_changelist())
    assert len(response.context["cl"].result_list) == 4


# --- Four eyes through the buttons ------------------------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)
def test_a_run_is_prepared_checked_and_approved_by_two_finance_officers_through_the_buttons(client):
    _world()
    first, second, third = _finance("First"), _finance("Second"), _finance("Third")

    # First prepares April's run from the list.
    sign_in(client, first, mfa=True)
    assert "Prepare the run of April 2026" in client.get(_changelist(), headers=EN).content.decode()
    prepared = client.post(_prepare_url(), {"period": "2026-04"}, headers=EN)
    run = PaymentRun.objects.get()
    assert prepared.status_code == 302 and prepared["Location"] == _change(run.pk)
    assert _message(prepared) == (
        "Run of April 2026 prepared. Payments added: 3; entitlements not paid: 1; sums to recover netted: 1."
    )
    assert _run_state(run.pk) == (RunStatus.PREPARED, first.pk, None, None, 0)
    page = client.get(_change(run.pk), headers=EN).content.decode()
    assert f'<div class="readonly">{_who(first)}</div>' in page

    # First cannot approve it: it is not checked.
    refused = client.post(_step("approve", run.pk), headers=EN)
    assert refused["Location"] == _change(run.pk)
    assert _message(refused) == "The run is prepared, to be checked now: nothing was done. Read it again."
    assert _run_state(run.pk) == (RunStatus.PREPARED, first.pk, None, None, 0)

    # Second checks it.
    client.logout()
    sign_in(client, second, mfa=True)
    submitted = client.post(_step("submit", run.pk), headers=EN)
    assert _message(submitted) == "Run checked and sent for approval: another finance officer approves it."
    assert _run_state(run.pk) == (RunStatus.SUBMITTED, first.pk, second.pk, None, 0)
    # Once checked, the month is not prepared again.
    again = client.post(_prepare_url(), {"period": "2026-04"}, headers=EN)
    assert again["Location"] == _changelist()
    assert _message(again) == "The run of 2026-04 is already checked: it cannot be prepared again."
    assert Payment.objects.filter(run=run).count() == 3
    assert "Prepare the run of April 2026" not in client.get(_changelist(), headers=EN).content.decode()

    # Neither the one who checked it nor the one who prepared it approves it.
    page = client.get(_change(run.pk), headers=EN).content.decode()
    assert 'value="Approve"' not in page
    assert "Four eyes: another finance officer approves a run you prepared or checked." in page
    for user in (second, first):
        client.logout()
        sign_in(client, user, mfa=True)
        refused = client.post(_step("approve", run.pk), headers=EN)
        assert _message(refused) == "Four eyes: another finance officer approves a run you prepared or checked."
        assert _run_state(run.pk) == (RunStatus.SUBMITTED, first.pk, second.pk, None, 0)

    # A third approves it: its file is planned, then written by the task.
    client.logout()
    sign_in(client, third, mfa=True)
    page = client.get(_change(run.pk), headers=EN).content.decode()
    assert 'value="Approve"' in page and "Checked: send for approval" not in page
    approved = client.post(_step("approve", run.pk), headers=EN)
    assert _message(approved) == "Run approved: its bank file is being written."
    assert _run_state(run.pk) == (RunStatus.APPROVED, first.pk, second.pk, third.pk, 1)
    assert "being written" in client.get(_change(run.pk), headers=EN).content.decode()
    # The same form posted again (a second click) changes nothing.
    twice = client.post(_step("approve", run.pk), headers=EN)
    assert _message(twice) == "The run is approved, being exported now: nothing was done. Read it again."
    assert _run_state(run.pk) == (RunStatus.APPROVED, first.pk, second.pk, third.pk, 1)

    (payment_file,) = PaymentFile.objects.filter(run=run)
    services.payment_file_write(file_id=payment_file.pk, now=NOW)
    payment_file.refresh_from_db()
    page = client.get(_change(run.pk), headers=EN).content.decode()
    assert _table(page, "run-files") == [
        ["1", "3", "3,400.50", payment_file.message_id, payment_file.sha256, f"Download {payment_file.message_id}.xml"]
    ]
    assert '<div class="readonly">exported to the bank</div>' in page


@pytest.mark.time_machine(NOW, tick=False)
def test_a_run_is_prepared_for_this_month_or_the_next_only_and_a_bad_month_is_refused(client):
    _world()
    sign_in(client, _finance(), mfa=True)
    page = client.get(_changelist(), headers=EN).content.decode()
    assert "Prepare the run of April 2026" in page and "Prepare the run of May 2026" in page

    for period, said in (
        ("2026-06", "A run is prepared for the current month or the next one, not 2026-06."),
        ("2026-13", "Choose a month (YYYY-MM)."),
        ("", "This field is required."),
    ):
        refused = client.post(_prepare_url(), {"period": period}, headers=EN)
        assert refused["Location"] == _changelist()
        assert _message(refused) == said
    assert not PaymentRun.objects.exists() and not Payment.objects.exists()


@pytest.mark.time_machine(NOW, tick=False)
def test_a_run_without_payments_is_not_sent_for_approval(client):
    pensioner(start_on=D(2026, 4, 1), now=NOW, iban=None)
    run_id = _prepared()
    finance = _finance()
    sign_in(client, finance, mfa=True)

    refused = client.post(_step("submit", run_id), headers=EN)

    assert _message(refused) == "This run pays nothing: there is nothing to check or approve."
    assert _run_state(run_id) == (RunStatus.PREPARED, None, None, None, 0)


# --- The files ---------------------------------------------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)
def test_a_file_downloads_as_written_and_the_payees_accounts_read_are_recorded(client):
    world = _world()
    run_id = _prepared()
    (payment_file,) = checked_approved_written(run_id, NOW)
    finance = _finance()
    sign_in(client, finance, mfa=True)

    response = client.get(reverse("admin:benefits_paymentrun_file", args=[run_id, payment_file.pk]))

    assert response.status_code == 200
    assert bytes(response.content) == bytes(payment_file.content)
    assert response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == f'attachment; filename="{payment_file.message_id}.xml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store, max-age=0, no-cache, must-revalidate"
    recorded = AccessRecord.objects.filter(actor_user=finance, purpose="bank_account_view")
    assert set(recorded.values_list("subject_person_id", flat=True)) == {
        world[name]["person"].pk for name in ("ana", "bob", "chloe")
    }
    # Another run's address, or a file not written yet, is not found.
    other = PaymentRun.objects.create(period=D(2026, 5, 1), pay_on=D(2026, 5, 28), prepared_at=NOW)
    assert client.get(reverse("admin:benefits_paymentrun_file", args=[other.pk, payment_file.pk])).status_code == 404
    PaymentFile.objects.filter(pk=payment_file.pk).update(content=None)
    assert client.get(reverse("admin:benefits_paymentrun_file", args=[run_id, payment_file.pk])).status_code == 404


@pytest.mark.time_machine(NOW, tick=False)
def test_a_finance_officer_who_may_not_approve_runs_sees_them_but_neither_acts_nor_downloads(client):
    _world()
    run_id = _prepared()
    (payment_file,) = checked_approved_written(run_id, NOW)
    may_run = services.payment_run_prepare(period=MAY, user_id=None, now=NOW).run_id
    reader = with_totp(UserFactory(is_staff=True))
    reader.user_permissions.add(*Group.objects.get(name="Finance").permissions.exclude(codename="approve_paymentrun"))
    sign_in(client, reader, mfa=True)
    before = (_run_state(run_id), _run_state(may_run))

    page = client.get(_change(run_id), headers=EN).content.decode()
    assert page.count(payment_file.message_id) == 1 and "Download" not in page
    assert "Checked: send for approval" not in client.get(_change(may_run), headers=EN).content.decode()
    assert "Prepare the run" not in client.get(_changelist(), headers=EN).content.decode()
    assert client.get(reverse("admin:benefits_paymentrun_file", args=[run_id, payment_file.pk])).status_code == 403
    assert client.post(_step("submit", may_run)).status_code == 403
    assert client.post(_step("approve", may_run)).status_code == 403
    assert client.post(_prepare_url(), {"period": "2026-05"}).status_code == 403
    recall_file = RecallFile.objects.create(
        message_id="GUI-RCL-20260420-1", recalls=0, total=0, content=b"<Document/>", sha256="", written_at=NOW
    )
    recall_page = client.get(reverse("admin:benefits_recallfile_change", args=[recall_file.pk]), headers=EN)
    assert recall_page.status_code == 200 and "Download" not in recall_page.content.decode()
    assert client.get(reverse("admin:benefits_recallfile_download", args=[recall_file.pk])).status_code == 403

    assert (_run_state(run_id), _run_state(may_run)) == before
    assert not AccessRecord.objects.filter(purpose="bank_account_view").exists()


# --- The bank's answers ------------------------------------------------------------------------------


def _two_payments_sent() -> dict:
    kept = pensioner(start_on=D(2026, 4, 1), now=NOW, first_name="Ana")
    closed = pensioner(start_on=D(2026, 4, 1), now=NOW, first_name="Bob")
    run_id = _prepared()
    (payment_file,) = checked_approved_written(run_id, NOW)
    return {
        "kept": Payment.objects.get(entitlement=kept["entitlement"]),
        "closed": Payment.objects.get(entitlement=closed["entitlement"]),
        "closed_user": closed["user"],
        "file": payment_file,
    }


def _payments() -> list[tuple]:
    return list(Payment.objects.order_by("pk").values_list("pk", "status", "answered_at", "rejection_code"))


def _upload(client, content: bytes, name: str = "pain002.xml"):
    return client.post(
        _answer_url(), {"report": SimpleUploadedFile(name, content, content_type="text/xml")}, headers=EN
    )


@pytest.mark.time_machine(NOW, tick=False)
def test_a_bank_answer_uploaded_marks_one_payment_paid_and_one_rejected_once(client):
    sent = _two_payments_sent()
    finance = _finance("Importer")
    sign_in(client, finance, mfa=True)
    page = client.get(_answer_url(), headers=EN)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert "at most 20.0\xa0MB" in page.content.decode()
    report = pain002(
        "BANK-1",
        sent["file"].message_id,
        "PART",
        [(sent["kept"].end_to_end_id, "ACSC", ""), (sent["closed"].end_to_end_id, "RJCT", "AC04")],
    )

    response = _upload(client, report)

    assert response.status_code == 302 and response["Location"] == reverse("admin:benefits_bankanswer_changelist")
    assert _message(response) == (
        "Bank answer imported. Paid: 1; rejected: 1; recalls cancelled: 0; recalls refused (asked of the estate): 0;"
        " not ours or already answered: 0."
    )
    sent["kept"].refresh_from_db()
    sent["closed"].refresh_from_db()
    assert sent["kept"].status == PaymentStatus.PAID
    assert (sent["closed"].status, sent["closed"].rejection_code) == (PaymentStatus.REJECTED, "AC04")
    answer = BankAnswer.objects.get()
    assert (answer.message_id, answer.imported_by_id, answer.paid, answer.rejected, answer.unknown) == (
        "BANK-1",
        finance.pk,
        1,
        1,
        0,
    )
    assert Notification.objects.filter(recipient=sent["closed_user"], event_type="payment_rejected").count() == 1
    listed = client.get(reverse("admin:benefits_bankanswer_changelist"), headers=EN)
    assert [row.message_id for row in listed.context["cl"].result_list] == ["BANK-1"]
    assert _who(finance) in listed.content.decode()

    # The same report again: refused on the form, nothing changed.
    payments, notifications = _payments(), Notification.objects.count()
    again = _upload(client, report)
    assert again.status_code == 200
    assert again.context["form"].errors == {"report": ["This answer (BANK-1) was already imported on 2026-04-20."]}
    assert (_payments(), Notification.objects.count(), BankAnswer.objects.count()) == (payments, notifications, 1)


def test_a_recall_file_is_listed_downloaded_as_written_and_its_answer_imported_on_the_form(client):
    with time_machine.travel(NOW, tick=False):
        sent = _two_payments_sent()
    closed = Payment.objects.get(pk=sent["closed"].pk)
    closed.person.death_date = D(2026, 3, 30)
    closed.person.save(update_fields=["death_date"])
    # Reported on the 22nd, before the payment date (the 28th): recalled from the bank.
    services.deaths_apply(now=aware(D(2026, 4, 22)))
    recall_file = RecallFile.objects.get()
    finance = _finance("Sender")
    sign_in(client, finance, mfa=True)

    listed = client.get(reverse("admin:benefits_recallfile_changelist"), headers=EN).content.decode()
    assert _list_rows(listed) == [[recall_file.message_id, "22 April 2026, 11:00", "1", "1,000.00", "1"]]
    page = client.get(reverse("admin:benefits_recallfile_change", args=[recall_file.pk]), headers=EN).content.decode()
    assert _inline_rows(page) == [[closed.end_to_end_id, "April 2026", "1,000.00", "asked of the bank", "-", "-"]]
    assert f"Download {recall_file.message_id}.xml" in page
    download = client.get(reverse("admin:benefits_recallfile_download", args=[recall_file.pk]))
    assert download.status_code == 200 and download.content == bytes(recall_file.content)
    assert download["Content-Disposition"] == f'attachment; filename="{recall_file.message_id}.xml"'

    with time_machine.travel(aware(D(2026, 4, 24)), tick=False):
        response = _upload(client, camt029("BANK-CX-1", recall_file.message_id, [(closed.end_to_end_id, "CNCL")]))

    assert _message(response) == (
        "Bank answer imported. Paid: 0; rejected: 0; recalls cancelled: 1; recalls refused (asked of the estate): 0;"
        " not ours or already answered: 0."
    )
    closed.refresh_from_db()
    assert closed.status == PaymentStatus.STOPPED
    assert closed.recall.status == RecallStatus.CANCELLED
    listed = client.get(reverse("admin:benefits_recallfile_changelist"), headers=EN).content.decode()
    assert _list_rows(listed)[0][-1] == "0"


@pytest.mark.time_machine(NOW, tick=False)
@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            b"not xml",
            "This is not a payment status report (pain.002) or a resolution of a recall (camt.029) we can read:"
            " syntax error: line 1, column 0",
        ),
        (
            b"<Document><Other/></Document>",
            "This is not a payment status report (pain.002) or a resolution of a recall (camt.029) we can read:"
            " CstmrPmtStsRpt, RsltnOfInvstgtn",
        ),
    ],
)
def test_a_file_that_is_not_a_pain002_is_refused_on_the_form_and_changes_nothing(client, content, error):
    _two_payments_sent()
    sign_in(client, _finance(), mfa=True)
    payments = _payments()

    response = _upload(client, content)

    assert response.status_code == 200
    assert response.context["form"].errors == {"report": [error]}
    assert (_payments(), BankAnswer.objects.exists()) == (payments, False)


@pytest.mark.time_machine(NOW, tick=False)
def test_a_file_over_the_limit_is_refused_before_it_is_read(client, settings):
    sent = _two_payments_sent()
    settings.BANK_STATEMENT_MAX_BYTES = 100
    sign_in(client, _finance(), mfa=True)
    payments = _payments()

    response = _upload(client, pain002("BANK-2", sent["file"].message_id, "ACSC", []))

    assert response.context["form"].errors == {"report": ["The file is too large: at most 100\xa0bytes."]}
    assert (_payments(), BankAnswer.objects.exists()) == (payments, False)


# --- Sums to recover, amounts in force ---------------------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)
def test_sums_to_recover_are_listed_for_follow_up_and_each_read_is_recorded(client):
    world = _world()
    _prepared()
    finance = _finance()
    sign_in(client, finance, mfa=True)
    recovery = world["recovery"]

    listed = client.get(reverse("admin:benefits_recovery_changelist") + "?outstanding=no", headers=EN)
    page = client.get(reverse("admin:benefits_recovery_change", args=[recovery.pk]), headers=EN)

    assert [row.pk for row in listed.context["cl"].result_list] == [recovery.pk]
    assert "Ana Dubois" in listed.content.decode() and "Old-age pension" in listed.content.decode()
    assert "Paid twice in March" in page.content.decode()
    payment = Payment.objects.get(entitlement=world["ana"]["entitlement"])
    assert _inline_rows(page.content.decode()) == [["April 2026", payment.end_to_end_id, "300.00"]]
    recorded = AccessRecord.objects.filter(actor_user=finance).order_by("purpose")
    assert list(recorded.values_list("subject_person_id", "purpose", "detail")) == [
        (world["ana"]["person"].pk, "staff_registry_search", ""),
        (world["ana"]["person"].pk, "staff_registry_view", "payments"),
    ]
    assert [
        row.pk
        for row in client.get(reverse("admin:benefits_recovery_changelist") + "?outstanding=yes")
        .context["cl"]
        .result_list
    ] == []


@pytest.mark.time_machine(NOW, tick=False)
def test_an_entitlements_page_shows_its_amounts_in_force_with_each_indexation(client):
    paid = pensioner(amount="1000.00", start_on=D(2025, 6, 1), now=aware(D(2025, 12, 1)))
    indexation_apply(year=2026, now=aware(D(2025, 12, 1)))
    worker = with_totp(case_worker()[0])
    sign_in(client, worker, mfa=True)

    response = client.get(reverse("admin:benefits_entitlement_change", args=[paid["entitlement"].pk]), headers=EN)

    assert response.status_code == 200
    rows = _inline_rows(response.content.decode())
    assert [row[:4] for row in rows] == [
        ["1 June 2025", "1000.00", "amount of the decision", "—"],
        ["1 January 2026", "1018.00", "yearly indexation", "1.8"],
    ]
    assert rows[1][4].startswith("Decree of 20 November 2025")
    assert [row[5] for row in rows] == ["1 December 2025, 10:00", "1 December 2025, 10:00"]


# --- Who may see and do what ------------------------------------------------------------------------


def _user(who: str):
    if who == "anonymous":
        return None
    if who == "citizen":
        return UserFactory()
    if who == "case worker":
        return with_totp(case_worker()[0])
    if who == "supervisor":
        supervisor = with_totp(UserFactory(is_staff=True))
        supervisor.groups.add(Group.objects.get(name="Supervisor"))
        return supervisor
    if who in ("finance", "finance without a second factor"):
        return _finance()
    return with_totp(UserFactory(is_staff=True, is_superuser=True))


WHO = ["anonymous", "citizen", "finance without a second factor", "case worker", "supervisor", "finance", "superuser"]


@pytest.mark.time_machine(NOW, tick=False)
@pytest.mark.parametrize("who", WHO)
def test_who_may_open_and_use_the_payments_back_office(client, who):
    world = _world()
    april = _prepared()
    (payment_file,) = checked_approved_written(april, NOW)
    may = services.payment_run_prepare(period=MAY, user_id=None, now=NOW).run_id
    recall_file = RecallFile.objects.create(
        message_id="GUI-RCL-20260420-1", recalls=0, total=0, content=b"<Document/>", sha256="", written_at=NOW
    )
    user = _user(who)
    if user is not None:
        sign_in(client, user, mfa=user.is_staff and who != "finance without a second factor")
    login = reverse("admin:login")
    allowed = who in ("finance", "superuser")
    refused = 403 if who in ("case worker", "supervisor") else 302
    before = (_run_state(april), _run_state(may), _payments())

    pages = [
        _changelist(),
        _change(april),
        reverse("admin:benefits_paymentrun_file", args=[april, payment_file.pk]),
        reverse("admin:benefits_bankanswer_changelist"),
        _answer_url(),
        reverse("admin:benefits_recovery_changelist"),
        reverse("admin:benefits_recovery_change", args=[world["recovery"].pk]),
        reverse("admin:benefits_recallfile_changelist"),
        reverse("admin:benefits_recallfile_change", args=[recall_file.pk]),
        reverse("admin:benefits_recallfile_download", args=[recall_file.pk]),
    ]
    for url in pages:
        response = client.get(url)
        if allowed:
            assert response.status_code == 200, url
        else:
            assert response.status_code == refused, url
            if refused == 302:
                assert response["Location"].startswith(login), url
    posts = [
        (_prepare_url(), {"period": "2026-07"}, _changelist()),
        (_step("approve", april), {}, _change(april)),
        (_step("submit", may), {}, _change(may)),
    ]
    for url, data, back in posts:
        response = client.post(url, data)
        if allowed:
            assert (response.status_code, response["Location"]) == (302, back), url
        else:
            assert response.status_code == refused, url
            if refused == 302:
                assert response["Location"].startswith(login), url
    upload = _upload(client, b"not xml")
    assert upload.status_code == (200 if allowed else refused)

    assert not BankAnswer.objects.exists()
    if allowed:
        # The run of May was checked; nothing else changed (the others were refused).
        assert (_run_state(april), _run_state(may)[:3], _payments()) == (
            before[0],
            (RunStatus.SUBMITTED, None, user.pk),
            before[2],
        )
    else:
        assert (_run_state(april), _run_state(may), _payments()) == before
        assert not AccessRecord.objects.exists()
    if who in ("case worker", "supervisor", "finance"):
        index = client.get(reverse("admin:index"), headers=EN).content.decode()
        assert ("Payment runs" in index, "Bank answers" in index, "Sums to recover" in index) == ((allowed,) * 3)
