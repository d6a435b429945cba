"""Online payment: one payment per form whatever the clicks, the account credited exactly once
whatever the order and number of callbacks, returns and polls; the sandbox over real HTTP with a
real worker delivering its signed callback; who may see the account and pay."""

import datetime
import json
import re
import threading
import time
import uuid
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contributions import payments
from contributions.models import LedgerEntry, Payment
from contributions.services import NotFound
from contributions.types import PaymentError
from core.actor import LevelOfAssurance
from core.signatures import SIGNATURE_HEADER, sign
from mandates import services as mandate_services
from portal.celery import app
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, UserFactory, representation, with_totp

NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


class FakeProvider:
    """The outside world: a provider that records what it is asked."""

    name = "sandbox"

    def __init__(self, status="pending"):
        self.created = []
        self.reported = status

    def create(self, *, amount, reference, description, return_url, callback_url, idempotency_key):
        self.created.append(idempotency_key)
        return payments.ProviderPayment(
            provider_payment_id=str(uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key)),
            redirect_url="https://pay.example/x",
        )

    def status(self, *, provider_payment_id):
        return payments.ProviderStatus(
            provider_payment_id=provider_payment_id,
            status=self.reported,
            amount=Payment.objects.get(provider_payment_id=provider_payment_id).amount,
        )

    def parse_callback(self, *, body, headers, now):
        raise AssertionError("not used")


def _world():
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    return {"enterprise": enterprise, "declarant": declarant, "actor": actor}


@pytest.fixture
def world(db):
    return _world()


def _start(world, amount="250.00", intent=None, provider=None):
    return payments.payment_start(
        actor=world["actor"],
        enterprise_id=world["enterprise"].pk,
        amount=amount,
        payment_reference="",
        intent=intent or uuid.uuid4(),
        now=NOW,
        provider=provider or FakeProvider(),
    )


def _callback(payment, status="succeeded", amount=None, secret=None, client=None):
    from django.conf import settings

    body = json.dumps(
        {"id": payment.provider_payment_id, "status": status, "amount": str(amount or payment.amount), "reference": ""}
    ).encode()
    return (client or Client()).post(
        "/payments/callback/sandbox/",
        body,
        content_type="application/json",
        headers={
            SIGNATURE_HEADER: sign(body=body, secret=secret or settings.PAYMENT_SANDBOX_SECRET, at=int(time.time()))
        },
    )


def _credits(world):
    return list(
        LedgerEntry.objects.filter(enterprise=world["enterprise"], kind="payment").values_list("amount", flat=True)
    )


def test_a_double_click_creates_one_payment_here_and_at_the_provider(world):
    provider = FakeProvider()
    intent = uuid.uuid4()
    first = _start(world, intent=intent, provider=provider)
    second = _start(world, intent=intent, provider=provider)
    assert first.pk == second.pk
    assert Payment.objects.count() == 1
    assert provider.created == [f"guichet-payment-{intent}"]
    assert (first.status, first.redirect_url) == ("pending", "https://pay.example/x")


@pytest.mark.parametrize(
    "amount", ["0", "-5", "12.345", "abc", "", "1e9999", "100000000.01", "+5.00", "1_000.00", "５0", "-0.00", ".5"]
)
def test_an_invalid_amount_is_refused_and_nothing_is_created(world, amount):
    with pytest.raises(PaymentError):
        _start(world, amount=amount)
    assert not Payment.objects.exists()


def test_a_representative_of_another_enterprise_cannot_start_a_payment(world):
    stranger = UserFactory()
    other = EnterpriseFactory()
    representation(stranger, other, "administrator")
    with pytest.raises(NotFound):
        payments.payment_start(
            actor=citizen_actor(stranger, enterprise_ids=frozenset({other.pk})),
            enterprise_id=world["enterprise"].pk,
            amount="10",
            payment_reference="",
            intent=uuid.uuid4(),
            now=NOW,
            provider=FakeProvider(),
        )
    assert not Payment.objects.exists()


def test_a_repeated_callback_credits_once(world):
    payment = _start(world)
    assert _callback(payment).status_code == 200
    assert _callback(payment).status_code == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert _credits(world) == [Decimal("-250.00")]


