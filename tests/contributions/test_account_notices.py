"""Employers told of what happens on their account: a monthly declaration accepted or rejected
(web form, API, bulk file), a payment received (online, bank transfer), a late-filing penalty or
late-payment interest posted. For each: the enterprise's administrators and declarants are told
(not its viewers, not the person who already knows, nobody outside the enterprise), each in their
language and by their channels; running twice tells once; many enterprises cost the queries of
one."""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contributions import bank, bulk, ledger, payments, services
from contributions.declarations import declaration_submit
from contributions.models import BankTransaction, BulkChunk, ChunkStatus, Declaration, LedgerEntry, Payment
from contributions.reminders import declarations_remind_missing
from contributions.types import LineInput
from core.actor import LevelOfAssurance
from core.periods import Period
from devtools.rates import demo_rates_seed
from identity import services as identity_services
from mandates import services as mandate_services
from notifications.models import Delivery, Notification
from notifications.services import preferences_set, render_part
from tests.contributions.bulk_helpers import csv_bytes, receive, rows_for
from tests.contributions.test_bank import camt, ntry, tx
from tests.helpers import citizen_actor, deliver_outbox, sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

# The files and the API read the clock (a period is declared once it has ended): every test runs
# on this day, with the clock frozen; October 2026 was due on 15 November.
NOW = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)
PERIOD = "2026-10"
# One employee line of 3,000.00 costs 972.90 in 2026 with the demo rates, one of 2,000.00 648.60
# (hand-worked in test_ledger.py).
LINE_3000 = Decimal("972.90")
LINE_2000 = Decimal("648.60")

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture(autouse=True)
def _rules(settings: Any) -> None:
    settings.DECLARATION_DUE_DAY = 15
    settings.LATE_FILING_PENALTY = "100.00"
    settings.PENALTY_PAYMENT_DAYS = 30
    settings.LATE_INTEREST_MINIMUM = "1.00"
    demo_rates_seed()


def _employer(name: str, *, employees: int = 2) -> dict[str, Any]:
    """An enterprise with an administrator who reads English, two declarants who read French, a
    viewer, and employees hired since August."""
    enterprise = EnterpriseFactory(name=name)
    people = {
        "administrator": UserFactory(preferred_language="en"),
        "declarant": UserFactory(preferred_language="fr"),
        "colleague": UserFactory(preferred_language="fr"),
        "viewer": UserFactory(preferred_language="fr"),
    }
    for role, user in people.items():
        representation(user, enterprise, {"colleague": "declarant"}.get(role, role))
    actor = citizen_actor(people["declarant"], enterprise_ids=frozenset({enterprise.pk}))
    staff = [PersonFactory() for _ in range(employees)]
    for person in staff:
        services.employment_hire(
            actor=actor,
            enterprise_id=enterprise.pk,
            national_number=person.national_number,
            worker_category="employee",
            start_date=datetime.date(2026, 8, 1),
            now=datetime.datetime(2026, 7, 20, tzinfo=datetime.UTC),
        )
    return {"enterprise": enterprise, "actor": actor, "staff": staff, **people}


def _lines(employer: dict[str, Any], wages: list[str], *, numbers: list[str] | None = None) -> list[LineInput]:
    numbers = numbers or [person.national_number for person in employer["staff"]]
    return [
        LineInput(national_number=number, worker_category="employee", gross_wage=wage, days_worked="20")
        for number, wage in zip(numbers, wages, strict=False)
    ]


def _form(employer: dict[str, Any], wages: list[str], *, period: str = PERIOD, replace: bool = False, **kwargs: Any):
    return declaration_submit(
        actor=kwargs.get("actor", employer["actor"]),
        enterprise_id=employer["enterprise"].pk,
        period=period,
        lines=_lines(employer, wages, numbers=kwargs.get("numbers")),
        replace=replace,
        channel="form",
        now=kwargs.get("now", NOW),
    )


def _forget() -> None:
    """What the test's setting up told: out of the way."""
    Delivery.objects.all().delete()
    Notification.objects.all().delete()


def _told(event: str) -> list[tuple[int, dict[str, Any], str]]:
    return sorted(
        Notification.objects.filter(event_type=event).values_list("recipient_id", "context", "link"),
        key=lambda row: row[0],
    )


def _recipients(event: str) -> list[int]:
    return sorted(Notification.objects.filter(event_type=event).values_list("recipient_id", flat=True))


def _ids(*users: Any) -> list[int]:
    return sorted(user.pk for user in users)


def _account(enterprise: Any) -> str:
    return reverse("contributions:account", args=[enterprise.pk])


# --- A declaration accepted: the web form ------------------------------------------------------


