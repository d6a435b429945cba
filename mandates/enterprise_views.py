"""Enterprise side of the mandates: which payroll bureaus or accounting firms act for an
enterprise (its administrators give and end those mandates), and, for a bureau, the enterprises
that mandated it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.actor import Actor, LevelOfAssurance
from core.http import PortalRequest
from identity import selectors as identity_selectors
from identity.types import EnterpriseRole, EnterpriseSummary
from mandates import selectors, services
from mandates.forms import BureauMandateForm
from mandates.types import MandateError

# --- Pages -----------------------------------------------------------------------------------


def _actor(request: PortalRequest) -> Actor:
    return request.actor


def _enterprise_or_404(request: PortalRequest, enterprise_id: int) -> EnterpriseSummary:
    return identity_selectors.enterprise_get_for_actor(actor=_actor(request), enterprise_id=enterprise_id)


@login_required
@require_http_methods(["GET", "POST"])
def bureaus(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """The bureaus that act for the enterprise; its administrators give a new mandate here."""
    actor = _actor(request)
    enterprise = _enterprise_or_404(request, enterprise_id)
    role = request.enterprise_roles.get(enterprise_id)
    is_administrator = role == EnterpriseRole.ADMINISTRATOR
    form = BureauMandateForm(request.POST or None, today=timezone.localdate())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.enterprise_mandate_grant(
                    actor=actor,
                    enterprise_id=enterprise_id,
                    bureau_enterprise_number=form.cleaned_data["bureau_enterprise_number"],
                    scopes=form.cleaned_data["scopes"],
                    starts_on=form.cleaned_data["starts_on"],
                    now=timezone.now(),
                )
            except MandateError as error:
                if is_administrator:
                    form.add_error(None, error.message)
                else:
                    messages.error(request, str(error.message))
            else:
                messages.success(request, _("The bureau may now act for the enterprise."))
                return redirect("mandates:enterprise_bureaus", enterprise_id=enterprise_id)
    return render(
        request,
        "mandates/enterprise_bureaus.html",
        {
            "enterprise": enterprise,
            "rows": selectors.enterprise_mandate_list_for_principal(enterprise_id=enterprise_id),
            "form": form,
            "is_administrator": is_administrator,
            "has_second_factor": actor.has_level(LevelOfAssurance.SUBSTANTIAL),
        },
        status=status,
    )


@login_required
@require_POST
def bureau_revoke(request: PortalRequest, enterprise_id: int, mandate_id: int) -> HttpResponse:
    _enterprise_or_404(request, enterprise_id)
    try:
        services.enterprise_mandate_revoke(
            actor=_actor(request),
            enterprise_mandate_id=mandate_id,
            now=timezone.now(),
            principal_enterprise_id=enterprise_id,
        )
    except MandateError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The mandate has ended: the bureau can no longer act for the enterprise."))
    return redirect("mandates:enterprise_bureaus", enterprise_id=enterprise_id)


@login_required
@require_GET
def clients(request: PortalRequest) -> HttpResponse:
    """For a payroll bureau or accounting firm: the enterprises it may act for today."""
    actor = _actor(request)
    return render(
        request,
        "mandates/enterprise_clients.html",
        {
            "represents_enterprise": bool(actor.enterprise_ids),
            "rows": selectors.clients_for_bureau(bureau_enterprise_ids=actor.enterprise_ids, on=timezone.localdate()),
        },
    )
