"""Pages of the identity app: linking one's account to one's file, enterprise roles, API keys."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.base.views import AuthenticateView, ReauthenticateView
from allauth.mfa.totp.views import ActivateTOTPView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.actor import ActingMode, LevelOfAssurance
from core.http import PortalRequest
from core.types import Scope
from identity import policies, selectors, services
from identity.forms import ApiKeyForm, BankAccountForm, LinkPersonForm, RepresentativeGrantForm, SignInAddressForm
from identity.types import ApiKeyScope, EnterpriseRole, EnterpriseSummary, IdentityError


@login_required
@require_http_methods(["GET", "POST"])
def link_person(request: PortalRequest) -> HttpResponse:
    actor = request.actor
    if actor.person_id is not None:
        messages.info(request, _("Your account is already linked to your file."))
        return redirect("portal:dashboard")
    form = LinkPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.account_link_person(
                user_id=actor.signed_in_user_id,
                national_number=form.cleaned_data["national_number"],
                code=form.cleaned_data["code"],
                now=timezone.now(),
            )
        except IdentityError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Welcome, %(name)s: your account is now linked to your file.") % {"name": person.full_name}
            )
            return redirect("portal:dashboard")
    return render(request, "identity/link_person.html", {"form": form})


def _enterprise_or_404(request: PortalRequest, enterprise_id: int) -> EnterpriseSummary:
    return selectors.enterprise_get_for_actor(actor=request.actor, enterprise_id=enterprise_id)


@login_required
@require_http_methods(["GET", "POST"])
def representatives(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    actor = request.actor
    enterprise = _enterprise_or_404(request, enterprise_id)
    role = request.enterprise_roles.get(enterprise_id)
    can_manage = policies.can_manage_representatives(actor=actor, actor_role=role)
    form = RepresentativeGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.representation_grant(
                actor=actor,
                enterprise_id=enterprise_id,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                now=timezone.now(),
            )
        except IdentityError as error:
            if can_manage:
                form.add_error(None, error.message)
            else:
                messages.error(request, str(error.message))
        else:
            messages.success(request, _("The role has been granted."))
            return redirect("identity:representatives", enterprise_id=enterprise_id)
    return render(
        request,
        "identity/representatives.html",
        {
            "enterprise": enterprise,
            "rows": selectors.representative_list(actor=actor, enterprise_id=enterprise_id),
            "form": form,
            "can_manage": can_manage,
            "role": role,
        },
    )


@login_required
@require_POST
def representative_revoke(request: PortalRequest, enterprise_id: int, representation_id: int) -> HttpResponse:
    _enterprise_or_404(request, enterprise_id)
    try:
        services.representation_revoke(
            actor=request.actor,
            enterprise_id=enterprise_id,
            representation_id=representation_id,
            now=timezone.now(),
        )
    except IdentityError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The role has been withdrawn."))
    return redirect("identity:representatives", enterprise_id=enterprise_id)


@login_required
@require_http_methods(["GET", "POST"])
def bank_account(request: PortalRequest) -> HttpResponse:
    """The bank account of the open file: one's own, or the principal's under a mandate."""
    actor = request.actor
    if actor.subject_person_id is None:
        return redirect("identity:link_person")
    can_change = actor.may(Scope.MANAGE_PAYMENT_DETAILS)
    form = BankAccountForm(request.POST or None)
    if request.method == "POST":
        if not can_change:
            raise Http404
        if form.is_valid():
            try:
                services.bank_account_set(
                    actor=actor,
                    person_id=actor.subject_person_id,
                    iban=form.cleaned_data["iban"],
                    holder_name=form.cleaned_data["holder_name"],
                    now=timezone.now(),
                )
            except IdentityError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The bank account is changed. Payments will go to it from now on."))
                return redirect("identity:bank_account")
    current = None
    if actor.may(Scope.VIEW_FILE):
        current = selectors.bank_account_get(actor=actor, person_id=actor.subject_person_id, now=timezone.now())
    elif not can_change:
        raise Http404
    return render(
        request,
        "identity/bank_account.html",
        {
            "current": current,
            "form": form,
            "can_change": can_change,
            "needs_mfa": not actor.has_level(LevelOfAssurance.SUBSTANTIAL),
        },
    )


_NEW_API_KEY_SESSION_KEY = "new_api_key"


def _administered_enterprise_or_404(request: PortalRequest, enterprise_id: int) -> EnterpriseSummary:
    """API keys are the administrators' business: to anyone else the page does not exist."""
    enterprise = _enterprise_or_404(request, enterprise_id)
    if request.enterprise_roles.get(enterprise_id) != EnterpriseRole.ADMINISTRATOR:
        raise Http404
    return enterprise


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """Create and revoke the enterprise's API keys; a new key is shown once, on this answer."""
    actor = request.actor
    enterprise = _administered_enterprise_or_404(request, enterprise_id)
    can_manage = policies.can_manage_representatives(actor=actor, actor_role=EnterpriseRole.ADMINISTRATOR)
    form = ApiKeyForm(request.POST or None)
    # A new key is put in the session once and shown on the page the creation redirects to: a
    # reload neither creates a second key nor shows this one again.
    new_key = request.session.pop(_NEW_API_KEY_SESSION_KEY, "") if request.method == "GET" else ""
    if request.method == "POST" and form.is_valid():
        try:
            _key_id, new_key = services.api_key_create(
                actor=actor,
                enterprise_id=enterprise_id,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                now=timezone.now(),
            )
        except IdentityError as error:
            form.add_error(None, error.message)
        else:
            request.session[_NEW_API_KEY_SESSION_KEY] = new_key
            return redirect("identity:api_keys", enterprise_id=enterprise_id)
    response = render(
        request,
        "identity/api_keys.html",
        {
            "enterprise": enterprise,
            "rows": selectors.api_key_list(actor=actor, enterprise_id=enterprise_id),
            "scope_labels": dict(ApiKeyScope.choices),
            "form": form,
            "can_manage": can_manage,
            "new_key": new_key,
        },
        status=400 if request.method == "POST" else 200,
    )
    # The key is on this page only: keep it out of every cache and the browser's history store.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_revoke(request: PortalRequest, enterprise_id: int, api_key_id: int) -> HttpResponse:
    _administered_enterprise_or_404(request, enterprise_id)
    try:
        services.api_key_revoke(
            actor=request.actor,
            enterprise_id=enterprise_id,
            api_key_id=api_key_id,
            now=timezone.now(),
        )
    except IdentityError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The key is revoked: software using it is refused from now on."))
    return redirect("identity:api_keys", enterprise_id=enterprise_id)