def test_a_declaration_filed_by_form_is_told_to_the_other_representatives_not_to_its_sender():
    bakery, _garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")

    result = _form(bakery, ["3000.00", "2000.00"])

    assert result.accepted
    declaration = Declaration.objects.get(pk=result.declaration_id)
    debit = LedgerEntry.objects.get(declaration=declaration)
    enterprise_id = bakery["enterprise"].pk
    # The administrator and the other declarant; not the declarant who sent it (the receipt is on
    # their screen), not the viewer, nobody of the garage.
    assert _recipients("declaration_accepted") == _ids(bakery["administrator"], bakery["colleague"])
    context = {
        "enterprise_name": "Boulangerie Dupont",
        "period": "2026-10",
        "version": 1,
        "reference": declaration.reference,
        "channel": "form",
        "total": str(LINE_3000 + LINE_2000),
        "change": "",
        "difference": "",
        "payment_reference": debit.payment_reference,
        "due_date": "2026-11-15",
        "account_link": _account(bakery["enterprise"]),
    }
    link = reverse("contributions:declaration", args=[enterprise_id, declaration.pk])
    assert _told("declaration_accepted") == sorted(
        [(bakery["administrator"].pk, context, link), (bakery["colleague"].pk, context, link)]
    )
    assert not Notification.objects.exclude(recipient__in=[bakery["administrator"], bakery["colleague"]]).exists()

    english = render_part(event="declaration_accepted", part="body.html", context=context, language="en", link=link)
    assert "The monthly declaration of Boulangerie Dupont for October 2026 is accepted and in force" in english
    assert "The contributions of the month come to 1,621.50 €, due on 15 November 2026." in english
    assert f"Pay with the payment reference {debit.payment_reference}." in english
    assert "It was sent with the web form by another representative of the enterprise." in english
    french = render_part(event="declaration_accepted", part="subject.txt", context=context, language="fr", link=link)
    assert french == "Déclaration de Boulangerie Dupont pour octobre 2026 acceptée"


def test_each_representative_is_emailed_in_their_language_without_personal_data(smtp_sink):
    bakery = _employer("Boulangerie Dupont")

    _form(bakery, ["3000.00", "2000.00"])
    assert deliver_outbox() == 2

    mails = {message["To"]: message for message in smtp_sink.messages}
    assert sorted(mails) == sorted([bakery["administrator"].email, bakery["colleague"].email])
    assert (
        str(mails[bakery["administrator"].email]["Subject"]).strip() == "A monthly declaration was accepted in Guichet"
    )
    assert (
        str(mails[bakery["colleague"].email]["Subject"]).strip()
        == "Une déclaration mensuelle a été acceptée dans Guichet"
    )
    for message in mails.values():
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Boulangerie" not in text and "1621" not in text and "1 621" not in text and "/inbox/" in text


def test_someone_who_turned_off_email_for_their_enterprises_gets_the_inbox_message_only(smtp_sink):
    bakery = _employer("Boulangerie Dupont")
    preferences_set(user_id=bakery["colleague"].pk, choices={"enterprise": (False, False)})

    _form(bakery, ["3000.00"])

    assert _recipients("declaration_accepted") == _ids(bakery["administrator"], bakery["colleague"])
    assert list(Delivery.objects.values_list("notification__recipient_id", "channel")) == [
        (bakery["administrator"].pk, "email")
    ]
    deliver_outbox()
    assert [message["To"] for message in smtp_sink.messages] == [bakery["administrator"].email]


def test_a_replacement_tells_what_it_changed_on_the_account():
    bakery = _employer("Boulangerie Dupont")
    _form(bakery, ["3000.00", "3000.00"])
    _forget()

    result = _form(
        bakery,
        ["3000.00", "2000.00"],
        replace=True,
        actor=citizen_actor(bakery["administrator"], enterprise_ids=frozenset({bakery["enterprise"].pk})),
    )

    assert result.accepted
    (_recipient, context, _link), *_others = _told("declaration_accepted")
    assert _recipients("declaration_accepted") == _ids(bakery["declarant"], bakery["colleague"])
    assert (context["version"], context["total"], context["change"], context["difference"]) == (
        2,
        str(LINE_3000 + LINE_2000),
        "less",
        "324.30",
    )
    body = render_part(event="declaration_accepted", part="body.html", context=context, language="en", link="/")
    assert "A replacing declaration of Boulangerie Dupont for October 2026 is accepted: its version 2" in body
    assert "The replacement credits 324.30 € to the account." in body
    assert "Pay with" not in body


def test_a_declaration_refused_on_the_form_is_shown_to_its_sender_and_told_to_no_one():
    bakery = _employer("Boulangerie Dupont")

    result = _form(bakery, ["3000.00", "-5"])

    assert not result.accepted
    assert not Notification.objects.exists()


