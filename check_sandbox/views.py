"""The sandbox provider's API (for the merchant's server), its hosted check page (for the
pensioner) and nothing else."""

from __future__ import annotations

import datetime
import hmac
import json
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from check_sandbox.models import SandboxCheck
from check_sandbox.tasks import callback_send

_FINAL = {
    "pass": SandboxCheck.Status.PASSED,
    "fail": SandboxCheck.Status.FAILED,
    "cancel": SandboxCheck.Status.CANCELLED,
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _authorised(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.LIFE_CHECK_SANDBOX_SECRET}"
    return hmac.compare_digest(request.headers.get("Authorization", ""), expected)


def _as_json(check: SandboxCheck) -> dict[str, Any]:
    return {
        "id": str(check.id),
        "status": check.status,
        "reference": check.reference,
        "redirect_url": f"{settings.LIFE_CHECK_SANDBOX_URL.rstrip('/')}/check/{check.id}/",
    }


def _text(data: dict[str, Any], name: str, *, max_length: int) -> str:
    """A required, non-blank string of at most ``max_length`` characters (else ValueError)."""
    value = data[name]
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise ValueError(name)
    return value.strip()


def _url(data: dict[str, Any], name: str) -> str:
    value = _text(data, name, max_length=500)
    if not value.startswith(("http://", "https://")):
        raise ValueError(name)
    return value


def _fields(data: Any) -> dict[str, Any]:
    """The check's fields from the request's JSON body (ValueError, KeyError or TypeError when invalid)."""
    if not isinstance(data, dict):
        raise TypeError
    birth_date = data["birth_date"]
    if not isinstance(birth_date, str) or not _DATE.fullmatch(birth_date):
        raise ValueError("birth_date")
    return {
        "reference": _text(data, "reference", max_length=35),
        "given_name": _text(data, "given_name", max_length=150),
        "family_name": _text(data, "family_name", max_length=150),
        "birth_date": datetime.date.fromisoformat(birth_date),
        "return_url": _url(data, "return_url"),
        "callback_url": _url(data, "callback_url"),
    }


@csrf_exempt
@require_POST
def api_create(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    key = request.headers.get("Idempotency-Key", "")
    try:
        if not key:
            raise ValueError("Idempotency-Key")
        fields = _fields(json.loads(request.body))
    except (ValueError, KeyError, TypeError):  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        return JsonResponse({"error": "invalid_request"}, status=400)
    try:
        with transaction.atomic():
            check, created = SandboxCheck.objects.get_or_create(
                merchant_key="default", idempotency_key=key[:100], defaults=fields
            )
    except IntegrityError:
        check, created = SandboxCheck.objects.get(merchant_key="default", idempotency_key=key[:100]), False
    return JsonResponse(_as_json(check), status=201 if created else 200)


@require_GET
def api_status(request: HttpRequest, check_id: str) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"error": "unauthorised"}, status=401)
    check = SandboxCheck.objects.filter(pk=check_id).first()
    if check is None:
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(_as_json(check))


@require_http_methods(["GET", "POST"])
def hosted_page(request: HttpRequest, check_id: str) -> HttpResponse:
    """The pensioner sees whose identity is checked, and chooses what the provider would answer:
    identity confirmed, the check failed, or cancelled."""
    check = SandboxCheck.objects.filter(pk=check_id).first()
    if check is None:
        raise Http404
    if request.method == "POST":
        decision = _FINAL.get(request.POST.get("decision", ""))
        if decision is None:
            return render(request, "check_sandbox/check.html", {"check": check, "invalid": True}, status=400)
        with transaction.atomic():
            decided = SandboxCheck.objects.filter(pk=check.pk, status=SandboxCheck.Status.PENDING).update(
                status=decision, decided_at=timezone.now()
            )
            if decided:
                transaction.on_commit(lambda: callback_send.delay(check_id=str(check.pk)))
        return HttpResponseRedirect(check.return_url)
    return render(request, "check_sandbox/check.html", {"check": check})