def test_a_callback_before_the_payer_returns_and_the_return_agree(world, client):
    payment = _start(world)
    _callback(payment)
    sign_in(client, world["declarant"])
    page = client.get(
        reverse("contributions:payment", args=[world["enterprise"].pk, payment.pk]), headers={"Accept-Language": "en"}
    )
    assert "is received and credited" in page.content.decode()
    assert _credits(world) == [Decimal("-250.00")]


def test_the_return_before_the_callback_settles_by_asking_the_provider_then_the_callback_changes_nothing(world):
    payment = _start(world)
    settled = payments.payment_refresh(payment=payment, now=NOW, provider=FakeProvider(status="succeeded"))
    assert settled.status == "succeeded"
    _callback(payment)
    assert _credits(world) == [Decimal("-250.00")]


def test_a_forged_or_stale_callback_is_refused_and_changes_nothing(world, settings):
    payment = _start(world)
    assert _callback(payment, secret="not-the-secret").status_code == 400
    body = json.dumps({"id": payment.provider_payment_id, "status": "succeeded", "amount": "250.00"}).encode()
    stale = Client().post(
        "/payments/callback/sandbox/",
        body,
        content_type="application/json",
        headers={
            SIGNATURE_HEADER: sign(
                body=body,
                secret=__import__("django.conf").conf.settings.PAYMENT_SANDBOX_SECRET,
                at=int(time.time()) - 3600,
            )
        },
    )
    assert stale.status_code == 400
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert _credits(world) == []


def test_a_success_for_another_amount_is_not_credited_but_left_to_staff(world):
    payment = _start(world)
    _callback(payment, amount="1.00")
    _callback(payment)
    payment.refresh_from_db()
    assert payment.status == "review"
    assert _credits(world) == []


def test_a_failed_or_cancelled_payment_credits_nothing_and_stays_so(world):
    payment = _start(world)
    _callback(payment, status="cancelled")
    _callback(payment, status="succeeded")
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    assert _credits(world) == []


def test_the_periodic_poll_settles_a_payment_whose_callback_was_lost(world, settings):
    settings.PAYMENT_POLL_AFTER_MINUTES = 5
    payment = _start(world)
    assert payments.payments_reconcile(now=NOW + datetime.timedelta(minutes=2), provider=FakeProvider("succeeded")) == 0
    assert payments.payments_reconcile(now=NOW + datetime.timedelta(minutes=6), provider=FakeProvider("pending")) == 0
    assert payments.payments_reconcile(now=NOW + datetime.timedelta(minutes=7), provider=FakeProvider("succeeded")) == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert _credits(world) == [Decimal("-250.00")]


@pytest.mark.django_db(transaction=True)
def test_concurrent_callbacks_credit_once():
    world = _world()
    payment = _start(world)
    barrier = threading.Barrier(4)
    answers = []

    def deliver():
        try:
            barrier.wait()
            answers.append(_callback(payment).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200, 200, 200, 200]
    assert _credits(world) == [Decimal("-250.00")]


# --- The sandbox, over HTTP, with a real worker sending its callback ---------------------------