def test_a_bureau_filing_by_form_tells_every_representative_of_the_employer_and_names_itself():
    bakery = _employer("Boulangerie Dupont")
    bureau = EnterpriseFactory(name="Fiduciaire Lambert")
    accountant = UserFactory()
    representation(accountant, bureau, "declarant")
    _mandate(bakery, bureau)

    result = _form(bakery, ["3000.00"], actor=citizen_actor(accountant, enterprise_ids=frozenset({bureau.pk})))

    assert result.accepted
    assert _recipients("declaration_accepted") == _ids(
        bakery["administrator"], bakery["declarant"], bakery["colleague"]
    )
    (_recipient, context, _link), *_rest = _told("declaration_accepted")
    assert context["bureau_name"] == "Fiduciaire Lambert"
    body = render_part(event="declaration_accepted", part="body.html", context=context, language="en", link="/")
    assert "Fiduciaire Lambert, mandated by the enterprise to declare, sent it with the web form." in body


def _mandate(employer: dict[str, Any], bureau: Any, scopes: tuple[str, ...] = ("declare",)) -> None:
    admin = citizen_actor(
        employer["administrator"],
        level=LevelOfAssurance.SUBSTANTIAL,
        enterprise_ids=frozenset({employer["enterprise"].pk}),
    )
    mandate_services.enterprise_mandate_grant(
        actor=admin,
        enterprise_id=employer["enterprise"].pk,
        bureau_enterprise_number=bureau.enterprise_number,
        scopes=list(scopes),
        starts_on=timezone.localdate(),
        now=NOW,
    )


def test_the_inbox_message_reads_in_the_readers_language_and_is_theirs_alone(client):
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    _form(bakery, ["3000.00"])
    message = Notification.objects.get(recipient=bakery["administrator"])

    sign_in(client, with_totp(bakery["administrator"]), mfa=True)
    page = client.get(f"/inbox/{message.pk}/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Declaration of Boulangerie Dupont for October 2026 accepted" in page.content.decode()
    french = client.get(f"/inbox/{message.pk}/", headers={"Accept-Language": "fr"})
    assert "Déclaration de Boulangerie Dupont pour octobre 2026 acceptée" in french.content.decode()

    for outsider in (garage["administrator"], bakery["colleague"]):
        assert sign_in(Client(), with_totp(outsider), mfa=True).get(f"/inbox/{message.pk}/").status_code == 404


# --- The API -----------------------------------------------------------------------------------


def _api_key(employer: dict[str, Any]) -> str:
    admin = citizen_actor(
        employer["administrator"],
        level=LevelOfAssurance.SUBSTANTIAL,
        enterprise_ids=frozenset({employer["enterprise"].pk}),
    )
    _id, key = identity_services.api_key_create(
        actor=admin, enterprise_id=employer["enterprise"].pk, name="Payroll", scopes=["declare", "read"], now=NOW
    )
    return key


def _api_declare(employer: dict[str, Any], key: str, lines: list[dict[str, str]], idempotency_key: str = "k-1"):
    return Client().post(
        f"/api/v1/employers/{employer['enterprise'].enterprise_number}/declarations/",
        json.dumps({"period": PERIOD, "replace": False, "lines": lines}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key, "Accept-Language": "en"},
    )


def _api_lines(employer: dict[str, Any], wages: list[str], numbers: list[str] | None = None) -> list[dict[str, str]]:
    return [line._asdict() for line in _lines(employer, wages, numbers=numbers)]


def test_a_declaration_filed_by_software_is_told_to_every_representative_once():
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    key = _api_key(bakery)

    for _repeat in range(2):  # the same Idempotency-Key: answered again, told once
        assert _api_declare(bakery, key, _api_lines(bakery, ["3000.00"])).status_code == 201

    # The software is no one: its key's creator is told like the others.
    assert _recipients("declaration_accepted") == _ids(
        bakery["administrator"], bakery["declarant"], bakery["colleague"]
    )
    (_recipient, context, _link), *_rest = _told("declaration_accepted")
    assert (context["channel"], context["total"]) == ("api", str(LINE_3000))
    assert not Notification.objects.filter(recipient__in=[garage["administrator"], garage["declarant"]]).exists()


def test_a_declaration_the_api_refuses_is_told_with_its_reasons_once():
    bakery = _employer("Boulangerie Dupont")
    key = _api_key(bakery)
    # Two numbers no one in the register has, a wage that is not one, an employee twice.
    unknown = [PersonFactory.build().national_number for _ in range(2)]
    known = bakery["staff"][0].national_number
    lines = [
        {"national_number": number, "worker_category": "employee", "gross_wage": wage, "days_worked": "20"}
        for number, wage in zip([*unknown, known, known], ["3000.00", "2000.00", "abc", "2000.00"], strict=True)
    ]

    for _repeat in range(2):
        assert _api_declare(bakery, key, lines).status_code == 422

    assert not Declaration.objects.exists()
    assert _recipients("declaration_rejected") == _ids(
        bakery["administrator"], bakery["declarant"], bakery["colleague"]
    )
    (_recipient, context, link), *_rest = _told("declaration_rejected")
    assert context == {
        "enterprise_name": "Boulangerie Dupont",
        "period": "2026-10",
        "channel": "api",
        "replacement": False,
        "file_name": "",
        "error_count": 4,
        "reasons": [
            {"code": "person_unknown", "line": 1, "others": 1},
            {"code": "wage_invalid", "line": 3, "others": 0},
            {"code": "line_duplicate", "line": 4, "others": 0},
        ],
        "more_reasons": False,
        "due_date": "2026-11-15",
        "overdue": True,
    }
    assert link == reverse("contributions:declarations", args=[bakery["enterprise"].pk]) + "?period=2026-10"
    body = render_part(event="declaration_rejected", part="body.html", context=context, language="en", link=link)
    assert "sent by payroll software (API) was rejected: nothing was filed." in body
    assert "Line 1 and 1 other line: No one in the national register has this number." in body
    assert "Line 3: The gross wage must be an amount with at most two decimals." in body
    assert "It was due on 15 November 2026: file it as soon as possible." in body
    french = render_part(event="declaration_rejected", part="body.html", context=context, language="fr", link=link)
    assert "Ligne 3\u00a0: Le salaire brut" in french


def test_a_replacement_the_api_refuses_says_the_version_in_force_stays():
    bakery = _employer("Boulangerie Dupont")
    key = _api_key(bakery)
    assert _api_declare(bakery, key, _api_lines(bakery, ["3000.00"])).status_code == 201
    lines = _api_lines(bakery, ["-1"])

    answer = Client().post(
        f"/api/v1/employers/{bakery['enterprise'].enterprise_number}/declarations/",
        json.dumps({"period": PERIOD, "replace": True, "lines": lines}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "k-2"},
    )

    assert answer.status_code == 422
    (_user, context, link), *_rest = _told("declaration_rejected")
    assert (context["replacement"], context["due_date"], context["overdue"]) == (True, "", False)
    assert (
        render_part(event="declaration_rejected", part="subject.txt", context=context, language="en", link=link)
        == "Replacing declaration of Boulangerie Dupont for October 2026 rejected"
    )
    body = render_part(event="declaration_rejected", part="body.html", context=context, language="en", link=link)
    assert "was rejected: the version in force stays in force." in body
    assert "due" not in body


def test_a_key_that_may_not_declare_for_an_enterprise_tells_its_representatives_nothing():
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")

    answer = _api_declare(bakery, _api_key(garage), _api_lines(bakery, ["3000.00"]))

    assert answer.status_code == 404
    assert not Notification.objects.filter(event_type__startswith="declaration_").exists()


# --- Bulk files --------------------------------------------------------------------------------


def _process(upload: Any) -> Any:
    """The workers' steps in this process; the finalization twice, as a lost acknowledgement would."""
    now = timezone.now()
    bulk.upload_plan(upload_id=upload.pk, now=now)
    for chunk_id in BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING).values_list("pk", flat=True):
        bulk.chunk_process(chunk_id=chunk_id, now=now)
    assert bulk.upload_finalize(upload_id=upload.pk, now=now) is True
    assert bulk.upload_finalize(upload_id=upload.pk, now=now) is False
    upload.refresh_from_db()
    return upload


