"""The sandbox provider's API (for the merchant's server), its hosted payment page (for the
payer) and nothing else."""

from __future__ import annotations

import hmac
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payment_sandbox.models import SandboxPayment
from payment_sandbox.tasks import callback_send

_FINAL = {
    "succeed": SandboxPayment.Status.SUCCEEDED,
    "fail": SandboxPayment.Status.FAILED,
    "cancel": SandboxPayment.Status.CANCELLED,
}


def _authorised(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.PAYMENT_SANDBOX_SECRET}"
    return hmac.compare_digest(request.headers.get("Authorization", ""), expected)


def _as_json(payment: SandboxPayment) -> dict[str, Any]:
    return {
        "id": str(payment.id),
        "status": payment.status,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "reference": payment.reference,
        "redirect_url": f"{settings.PAYMENT_SANDBOX_URL.rstrip('/')}/pay/{payment.id}/",
    }


@csrf_exempt
@require_POST
def api_create(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    key = request.headers.get("Idempotency-Key", "")
    try:
        data = json.loads(request.body)
        amount = Decimal(str(data["amount"]))
        if amount <= 0 or amount.as_tuple().exponent < -2 or not key:  # type: ignore[operator]
            raise ValueError
        fields = {
            "amount": amount,
            "currency": str(data.get("currency", "EUR"))[:3],
            "reference": str(data.get("reference", ""))[:35],
            "description": str(data.get("description", ""))[:200],
            "return_url": str(data["return_url"]),
            "callback_url": str(data["callback_url"]),
        }
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return JsonResponse({"error": "invalid_request"}, status=400)
    try:
        with transaction.atomic():
            payment, created = SandboxPayment.objects.get_or_create(
                merchant_key="default", idempotency_key=key[:100], defaults=fields
            )
    except IntegrityError:
        payment, created = SandboxPayment.objects.get(merchant_key="default", idempotency_key=key[:100]), False
    return JsonResponse(_as_json(payment), status=201 if created else 200)


@require_GET
def api_status(request: HttpRequest, payment_id: str) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    payment = SandboxPayment.objects.filter(pk=payment_id).first()
    if payment is None:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(_as_json(payment))


@require_http_methods(["GET", "POST"])
def hosted_page(request: HttpRequest, payment_id: str) -> HttpResponse:
    """The payer sees the amount and the beneficiary, and chooses: pay, make it fail, or cancel."""
    payment = SandboxPayment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    if request.method == "POST":
        decision = _FINAL.get(request.POST.get("decision", ""))
        if decision is None:
            return render(request, "payment_sandbox/pay.html", {"payment": payment, "invalid": True}, status=400)
        with transaction.atomic():
            decided = SandboxPayment.objects.filter(pk=payment.pk, status=SandboxPayment.Status.PENDING).update(
                status=decision, decided_at=timezone.now()
            )
            if decided:
                transaction.on_commit(lambda: callback_send.delay(payment_id=str(payment.pk)))
        return HttpResponseRedirect(payment.return_url)
    return render(request, "payment_sandbox/pay.html", {"payment": payment})
