"""The person's benefit payments ("My payments"), for them and for proxies allowed to view
their file. Thin: one domain call."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from benefits import selectors, services
from benefits.types import PaymentRefused
from core.documents import DocumentLimitReached
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
    life = selectors.life_request_open(person_id=person_id)
    return render(request, "benefits/payments.html", {"page": page, "life": life})


@login_required
@require_POST
def payment_statement(request: PortalRequest) -> HttpResponse:
    """The yearly statement asked for on the payments page, as a PDF download."""
    person_id = request.actor.subject_person_id
    if person_id is None:
        return redirect("identity:link_person")
    year_text = request.POST.get("year", "")
    year = int(year_text) if year_text.isdigit() and len(year_text) <= 4 else 0
    try:
        content = services.payment_statement_issue(
            actor=request.actor, person_id=person_id, year=year, language=translation.get_language(), now=timezone.now()
        )
    except (PaymentRefused, DocumentLimitReached) as refused:
        messages.error(request, refused.message)
        return redirect("benefits:payments")
    # Translators: a file name: no spaces, no accents.
    filename = _("benefits-paid-%(year)s.pdf") % {"year": year}
    return HttpResponse(
        content, content_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