@pytest.fixture
def bureau(bulk_storage: Any) -> dict[str, Any]:
    enterprise = EnterpriseFactory(name="Fiduciaire Lambert")
    user = UserFactory(preferred_language="fr")
    representation(user, enterprise, "declarant")
    return {
        "enterprise": enterprise,
        "user": user,
        "actor": citizen_actor(user, enterprise_ids=frozenset({enterprise.pk})),
    }


def _file_rows(employer: dict[str, Any], wages: list[str] | None = None) -> list[list[str]]:
    rows = rows_for(employer["enterprise"], employer["staff"])
    for row, wage in zip(rows, wages or [], strict=False):
        row[6] = wage
    return rows


def test_a_bureaus_file_tells_each_employers_representatives_and_the_sender_only_its_summary(bureau):
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    _mandate(bakery, bureau["enterprise"])
    _mandate(garage, bureau["enterprise"])

    upload = _process(receive(bureau["actor"], csv_bytes(_file_rows(bakery) + _file_rows(garage))).upload)

    assert upload.status == "accepted"
    representatives = [
        employer[role] for employer in (bakery, garage) for role in ("administrator", "declarant", "colleague")
    ]
    assert _recipients("declaration_accepted") == _ids(*representatives)
    assert list(Notification.objects.filter(recipient=bureau["user"]).values_list("event_type", flat=True)) == [
        "bulk_upload_processed"
    ]
    contexts = {context["enterprise_name"]: context for _user, context, _link in _told("declaration_accepted")}
    assert sorted(contexts) == ["Boulangerie Dupont", "Garage Martin"]
    assert {(c["channel"], c["bureau_name"], c["total"]) for c in contexts.values()} == {
        ("file", "Fiduciaire Lambert", str(2 * LINE_3000))
    }