@pytest.mark.django_db(transaction=True)
def test_paying_in_the_sandbox_credits_the_account_through_its_signed_callback(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_URL = f"{live_server.url}/sandbox-pay/"
    world = _world()
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("default")

    payment = payments.payment_start(
        actor=world["actor"],
        enterprise_id=world["enterprise"].pk,
        amount="99.90",
        payment_reference="",
        intent=uuid.uuid4(),
        now=timezone.now(),
    )
    assert payment.redirect_url.startswith(f"{live_server.url}/sandbox-pay/pay/")
    path = payment.redirect_url.removeprefix(live_server.url)
    page = Client().get(path, headers={"Accept-Language": "en"})
    assert "99.90" in page.content.decode()

    with start_worker(app, pool="solo", perform_ping_check=False, queues=["default"], shutdown_timeout=30):
        decided = Client().post(path, {"decision": "succeed"})
        assert decided.status_code == 302
        deadline = time.monotonic() + 30
        while Payment.objects.get(pk=payment.pk).status == "pending" and time.monotonic() < deadline:
            time.sleep(0.1)

    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert _credits(world) == [Decimal("-99.90")]
    status = payments.payment_provider().status(provider_payment_id=payment.provider_payment_id)
    assert (status.status, status.amount) == ("succeeded", Decimal("99.90"))


# --- Pages: who may see the account and pay ---------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("citizen", 404),
        ("viewer", 404),
        ("other_admin", 404),
        ("unpaid_bureau", 404),
        ("declarant", 200),
        ("paying_bureau", 200),
    ],
)
def test_account_pages_matrix(world, client, who, expected):
    enterprise = world["enterprise"]
    admin = with_totp(UserFactory())
    representation(admin, enterprise, "administrator")
    users = {"declarant": world["declarant"], "citizen": UserFactory()}
    viewer = UserFactory()
    representation(viewer, enterprise, "viewer")
    users["viewer"] = viewer
    other = EnterpriseFactory()
    users["other_admin"] = with_totp(UserFactory())
    representation(users["other_admin"], other, "administrator")
    for name, scopes in (("paying_bureau", ["pay"]), ("unpaid_bureau", ["declare"])):
        bureau = EnterpriseFactory()
        users[name] = UserFactory()
        representation(users[name], bureau, "declarant")
        mandate_services.enterprise_mandate_grant(
            actor=citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk})),
            enterprise_id=enterprise.pk,
            bureau_enterprise_number=bureau.enterprise_number,
            scopes=scopes,
            starts_on=timezone.localdate(),
            now=timezone.now(),
        )
    payment = _start(world)
    if who != "anonymous":
        sign_in(client, users[who], mfa=who == "other_admin")
    urls = [
        reverse("contributions:account", args=[enterprise.pk]),
        reverse("contributions:statement_csv", args=[enterprise.pk]),
        reverse("contributions:payment", args=[enterprise.pk, payment.pk]),
    ]
    # A viewer reads the account and its statement, but neither pays nor follows a payment.
    reads = [200, 200, 404] if who == "viewer" else [expected] * 3
    assert [client.get(url).status_code for url in urls] == reads
    posted = client.post(
        reverse("contributions:pay", args=[enterprise.pk]), {"intent": str(uuid.uuid4()), "amount": "1"}
    )
    assert posted.status_code == (expected if expected != 200 else 302)
    assert Payment.objects.count() == (2 if expected == 200 else 1)


def test_the_account_page_lists_the_latest_payments_with_their_status_newest_first(world, client):
    pending = _start(world, amount="250.00")
    paid = _start(world, amount="100.00")
    Payment.objects.filter(pk=paid.pk).update(created_at=NOW + datetime.timedelta(hours=1))
    _callback(paid)
    _start(_world(), amount="999.00")  # another enterprise's
    sign_in(client, world["declarant"])

    page = client.get(
        reverse("contributions:account", args=[world["enterprise"].pk]), headers={"Accept-Language": "en"}
    )

    html = page.content.decode()
    table = html[html.index("<h2>Online payments</h2>") :]
    rows = re.findall(
        r'<tr><th scope="row"[^>]*><a href="([^"]+)">[^<]+</a></th><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td></tr>',
        table,
    )
    assert rows == [
        (reverse("contributions:payment", args=[world["enterprise"].pk, paid.pk]), "100.00", "paid"),
        (
            reverse("contributions:payment", args=[world["enterprise"].pk, pending.pk]),
            "250.00",
            "waiting for the payment provider",
        ),
    ]


def test_a_payment_of_another_enterprise_is_not_found_under_ones_own(world, client):
    other = _world()
    theirs = _start(other)
    sign_in(client, world["declarant"])
    assert client.get(reverse("contributions:payment", args=[world["enterprise"].pk, theirs.pk])).status_code == 404


def test_staff_find_the_payments_to_check_in_the_back_office(world, client):
    payment = _start(world)
    _callback(payment, amount="1.00")
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    sign_in(client, staff, mfa=True)
    listing = client.get(reverse("admin:contributions_payment_changelist"), {"status__exact": "review"})
    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].result_list] == [payment.pk]
    assert (
        client.get(reverse("admin:contributions_payment_changelist"), {"status__exact": "failed"})
        .context["cl"]
        .result_count
        == 0
    )
    assert client.get(reverse("admin:contributions_payment_add")).status_code == 403
