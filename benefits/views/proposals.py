"""The benefits proposed without an application, for the person and those acting for them: the
list, a proposal's page (what it pays, why it is due), and the answer — accept (the benefit
opens) or decline, with a reason if they wish. Thin: one domain call each; a refusal (answered
already, no bank account) is shown on the page, which changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from benefits import services
from benefits.attribution import reading
from benefits.forms import ProposalDeclineForm, ProposalDisputeForm
from benefits.types import ClaimRefused, ProposalRefused
from core.errors import NotFound
from core.http import PortalRequest


@login_required
@require_GET
def proposals(request: PortalRequest) -> HttpResponse:
    person_id = request.actor.subject_person_id
    if person_id is None:
        return redirect("identity:link_person")
    rows = reading.proposal_list(actor=request.actor, person_id=person_id, now=timezone.now())
    if rows is None:
        return render(request, "benefits/proposals.html", {"rows": None}, status=403)
    return render(request, "benefits/proposals.html", {"rows": rows})


def _page(
    request: PortalRequest,
    proposal_id: int,
    *,
    form: ProposalDeclineForm | None = None,
    dispute_form: ProposalDisputeForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    page = reading.proposal_page(actor=request.actor, proposal_id=proposal_id, now=timezone.now())
    if page is None:
        raise NotFound
    context = {
        "page": page,
        "decline_form": form or ProposalDeclineForm(),
        "dispute_form": dispute_form or ProposalDisputeForm(),
        "refusal": refusal,
    }
    return render(request, "benefits/proposal.html", context, status=status)


@login_required
@require_GET
def proposal(request: PortalRequest, proposal_id: int) -> HttpResponse:
    return _page(request, proposal_id)


@login_required
@require_POST
def proposal_accept(request: PortalRequest, proposal_id: int) -> HttpResponse:
    try:
        services.proposal_accept(actor=request.actor, proposal_id=proposal_id, now=timezone.now())
    except ProposalRefused as refused:
        return _page(request, proposal_id, refusal=refused.message, status=400)
    messages.success(request, _("Accepted: the benefit is open, and paid with the next monthly payment."))
    return redirect("benefits:proposal", proposal_id=proposal_id)


@login_required
@require_POST
def proposal_decline(request: PortalRequest, proposal_id: int) -> HttpResponse:
    form = ProposalDeclineForm(request.POST)
    if not form.is_valid():
        return _page(request, proposal_id, form=form, status=400)
    try:
        services.proposal_decline(
            actor=request.actor, proposal_id=proposal_id, reason=form.cleaned_data["reason"], now=timezone.now()
        )
    except ProposalRefused as refused:
        return _page(request, proposal_id, refusal=refused.message, status=400)
    messages.success(request, _("Declined: this benefit will not be proposed again."))
    return redirect("benefits:proposal", proposal_id=proposal_id)


@login_required
@require_POST
def proposal_dispute(request: PortalRequest, proposal_id: int) -> HttpResponse:
    form = ProposalDisputeForm(request.POST)
    if not form.is_valid():
        return _page(request, proposal_id, dispute_form=form, status=400)
    try:
        claim_id = services.proposal_dispute(
            actor=request.actor,
            proposal_id=proposal_id,
            text=form.cleaned_data["text"],
            declared_on_honour=form.cleaned_data["honour"],
            now=timezone.now(),
        )
    except (ProposalRefused, ClaimRefused) as refused:
        return _page(request, proposal_id, refusal=refused.message, status=400)
    messages.success(request, _("Disputed: a claim is filed with what you wrote; a case worker decides on it."))
    return redirect("benefits:claim", claim_id=claim_id)