def test_an_employers_own_file_is_told_to_its_other_representatives_and_summarised_to_its_sender(bulk_storage):
    bakery = _employer("Boulangerie Dupont")

    upload = _process(receive(bakery["actor"], csv_bytes(_file_rows(bakery))).upload)

    assert upload.status == "accepted"
    assert _recipients("declaration_accepted") == _ids(bakery["administrator"], bakery["colleague"])
    assert _recipients("bulk_upload_processed") == _ids(bakery["declarant"])


def test_a_rejected_file_tells_the_employers_whose_lines_were_wrong_and_no_one_else(bureau):
    bakery, garage, stranger = _employer("Boulangerie Dupont"), _employer("Garage Martin"), _employer("Inconnu SA")
    _mandate(bakery, bureau["enterprise"])
    _mandate(garage, bureau["enterprise"])
    # The garage's second line has a wage that is not one; the stranger never mandated the bureau.
    rows = _file_rows(bakery) + _file_rows(garage, ["3000.00", "trois mille"]) + _file_rows(stranger)

    upload = _process(receive(bureau["actor"], csv_bytes(rows), name="paie-octobre.csv").upload)

    assert upload.status == "rejected" and not Declaration.objects.exists()
    # The garage's representatives: its declaration was rejected for its own line. Not the
    # bakery's (its lines were right: the bureau, told, sends the file again), not the stranger's
    # (the bureau may not declare for it), not the bureau's sender (who has the file's summary).
    assert _recipients("declaration_rejected") == _ids(
        garage["administrator"], garage["declarant"], garage["colleague"]
    )
    assert _recipients("bulk_upload_processed") == _ids(bureau["user"])
    assert not Notification.objects.filter(event_type="declaration_accepted").exists()
    (_user, context, link), *_rest = _told("declaration_rejected")
    assert context == {
        "enterprise_name": "Garage Martin",
        "period": "2026-10",
        "channel": "file",
        "replacement": False,
        "file_name": "paie-octobre.csv",
        "error_count": 1,
        "reasons": [{"code": "wage_invalid", "line": 5, "others": 0}],
        "more_reasons": False,
        "due_date": "2026-11-15",
        "overdue": True,
        "bureau_name": "Fiduciaire Lambert",
    }
    assert link == reverse("contributions:declarations", args=[garage["enterprise"].pk]) + "?period=2026-10"
    body = render_part(event="declaration_rejected", part="body.html", context=context, language="fr", link=link)
    assert "contenue dans le fichier paie-octobre.csv a été refusée, avec tout le fichier" in body
    assert "Elle a été envoyée par Fiduciaire Lambert" in body


def _mandated_employers(bureau: dict[str, Any], count: int) -> list[dict[str, Any]]:
    employers = [_employer(f"Employeur {index}", employees=1) for index in range(count)]
    for employer in employers:
        _mandate(employer, bureau["enterprise"])
    return employers


def _finalize_queries(bureau: dict[str, Any], employers: list[dict[str, Any]], *, wrong: bool = False) -> int:
    rows = [row for employer in employers for row in _file_rows(employer, ["x"] if wrong else None)]
    upload = receive(bureau["actor"], csv_bytes(rows)).upload
    now = timezone.now()
    bulk.upload_plan(upload_id=upload.pk, now=now)
    for chunk_id in BulkChunk.objects.filter(upload=upload).values_list("pk", flat=True):
        bulk.chunk_process(chunk_id=chunk_id, now=now)
    with CaptureQueriesContext(connection) as queries:
        assert bulk.upload_finalize(upload_id=upload.pk, now=now)
    return len(queries.captured_queries)


@pytest.mark.parametrize("wrong", [False, True], ids=["accepted", "rejected"])
def test_a_file_of_many_employers_is_told_in_the_queries_of_a_few(bureau, wrong):
    # Two employers, then seven (a file of one employer takes the ledger's path for one).
    two = _finalize_queries(bureau, _mandated_employers(bureau, 2), wrong=wrong)
    _forget()
    seven = _finalize_queries(bureau, _mandated_employers(bureau, 7), wrong=wrong)

    assert seven == two
    event = "declaration_rejected" if wrong else "declaration_accepted"
    assert Notification.objects.filter(event_type=event).count() == 7 * 3


# --- Payments ----------------------------------------------------------------------------------


class _Provider:
    """The outside world: a payment provider that answers what it is told to."""

    name = "sandbox"

    def create(self, *, amount, reference, description, return_url, callback_url, idempotency_key):
        return payments.ProviderPayment(provider_payment_id=str(uuid.uuid4()), redirect_url="https://pay.example/x")


