"""The person's benefit payments ("My payments"), for them and for proxies allowed to view
their file. Thin: one domain call."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from benefits import selectors
from core.http import PortalRequest


@login_required
@require_GET
def payments(request: PortalRequest) -> HttpResponse:
    person_id = request.actor.subject_person_id
    if person_id is None:
        return redirect("identity:link_person")
    page = selectors.payments_page(actor=request.actor, person_id=person_id, now=timezone.now())
    if page is None:
        return render(request, "benefits/payments.html", {"page": None}, status=403)
    return render(request, "benefits/payments.html", {"page": page})
