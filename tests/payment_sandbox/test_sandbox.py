"""The sandbox provider: its API asks for the merchant's secret, creates one payment per
idempotency key, and its hosted page decides a payment once and tells the merchant."""

import json

import pytest
from django.test import Client

from payment_sandbox.models import SandboxPayment

pytestmark = pytest.mark.django_db

BODY = {
    "amount": "12.50",
    "reference": "RF18539007547034",
    "return_url": "https://merchant.example/back",
    "callback_url": "https://merchant.example/callback",
}


def _create(settings, body=BODY, key="k-1", secret=None):
    return Client().post(
        "/sandbox-pay/api/payments/",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret or settings.PAYMENT_SANDBOX_SECRET}", "Idempotency-Key": key},
    )


def test_the_api_needs_the_merchant_secret(settings):
    assert _create(settings, secret="wrong").status_code == 401
    assert Client().get("/sandbox-pay/api/payments/00000000-0000-0000-0000-000000000000/").status_code == 401
    assert not SandboxPayment.objects.exists()


@pytest.mark.parametrize(
    "body", [{**BODY, "amount": "-1"}, {**BODY, "amount": "1.234"}, {**BODY, "amount": "x"}, {"amount": "1"}]
)
def test_an_invalid_payment_is_refused(settings, body):
    assert _create(settings, body=body).status_code == 400
    assert not SandboxPayment.objects.exists()


def test_one_payment_per_idempotency_key_and_its_status(settings):
    first, again = _create(settings), _create(settings)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    status = Client().get(
        f"/sandbox-pay/api/payments/{first.json()['id']}/",
        headers={"Authorization": f"Bearer {settings.PAYMENT_SANDBOX_SECRET}"},
    )
    assert (status.json()["status"], status.json()["amount"]) == ("pending", "12.50")


def test_the_hosted_page_decides_once_and_queues_the_signed_callback(settings, django_capture_on_commit_callbacks):
    payment_id = _create(settings).json()["id"]
    page = f"/sandbox-pay/pay/{payment_id}/"
    assert Client().post(page, {"decision": "steal"}).status_code == 400
    with django_capture_on_commit_callbacks() as queued:
        decided = Client().post(page, {"decision": "fail"})
        Client().post(page, {"decision": "succeed"})
    assert decided["Location"] == "https://merchant.example/back"
    assert SandboxPayment.objects.get().status == "failed"
    assert len(queued) == 1  # one callback for the one decision (sent by a worker: see test_payments)