def _pay_online(employer: dict[str, Any], amount: str, status: str = "succeeded", reference: str = "") -> Payment:
    payment = payments.payment_start(
        actor=employer["actor"],
        enterprise_id=employer["enterprise"].pk,
        amount=amount,
        payment_reference=reference,
        intent=uuid.uuid4(),
        now=NOW,
        provider=_Provider(),
    )
    reported = payments.ProviderStatus(
        provider_payment_id=payment.provider_payment_id, status=status, amount=Decimal(amount)
    )
    for _repeat in range(2):  # a callback and the payer's return, or a callback sent twice
        payments.payment_settle(provider_name="sandbox", reported=reported, now=NOW)
    payment.refresh_from_db()
    return payment


def test_an_online_payment_is_told_once_to_every_representative_who_pays_with_what_it_paid():
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    _form(bakery, ["3000.00"], period="2026-09", now=datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC))
    _form(bakery, ["2000.00"], now=datetime.datetime(2026, 11, 5, tzinfo=datetime.UTC))
    october = LedgerEntry.objects.get(period="2026-10", kind="declaration")
    _forget()

    payment = _pay_online(bakery, "1700.00", reference=october.payment_reference)

    assert payment.status == "succeeded"
    # The payer too: the provider settles when it likes, and a payment deserves its confirmation.
    assert _recipients("payment_received") == _ids(bakery["administrator"], bakery["declarant"], bakery["colleague"])
    assert not Notification.objects.filter(recipient__in=[garage["administrator"], bakery["viewer"]]).exists()
    (_user, context, link), *_rest = _told("payment_received")
    assert context == {
        "enterprise_name": "Boulangerie Dupont",
        "amount": "1700.00",
        "date": "2026-12-05",
        "method": "online",
        "payment_reference": october.payment_reference,
        # October's, which it names, then the oldest: September's.
        "paid": [
            {"kind": "declaration", "period": "2026-09", "amount": str(LINE_3000)},
            {"kind": "declaration", "period": "2026-10", "amount": str(LINE_2000)},
        ],
        "more_paid": False,
        "left": "78.50",
    }
    assert link == _account(bakery["enterprise"])
    body = render_part(event="payment_received", part="body.html", context=context, language="fr", link=link)
    assert (
        "1\u00a0700,00\u00a0€ ont été reçus le 5 décembre 2026 pour Boulangerie Dupont, par paiement en ligne." in body
    )
    assert "les cotisations pour septembre 2026\u00a0: 972,90\u00a0€" in body
    assert "78,50\u00a0€ restent en crédit sur le compte" in body


def test_a_failed_online_payment_tells_no_one():
    bakery = _employer("Boulangerie Dupont")

    assert _pay_online(bakery, "100.00", status="failed").status == "failed"

    assert not Notification.objects.exists()


@pytest.fixture
def finance() -> Any:
    user = with_totp(UserFactory(is_staff=True))
    user.groups.add(Group.objects.get(name="Finance"))
    return user


def _statement(transfers: list[tuple[str, str, str]], statement_id: str = "STMT-1") -> bytes:
    """A camt.053 statement of booked credits (bank reference, amount, structured reference)."""
    return camt(
        "08",
        [
            ntry(
                ref=ref, amount=amount, booked="2026-12-04", txs=[tx(debtor="Client", strd=reference, ref=f"E2E-{ref}")]
            )
            for ref, amount, reference in transfers
        ],
        statement_id=statement_id,
    )


def _declared(employer: dict[str, Any]) -> LedgerEntry:
    _form(employer, ["3000.00"], now=datetime.datetime(2026, 11, 5, tzinfo=datetime.UTC))
    return LedgerEntry.objects.get(enterprise=employer["enterprise"], kind="declaration")


def test_bank_transfers_matched_on_import_are_told_to_each_enterprise_once(finance):
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    bakery_debt, garage_debt = _declared(bakery), _declared(garage)
    _forget()
    transfers = [("T1", "972.90", bakery_debt.payment_reference), ("T2", "500.00", garage_debt.payment_reference)]

    bank.bank_statement_import(actor=staff_actor(finance), file_name="a.xml", content=_statement(transfers), now=NOW)
    # An overlapping statement carries the same transfers: nothing is credited, nor told, again.
    bank.bank_statement_import(
        actor=staff_actor(finance), file_name="b.xml", content=_statement(transfers, "STMT-2"), now=NOW
    )

    assert _recipients("payment_received") == _ids(
        *(employer[role] for employer in (bakery, garage) for role in ("administrator", "declarant", "colleague"))
    )
    contexts = {context["enterprise_name"]: context for _user, context, _link in _told("payment_received")}
    assert contexts["Boulangerie Dupont"]["paid"] == [
        {"kind": "declaration", "period": "2026-10", "amount": str(LINE_3000)}
    ]
    assert (
        contexts["Garage Martin"]["amount"],
        contexts["Garage Martin"]["date"],
        contexts["Garage Martin"]["left"],
    ) == (
        "500.00",
        "2026-12-04",
        "",
    )
    assert {context["method"] for context in contexts.values()} == {"transfer"}
    assert not Notification.objects.filter(recipient=finance).exists()