@login_required
@require_http_methods(["GET", "POST"])
def counter_sign_in_address(request: PortalRequest) -> HttpResponse:
    """At the counter, with the person present: send a link to the address they want to sign in
    with. The address changes only when the link is opened; the old address is told."""
    actor = request.actor
    if actor.mode != ActingMode.ASSISTED:
        raise Http404
    form = SignInAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"]
        try:
            user_id = services.sign_in_address_change_ask(actor=actor, new_address=address, now=timezone.now())
        except IdentityError as error:
            form.add_error("address", error.message)
        else:
            EmailAddress.objects.add_new_email(request, selectors.account_for_change(user_id=user_id), address)
            messages.success(
                request,
                _(
                    "A link was sent to %(address)s. The address changes when the person opens it; "
                    "the current address will be told."
                )
                % {"address": address.lower()},
            )
            return redirect("portal:dashboard")
    return render(
        request,
        "identity/counter_sign_in_address.html",
        {"form": form, "name": actor.subject_name},
        status=400 if request.method == "POST" else 200,
    )


def _refused_for_too_many_codes(form: Any, response: HttpResponse) -> HttpResponse:
    """Too many wrong second-factor codes answer 429, as too many wrong passwords do."""
    if form is not None and form.has_error("code", "too_many_login_attempts"):
        response.status_code = 429
    return response


class SecondFactorView(AuthenticateView):
    """allauth's second-factor step of signing in, answering 429 once codes are limited."""

    def form_invalid(self, form: Any) -> HttpResponse:
        return _refused_for_too_many_codes(form, super().form_invalid(form))


class SecondFactorAgainView(ReauthenticateView):
    """allauth's confirmation of the second factor in a session, answering 429 as above."""

    def form_invalid(self, form: Any) -> HttpResponse:
        return _refused_for_too_many_codes(form, super().form_invalid(form))


_SET_UP_NEXT_SESSION_KEY = "second_factor_set_up_next"


class SecondFactorSetUpView(ActivateTOTPView):
    """allauth's set-up of an authenticator app, remembering the page that asked for a second
    factor (``?next=``): once the app is set up, the person reads their recovery codes, with a
    link back to that page. The session's level rises at once (identity.adapters)."""

    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        next_url = request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            request.session[_SET_UP_NEXT_SESSION_KEY] = next_url
        return super().get(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        next_url = self.request.session.pop(_SET_UP_NEXT_SESSION_KEY, None)
        if next_url:
            messages.info(
                self.request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Your second factor is set up. Keep your recovery codes somewhere safe, then:"),
                    next_url,
                    _("go back to the page you were on"),
                ),
            )
        return response
