"""Mandate pages: the mandates I gave and hold, giving, asking, answering, ending, changing,
acting for someone, and the trail of what a proxy did in my file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.actor import ACTING_FOR_SESSION_KEY, Actor, LevelOfAssurance
from core.audit import access_record_list
from core.http import PortalRequest
from mandates import selectors, services
from mandates.forms import ChangeForm, GrantForm, ProfessionalGrantForm, RequestForm
from mandates.types import MandateError, MandateStatus


def _actor(request: PortalRequest) -> Actor:
    return request.actor


def _forms(request: PortalRequest, **bound: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "grant_form": bound.get("grant_form") or GrantForm(today=today, prefix="grant"),
        "professional_form": bound.get("professional_form") or ProfessionalGrantForm(today=today, prefix="pro"),
        "request_form": bound.get("request_form") or RequestForm(today=today, prefix="ask"),
    }


@login_required
@require_GET
def mandate_list(request: PortalRequest, **bound: Any) -> HttpResponse:
    actor = _actor(request)
    if actor.person_id is None:
        return render(request, "mandates/list.html", {"linked": False})
    given, held = selectors.mandate_list_for_person(person_id=actor.person_id)
    return render(
        request,
        "mandates/list.html",
        {
            "linked": True,
            "given": given,
            "held": held,
            "statuses": MandateStatus,
            "needs_second_factor": not actor.has_level(LevelOfAssurance.SUBSTANTIAL),
            **_forms(request, **bound),
        },
    )


def _submit(request: PortalRequest, form: Any, form_key: str, call: Callable[[Any], int], success: str) -> HttpResponse:
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except MandateError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, success)
            return redirect("mandates:list")
    request.method = "GET"
    response = mandate_list(request, **{form_key: form})
    response.status_code = 400
    return response


@login_required
@require_POST
def grant(request: PortalRequest) -> HttpResponse:
    actor = _actor(request)
    form = GrantForm(request.POST, today=timezone.localdate(), prefix="grant")
    return _submit(
        request,
        form,
        "grant_form",
        lambda data: services.mandate_grant(
            actor=actor,
            proxy_national_number=data["national_number"],
            proxy_last_name=data["last_name"],
            scopes=data["scopes"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            now=timezone.now(),
        ),
        _("The mandate is offered. It takes effect when the person accepts it."),
    )


@login_required
@require_POST
def grant_professional(request: PortalRequest) -> HttpResponse:
    actor = _actor(request)
    form = ProfessionalGrantForm(request.POST, today=timezone.localdate(), prefix="pro")
    return _submit(
        request,
        form,
        "professional_form",
        lambda data: services.mandate_grant_professional(
            actor=actor,
            accreditation_number=data["accreditation_number"],
            scopes=data["scopes"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            now=timezone.now(),
        ),
        _("The mandate is offered. It takes effect when the professional accepts it."),
    )


@login_required
@require_POST
def request_mandate(request: PortalRequest) -> HttpResponse:
    actor = _actor(request)
    form = RequestForm(request.POST, today=timezone.localdate(), prefix="ask")
    return _submit(
        request,
        form,
        "request_form",
        lambda data: services.mandate_request(
            actor=actor,
            principal_national_number=data["national_number"],
            principal_last_name=data["last_name"],
            scopes=data["scopes"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            now=timezone.now(),
        ),
        _("Your request is sent. The person will approve or decline it."),
    )


_TRANSITIONS = {
    "accept": (services.mandate_accept, gettext_noop("The mandate is accepted: it is now active.")),
    "approve": (services.mandate_approve, gettext_noop("The mandate is approved: it is now active.")),
    "decline": (services.mandate_decline, gettext_noop("The mandate is declined.")),
    "revoke": (services.mandate_revoke, gettext_noop("The mandate has ended.")),
}


@login_required
@require_POST
def transition(request: PortalRequest, mandate_id: int, action: str) -> HttpResponse:
    if action not in _TRANSITIONS:
        raise Http404
    service, success = _TRANSITIONS[action]
    try:
        service(actor=_actor(request), mandate_id=mandate_id, now=timezone.now())
    except MandateError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _(success))
    return redirect("mandates:list")


@login_required
@require_http_methods(["GET", "POST"])
def change(request: PortalRequest, mandate_id: int) -> HttpResponse:
    actor = _actor(request)
    mandate = selectors.mandate_get_for_party(person_id=actor.person_id or 0, mandate_id=mandate_id)
    if mandate.principal_person_id != actor.person_id or mandate.status != MandateStatus.ACTIVE:
        raise Http404
    form = ChangeForm(request.POST or None, initial={"scopes": list(mandate.scopes), "ends_on": mandate.ends_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.mandate_change(
                actor=actor,
                mandate_id=mandate_id,
                scopes=form.cleaned_data["scopes"],
                ends_on=form.cleaned_data["ends_on"],
                now=timezone.now(),
            )
        except MandateError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The mandate is changed: a new version replaces the previous one."))
            return redirect("mandates:list")
    return render(
        request,
        "mandates/change.html",
        {
            "mandate": mandate,
            "form": form,
            "needs_second_factor": not actor.has_level(LevelOfAssurance.SUBSTANTIAL),
        },
    )


@login_required
@require_GET
def trail(request: PortalRequest, mandate_id: int) -> HttpResponse:
    """What the proxy read and did in my file under this mandate (the principal only)."""
    actor = _actor(request)
    mandate = selectors.mandate_get_for_party(person_id=actor.person_id or 0, mandate_id=mandate_id)
    if mandate.principal_person_id != actor.person_id:
        raise Http404
    rows = access_record_list(subject_person_id=mandate.principal_person_id, mandate_id=mandate.id)
    return render(request, "mandates/trail.html", {"mandate": mandate, "rows": rows})


@login_required
@require_POST
def act(request: PortalRequest, mandate_id: int) -> HttpResponse:
    """The proxy opens the principal's file: a banner will say so on every page."""
    actor = _actor(request)
    if actor.person_id is None or actor.is_staff:
        raise Http404  # staff act in citizens' files only at the counter (assisted mode)
    mandate = selectors.mandate_for_acting(
        proxy_person_id=actor.person_id, mandate_id=mandate_id, on=timezone.localdate()
    )
    if mandate is None:
        raise Http404
    request.session[ACTING_FOR_SESSION_KEY] = mandate.id
    messages.info(request, _("You are now acting on behalf of %(name)s.") % {"name": mandate.principal_name})
    return redirect("portal:dashboard")


@login_required
@require_POST
def stop_acting(request: PortalRequest) -> HttpResponse:
    """Back to one's own file: to the dashboard, or to the page of one's own that was asked for
    while acting (``next``, an address of this site only)."""
    request.session.pop(ACTING_FOR_SESSION_KEY, None)
    messages.info(request, _("You are back in your own file."))
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(wanted)
    return redirect("portal:dashboard")