def test_a_transfer_staff_assign_is_told_once(finance):
    bakery = _employer("Boulangerie Dupont")
    debt = _declared(bakery)
    _forget()
    content = camt(
        "08", [ntry(ref="T9", amount="50.00", booked="2026-12-04", txs=[tx(debtor="Client", ustrd="cotisations")])]
    )
    bank.bank_statement_import(actor=staff_actor(finance), file_name="a.xml", content=content, now=NOW)
    assert not Notification.objects.exists()  # not matched: waiting for staff
    queued = BankTransaction.objects.get(entry_reference="T9")

    for _repeat in range(2):
        bank.bank_transaction_resolve(
            actor=staff_actor(finance),
            transaction_id=queued.pk,
            enterprise_id=bakery["enterprise"].pk,
            payment_reference=debt.payment_reference,
            now=NOW,
        )

    assert _recipients("payment_received") == _ids(bakery["administrator"], bakery["declarant"], bakery["colleague"])
    (_user, context, _link), *_rest = _told("payment_received")
    assert (context["amount"], context["method"], context["payment_reference"], context["paid"]) == (
        "50.00",
        "transfer",
        debt.payment_reference,
        [{"kind": "declaration", "period": "2026-10", "amount": "50.00"}],
    )


def _import_queries(finance: Any, employers: list[dict[str, Any]], statement_id: str) -> list[str]:
    debts = [_declared(employer) for employer in employers]
    transfers = [(f"{statement_id}-{index}", "10.00", debt.payment_reference) for index, debt in enumerate(debts)]
    with CaptureQueriesContext(connection) as queries:
        bank.bank_statement_import(
            actor=staff_actor(finance),
            file_name=f"{statement_id}.xml",
            content=_statement(transfers, statement_id),
            now=NOW,
        )
    return [query["sql"] for query in queries.captured_queries]


def test_telling_the_transfers_of_a_statement_costs_the_same_queries_for_1_or_5_enterprises(finance):
    def telling(queries: list[str]) -> list[str]:
        return [
            sql
            for sql in queries
            if "notifications_" in sql or "identity_representation" in sql or "identity_enterprise " in sql
        ]

    one = _import_queries(finance, [_employer("Un")], "S1")
    five = _import_queries(finance, [_employer(f"E{index}") for index in range(5)], "S5")

    assert len(telling(five)) == len(telling(one))
    assert Notification.objects.filter(event_type="payment_received").count() == 6 * 3


# --- Penalties and interest --------------------------------------------------------------------


def test_the_late_filing_penalty_is_told_once_with_what_to_pay():
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    _form(garage, ["3000.00"], now=datetime.datetime(2026, 11, 5, tzinfo=datetime.UTC))  # on time
    _forget()
    run = datetime.datetime(2026, 11, 16, 5, 0, tzinfo=datetime.UTC)

    assert declarations_remind_missing(now=run) == 1
    assert declarations_remind_missing(now=run + datetime.timedelta(hours=1)) == 0

    penalty = LedgerEntry.objects.get(kind="penalty")
    assert _recipients("penalty_posted") == _ids(bakery["administrator"], bakery["declarant"], bakery["colleague"])
    (_user, context, link), *_rest = _told("penalty_posted")
    assert context == {
        "enterprise_name": "Boulangerie Dupont",
        "amount": "100.00",
        "reason": "late_filing",
        "period": "2026-10",
        "due_date": "2026-12-16",
        "payment_reference": penalty.payment_reference,
    }
    assert link == _account(bakery["enterprise"])
    body = render_part(event="penalty_posted", part="body.html", context=context, language="en", link=link)
    assert (
        "A late-filing penalty of 100.00 € was charged to the account of Boulangerie Dupont: its monthly "
        "declaration for October 2026 was not received by its due date." in body
    )
    assert f"Pay it by 16 December 2026 with the payment reference {penalty.payment_reference}." in body


def test_a_penalty_posted_by_another_run_is_not_told_again():
    bakery, garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    numbers = {e["enterprise"].pk: e["enterprise"].enterprise_number for e in (bakery, garage)}
    # Another run charged the bakery between this run's reading and its insert.
    ledger.penalties_post(
        enterprises={bakery["enterprise"].pk: numbers[bakery["enterprise"].pk]},
        period=Period(2026, 10),
        amount=Decimal("100.00"),
        now=NOW,
    )
    _forget()

    assert ledger.penalties_post(enterprises=numbers, period=Period(2026, 10), amount=Decimal("100.00"), now=NOW) == 1

    assert _recipients("penalty_posted") == _ids(garage["administrator"], garage["declarant"], garage["colleague"])


def _overdue(employer: dict[str, Any]) -> LedgerEntry:
    """September declared on 5 October, due on 15 October, not paid: 16 days overdue in October."""
    _form(employer, ["3000.00"], period="2026-09", now=datetime.datetime(2026, 10, 5, 10, tzinfo=datetime.UTC))
    return LedgerEntry.objects.get(enterprise=employer["enterprise"], kind="declaration")


