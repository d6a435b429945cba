"""A credit in the enterprise's favour is refunded on request: its administrator (with the second
factor) asks, finance staff pay it — posted to the account and settled by the credit — or refuse
it with a reason; nobody else may ask or decide, and bad or stale input changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from contributions import ledger, refunds
from contributions.account import account_entries, account_summary
from contributions.models import Allocation, LedgerEntry, RefundRequest
from contributions.types import RefundError
from core.actor import LevelOfAssurance
from core.errors import NotFound
from core.periods import Period
from tests.helpers import citizen_actor, sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, UserFactory, representation, with_totp

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC))]

IBAN = "BE71 0961 2345 6769"


@pytest.fixture
def world():
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    administrator = with_totp(UserFactory(preferred_language="en"))
    representation(administrator, enterprise, "administrator")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    viewer = UserFactory()
    representation(viewer, enterprise, "viewer")
    # 227.10 paid without any debt: a credit.
    assert ledger.credit_post(
        enterprise_id=enterprise.pk,
        amount=Decimal("227.10"),
        payment_reference="",
        source="bank:ahead",
        booked_on=datetime.date(2026, 11, 2),
        now=datetime.datetime(2026, 11, 3, 9, tzinfo=datetime.UTC),
    )
    finance = with_totp(UserFactory(is_staff=True, email="finance@example.org"))
    finance.groups.add(Group.objects.get(name="Finance"))
    return {
        "enterprise": enterprise,
        "administrator": administrator,
        "declarant": declarant,
        "viewer": viewer,
        "finance": finance,
    }


def _account(client, world):
    return client.get(
        reverse("contributions:account", args=[world["enterprise"].pk]), headers={"Accept-Language": "en"}
    )


def _ask(client, world, *, iban=IBAN, holder="Boulangerie Dupont SRL", credit="227.10"):
    return client.post(
        reverse("contributions:refund", args=[world["enterprise"].pk]),
        {"iban": iban, "holder_name": holder, "credit": credit},
        headers={"Accept-Language": "en"},
        follow=True,
    )


def test_the_administrator_asks_for_the_credit_once_and_reads_where_it_stands(client, world):
    sign_in(client, world["administrator"], mfa=True)
    page = _account(client, world).content.decode()
    assert "Credit in your favour" in page
    assert "Ask for your credit to be paid back" in page
    assert 'name="credit" value="227.10"' in page

    answer = _ask(client, world)
    assert "Your refund request is sent" in answer.content.decode()
    request = RefundRequest.objects.get()
    assert (request.amount, request.iban, request.status, request.requested_by) == (
        Decimal("227.10"),
        "BE71096123456769",
        "requested",
        world["administrator"],
    )
    # A second click asks nothing more.
    again = _ask(client, world)
    assert "A refund request is already waiting" in again.content.decode()
    assert RefundRequest.objects.count() == 1
    page = _account(client, world).content.decode()
    assert "Refund requests" in page and "BE71 0961 2345 6769" in page
    assert "asked for, waiting for the institution" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"iban": "BE71 0961 2345 6760"}, "This IBAN is not valid"),
        ({"iban": ""}, "Enter the IBAN and the account holder"),
        ({"holder": "   "}, "Enter the IBAN and the account holder"),
        ({"credit": "200.00"}, "The credit has changed since the page was shown"),
        ({"credit": "1e3"}, "The credit has changed since the page was shown"),
    ],
)
def test_bad_or_stale_input_is_refused_with_a_clear_message_and_asks_nothing(client, world, fields, message):
    sign_in(client, world["administrator"], mfa=True)
    answer = _ask(client, world, **fields)
    assert message in answer.content.decode()
    assert not RefundRequest.objects.exists()


def test_without_credit_nothing_can_be_asked(world):
    enterprise = EnterpriseFactory()
    administrator = with_totp(UserFactory())
    representation(administrator, enterprise, "administrator")
    actor = citizen_actor(administrator, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk}))
    with pytest.raises(RefundError) as refused:
        refunds.refund_request(
            actor=actor,
            enterprise_id=enterprise.pk,
            iban=IBAN,
            holder_name="X",
            seen_credit="0.00",
            now=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
        )
    assert refused.value.code == "no_credit"


@pytest.mark.parametrize("who", ["anonymous", "declarant", "viewer", "stranger"])
def test_only_the_enterprises_administrator_may_ask(client, world, who):
    if who == "stranger":
        stranger = with_totp(UserFactory())
        representation(stranger, EnterpriseFactory(), "administrator")
        sign_in(client, stranger, mfa=True)
    elif who != "anonymous":
        sign_in(client, world[who])
        if who == "declarant":  # the declarant reads the account, without the form
            assert "Ask for your credit to be paid back" not in _account(client, world).content.decode()
    answer = client.post(
        reverse("contributions:refund", args=[world["enterprise"].pk]),
        {"iban": IBAN, "holder_name": "X", "credit": "227.10"},
    )
    assert answer.status_code == (302 if who == "anonymous" else 404)
    assert not RefundRequest.objects.exists()


def test_without_the_second_factor_the_administrator_is_asked_for_it(world):
    actor = citizen_actor(world["administrator"], enterprise_ids=frozenset({world["enterprise"].pk}))
    with pytest.raises(RefundError) as refused:
        refunds.refund_request(
            actor=actor,
            enterprise_id=world["enterprise"].pk,
            iban=IBAN,
            holder_name="X",
            seen_credit="227.10",
            now=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
        )
    assert refused.value.code == "level_too_low"
    assert not RefundRequest.objects.exists()


def _requested(client, world):
    sign_in(client, world["administrator"], mfa=True)
    _ask(client, world)
    client.logout()
    return RefundRequest.objects.get()


def _decide(client, request, **data):
    return client.post(
        reverse("admin:contributions_refundrequest_decide", args=[request.pk]),
        data,
        headers={"Accept-Language": "en"},
        follow=True,
    )


def test_finance_pays_the_refund_and_the_credit_settles_it(client, world):
    request = _requested(client, world)
    sign_in(client, world["finance"], mfa=True)
    page = client.get(
        reverse("admin:contributions_refundrequest_change", args=[request.pk]), headers={"Accept-Language": "en"}
    )
    assert "The enterprise's credit today: 227.10 €." in page.content.decode()

    answer = _decide(client, request, decision="refunded", reason="")
    assert "Decision recorded: paid back." in answer.content.decode()
    request.refresh_from_db()
    entry = request.entry
    assert (request.status, request.decided_by, entry.kind, entry.amount) == (
        "refunded",
        world["finance"],
        "refund",
        Decimal("227.10"),
    )
    assert "R202611" in entry.payment_reference
    assert Allocation.objects.get(debit=entry).credit.source == "bank:ahead"
    summary = account_summary(enterprise_id=world["enterprise"].pk, today=datetime.date(2026, 11, 20))
    assert (summary.balance, summary.credit, summary.overdue, summary.not_yet_due) == (Decimal("0.00"),) * 4
    assert [row.kind for row in account_entries(enterprise_id=world["enterprise"].pk)] == ["payment", "refund"]
    # Decided once: a second decision changes nothing.
    assert "already been decided" in _decide(client, request, decision="refunded").content.decode()
    assert LedgerEntry.objects.filter(kind="refund").count() == 1

    client.logout()
    sign_in(client, world["administrator"], mfa=True)
    page = _account(client, world).content.decode()
    assert "paid back" in page and "Ask for your credit to be paid back" not in page


def test_a_credit_taken_by_a_new_debt_cannot_be_refunded_and_a_refusal_needs_its_reason(
    client, world, django_capture_on_commit_callbacks
):
    request = _requested(client, world)
    enterprise = world["enterprise"]
    # A penalty posted since takes 100.00 of the credit: 127.10 is left.
    with django_capture_on_commit_callbacks(execute=True):
        ledger.penalties_post(
            enterprises={enterprise.pk: enterprise.enterprise_number},
            period=Period(2026, 10),
            amount=Decimal("100.00"),
            now=datetime.datetime(2026, 11, 21, 9, tzinfo=datetime.UTC),
        )
    assert ledger.credit_available(enterprise.pk) == Decimal("127.10")

    sign_in(client, world["finance"], mfa=True)
    assert "no longer covers this refund" in _decide(client, request, decision="refunded").content.decode()
    assert (
        "Give the reason of the refusal" in _decide(client, request, decision="rejected", reason=" ").content.decode()
    )
    request.refresh_from_db()
    assert request.status == "requested" and not LedgerEntry.objects.filter(kind="refund").exists()

    _decide(client, request, decision="rejected", reason="A penalty took part of the credit: ask again.")
    request.refresh_from_db()
    assert (request.status, request.reason) == ("rejected", "A penalty took part of the credit: ask again.")
    client.logout()
    sign_in(client, world["administrator"], mfa=True)
    page = _account(client, world).content.decode()
    assert "refused: A penalty took part of the credit: ask again." in page
    # The administrator may ask again for what is left.
    assert 'name="credit" value="127.10"' in page


def test_staff_without_the_finance_role_cannot_decide(client, world):
    request = _requested(client, world)
    clerk = with_totp(UserFactory(is_staff=True))
    clerk.groups.add(Group.objects.get(name="Case worker"))
    sign_in(client, clerk, mfa=True)
    assert _decide(client, request, decision="refunded").status_code == 403
    with pytest.raises(NotFound):
        refunds.refund_decide(
            actor=staff_actor(clerk),
            request_id=request.pk,
            refunded=True,
            reason="",
            now=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
        )
    with pytest.raises(NotFound):  # a forged id, for staff who may decide
        refunds.refund_decide(
            actor=staff_actor(world["finance"]),
            request_id=request.pk + 1000,
            refunded=True,
            reason="",
            now=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
        )
    request.refresh_from_db()
    assert request.status == "requested"
