"""Per-request context: the actor (who acts, how surely, for whom), the MFA rule, and the
measure of every request (its time, for the metrics and the status page)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import cast

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core.actor import (
    ACTING_FOR_SESSION_KEY,
    ANONYMOUS_ACTOR,
    ASSISTED_SESSION_KEY,
    ActingMode,
    Actor,
    LevelOfAssurance,
)
from core.http import PortalRequest
from core.types import Scope
from identity import policies
from identity.selectors import account_facts_of, person_names
from mandates.selectors import mandate_for_acting
from portal.metrics import request_observe
from portal.status.catalogue import service_of_route
from portal.status.counting import request_count


class RequestMeasureMiddleware:
    """First in the chain: times every request, from the moment it reaches the application to
    the moment its answer leaves it (a streamed file: until its first bytes). The time goes to
    the Prometheus histogram by route — the URL pattern's name, never the path — and, for the
    routes of an online service, to the per-minute counts of the status page. Memory only: no
    database and no network on the way (``portal.status.counting``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        match = request.resolver_match
        if match is not None:
            route = match.view_name
        elif request.path.startswith(self.static_prefix):
            route = "static"
        else:
            route = "unresolved"  # a 404 before any view, or a middleware that answered first
        status = response.status_code
        request_observe(route=route, method=request.method or "", status=status, seconds=seconds)
        service = service_of_route(route)
        if service is not None:
            request_count(service=service, seconds=seconds, status=status, at=time.time())
        return response


def level_of_assurance(request: HttpRequest) -> LevelOfAssurance:
    if not request.user.is_authenticated:
        return LevelOfAssurance.NONE
    methods = {record.get("method") for record in get_authentication_records(request, request.user)}
    if "mfa" in methods:
        return LevelOfAssurance.SUBSTANTIAL
    return LevelOfAssurance.LOW


def can_serve_at_counter(request: HttpRequest, actor: Actor) -> bool:
    """Counter staff (a permission of their group), signed in with a second factor."""
    return bool(
        request.user.is_authenticated
        and request.user.is_staff
        and request.user.has_perm("identity.serve_at_counter")
        and actor.has_level(LevelOfAssurance.SUBSTANTIAL)
    )


class ActorMiddleware:
    """Builds ``request.actor`` once per request; sets ``request.must_enrol_mfa``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        typed = cast(PortalRequest, request)
        typed.actor = ANONYMOUS_ACTOR
        typed.must_enrol_mfa = False
        typed.has_second_factor = False
        typed.enterprise_roles = {}
        user = request.user
        if user.is_authenticated:
            facts = account_facts_of(user=user)
            actor = Actor(
                user_id=user.pk,
                level_of_assurance=level_of_assurance(request),
                mode=ActingMode.STAFF if user.is_staff else ActingMode.SELF,
                person_id=facts.person_id,
                subject_person_id=facts.person_id,
                is_staff=user.is_staff,
                enterprise_ids=frozenset(facts.enterprise_roles),
            )
            typed.actor = self._acting_for(request, actor)
            typed.enterprise_roles = facts.enterprise_roles
            typed.has_second_factor = facts.has_mfa
            typed.must_enrol_mfa = (
                policies.must_use_mfa(
                    is_staff=user.is_staff, is_enterprise_administrator=facts.is_enterprise_administrator
                )
                and not facts.has_mfa
            )
        return self.get_response(request)

    @staticmethod
    def _assisted(request: HttpRequest, actor: Actor) -> Actor:
        """Staff serving a citizen at the counter ("assisted digital"), with a stated reason."""
        opened = request.session.get(ASSISTED_SESSION_KEY)
        if not opened:
            return actor
        if not can_serve_at_counter(request, actor) or opened.get("user_id") != actor.user_id:
            del request.session[ASSISTED_SESSION_KEY]
            return actor
        person_id = int(opened["person_id"])
        name = person_names(person_ids=[person_id]).get(person_id)
        if name is None:
            del request.session[ASSISTED_SESSION_KEY]
            return actor
        return replace(
            actor,
            mode=ActingMode.ASSISTED,
            subject_person_id=person_id,
            scopes=frozenset(Scope.values),
            subject_name=name,
            assisted_reason=str(opened.get("reason", "")),
        )

    @staticmethod
    def _acting_for(request: HttpRequest, actor: Actor) -> Actor:
        """Under a mandate the proxy chose to act under, if it is still in force today; the
        mandates app is asked on every request, so a revoked mandate stops at once."""
        if actor.is_staff:
            return ActorMiddleware._assisted(request, actor)
        mandate_id = request.session.get(ACTING_FOR_SESSION_KEY)
        if mandate_id is None or actor.person_id is None:
            return actor
        mandate = mandate_for_acting(
            proxy_person_id=actor.person_id, mandate_id=int(mandate_id), on=timezone.localdate()
        )
        if mandate is None:
            del request.session[ACTING_FOR_SESSION_KEY]
            return actor
        return replace(
            actor,
            mode=ActingMode.PROXY,
            subject_person_id=mandate.principal_person_id,
            mandate_id=mandate.id,
            scopes=frozenset(mandate.scopes),
            subject_name=mandate.principal_name,
        )


# Pages a person who must enrol a second factor can still reach.
_MFA_ENROLMENT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/readyz", "/language/")


class MfaRequiredMiddleware:
    """Staff and enterprise administrators without a second factor are sent to enrol one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "must_enrol_mfa", False) and not request.path.startswith(_MFA_ENROLMENT_PREFIXES):
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class PrivatePagesMiddleware:
    """A page answered to a signed-in person holds their data, or someone else's they may see:
    no cache (the browser's, a proxy's) keeps it. A page that chose its own caching keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The API's views replace the user (None without a key, the key's actor with one).
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