NOVEMBER_RUN = datetime.datetime(2026, 11, 1, 3, 0, tzinfo=datetime.UTC)
DECEMBER_RUN = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC)


def test_late_payment_interest_is_told_once_with_why_and_what_to_pay():
    bakery, _garage = _employer("Boulangerie Dupont"), _employer("Garage Martin")
    _overdue(bakery)
    _forget()

    assert ledger.interest_post(month=Period(2026, 10), now=NOVEMBER_RUN) == 1
    assert ledger.interest_post(month=Period(2026, 10), now=NOVEMBER_RUN) == 0

    interest = LedgerEntry.objects.get(kind="interest")
    assert _recipients("interest_posted") == _ids(bakery["administrator"], bakery["declarant"], bakery["colleague"])
    (_user, context, link), *_rest = _told("interest_posted")
    # 16 days × 972.90 × 7 % / 365 = 2.985… → 2.99
    assert context == {
        "enterprise_name": "Boulangerie Dupont",
        "month": "2026-10",
        "amount": "2.99",
        "due_date": "2026-12-01",
        "payment_reference": interest.payment_reference,
        "rate": "7",
        "corrections": [],
    }
    assert link == _account(bakery["enterprise"])
    body = render_part(event="interest_posted", part="body.html", context=context, language="fr", link=link)
    assert "Des intérêts de retard de 2,99\u00a0€ pour octobre 2026 ont été portés au débit du compte" in body
    assert "intérêts de 7\u00a0% par an" in body
    assert (
        f"Payez-les au plus tard le 1 décembre 2026 avec la communication structurée {interest.payment_reference}."
        in body
    )


def test_interest_lowered_by_a_payment_booked_in_its_month_is_told_as_good_news(django_capture_on_commit_callbacks):
    bakery = _employer("Boulangerie Dupont")
    debt = _overdue(bakery)
    with django_capture_on_commit_callbacks(execute=True):
        ledger.interest_post(month=Period(2026, 10), now=NOVEMBER_RUN)
        # A transfer booked on 28 October, imported on 3 November.
        ledger.credit_post(
            enterprise_id=bakery["enterprise"].pk,
            amount=Decimal("472.90"),
            payment_reference=debt.payment_reference,
            source="bank:late",
            booked_on=datetime.date(2026, 10, 28),
            now=datetime.datetime(2026, 11, 3, 10, tzinfo=datetime.UTC),
        )
        _forget()

        # November's interest (2.88) and October's corrected (2.99 → 2.71): one message each.
        assert ledger.interest_post(month=Period(2026, 11), now=DECEMBER_RUN) == 2
        assert ledger.interest_post(month=Period(2026, 11), now=DECEMBER_RUN) == 0

    assert _recipients("interest_posted") == _ids(bakery["administrator"], bakery["declarant"], bakery["colleague"])
    (_user, context, _link), *_rest = _told("interest_posted")
    assert (context["month"], context["amount"], context["corrections"]) == (
        "2026-11",
        "2.88",
        [{"period": "2026-10", "amount": "0.28", "lower": True}],
    )
    body = render_part(event="interest_posted", part="body.html", context=context, language="en", link="/")
    assert (
        "The interest for October 2026 is lowered by 0.28 €: a payment or a correction concerning that month "
        "arrived after the interest was computed." in body
    )


def test_a_correction_alone_is_told_as_a_correction():
    context = {
        "enterprise_name": "Boulangerie Dupont",
        "month": "",
        "amount": "",
        "due_date": "",
        "payment_reference": "",
        "rate": "7",
        "corrections": [{"period": "2026-10", "amount": "0.28", "lower": True}],
    }

    assert (
        render_part(event="interest_posted", part="subject.txt", context=context, language="en", link="/")
        == "Late-payment interest of Boulangerie Dupont corrected"
    )
    assert (
        render_part(event="interest_posted", part="email_subject.txt", context=context, language="fr", link="/")
        == "Des intérêts de retard ont été corrigés dans Guichet"
    )


def test_interest_of_many_enterprises_is_posted_and_told_in_the_queries_of_one():
    def run(count: int, month: Period, now: datetime.datetime) -> int:
        for index in range(count):
            _overdue(_employer(f"{month} {index}", employees=1))
        with CaptureQueriesContext(connection) as queries:
            assert ledger.interest_post(month=month, now=now) == count
        return len(queries.captured_queries)

    one = run(1, Period(2026, 10), NOVEMBER_RUN)
    LedgerEntry.objects.all().delete()  # the second run's enterprises only
    _forget()
    five = run(5, Period(2026, 10), NOVEMBER_RUN + datetime.timedelta(hours=1))

    assert five == one
    assert Notification.objects.filter(event_type="interest_posted").count() == 5 * 3
