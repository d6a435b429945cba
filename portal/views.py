"""The one-stop shop's pages: home, dashboard, "who accessed my data", the API documentation,
the public status page, health checks and the operators' metrics."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import math

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language
from prometheus_client import CONTENT_TYPE_LATEST

from benefits.selectors import life_request_open, proposals_offered
from contributions.selectors import employment_list_for_person
from core.actor import ACTING_FOR_SESSION_KEY, ASSISTED_SESSION_KEY, Actor
from core.audit import access_record, access_record_list, file_view_record
from core.documents import document_verify
from core.http import PortalRequest
from core.types import SCOPE_LABELS_FOR_PROXY, AccessPurpose, Scope
from identity.selectors import (
    account_security,
    person_file_get,
    person_get,
    person_names,
    representation_list_for_user,
)
from identity.services import user_language_set
from identity.types import EnterpriseRole
from portal.acting import not_while_acting
from portal.api_schema import api_operations, error_codes, rate_text
from portal.catalogue import PERSONAS, catalogue_for, service_get
from portal.forms import AssistedForm, VerificationForm
from portal.metrics import metrics_exposition
from portal.middleware import can_serve_at_counter
from portal.status.catalogue import service_label
from portal.status.dependencies import dependencies_check
from portal.status.selectors import SERVER_ERROR_SHARE_DENOMINATOR, status_report
from portal.status.types import StatusReport

logger = logging.getLogger(__name__)


@require_GET
def home(request: PortalRequest) -> HttpResponse:
    persona = request.GET.get("persona")
    if persona not in PERSONAS:
        persona = None
    return render(
        request,
        "portal/home.html",
        {"situations": catalogue_for(persona), "personas": PERSONAS, "persona": persona},
    )


@login_required
@require_GET
def dashboard(request: PortalRequest) -> HttpResponse:
    actor = request.actor
    if actor.acts_for_someone_else:
        return _dashboard_for(request, actor)
    if actor.is_staff:
        return redirect("admin:index")
    person = person_get(person_id=actor.person_id) if actor.person_id else None
    security = account_security(user_id=actor.signed_in_user_id)
    representations = representation_list_for_user(user_id=actor.signed_in_user_id)
    return render(
        request,
        "portal/dashboard.html",
        {
            "person": person,
            "representations": representations,
            # A viewer only consults: the declaration files are for those who declare somewhere.
            "declares_somewhere": any(row.role != EnterpriseRole.VIEWER for row in representations),
            "employments": employment_list_for_person(person_id=actor.person_id) if actor.person_id else [],
            "has_mfa": security.has_mfa,
            "session_count": security.session_count,
            "level": actor.level_of_assurance,
            "life": life_request_open(person_id=actor.person_id) if actor.person_id else None,
            "proposals_offered": proposals_offered(person_id=actor.person_id) if actor.person_id else 0,
        },
    )


def _dashboard_for(request: PortalRequest, actor: Actor) -> HttpResponse:
    """The principal's file as a proxy sees it: only what the mandate's scopes allow, and each
    consultation is written in the principal's trail."""
    assert actor.subject_person_id is not None
    person = person_file_get(actor=actor, person_id=actor.subject_person_id, now=timezone.now())
    return render(
        request,
        "portal/dashboard_for.html",
        {
            "person": person,
            "scope_labels": [SCOPE_LABELS_FOR_PROXY[scope] for scope in Scope.values if scope in actor.scopes],
            "life": life_request_open(person_id=actor.subject_person_id) if person is not None else None,
            "proposals_offered": proposals_offered(person_id=actor.subject_person_id) if person is not None else 0,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assisted_start(request: PortalRequest, person_id: int) -> HttpResponse:
    """Staff at a counter open a citizen's file with a stated reason; the citizen sees it."""
    actor = request.actor
    if not can_serve_at_counter(request, actor):
        raise Http404
    names = person_names(person_ids=[person_id])
    if person_id not in names:
        raise Http404
    form = AssistedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.session.pop(ACTING_FOR_SESSION_KEY, None)
        reason = form.cleaned_data["reason"]
        request.session[ASSISTED_SESSION_KEY] = {"person_id": person_id, "reason": reason, "user_id": actor.user_id}
        access_record(
            actor=actor,
            subject_person_id=person_id,
            purpose=AccessPurpose.ASSISTED_VIEW,
            now=timezone.now(),
            detail=reason,
        )
        return redirect("portal:dashboard")
    return render(request, "portal/assisted_start.html", {"form": form, "name": names[person_id]})


@login_required
@require_POST
def assisted_stop(request: PortalRequest) -> HttpResponse:
    request.session.pop(ASSISTED_SESSION_KEY, None)
    return redirect("admin:index")


@login_required
@require_GET
def enterprise_service(request: PortalRequest, service: str) -> HttpResponse:
    """A service of the catalogue that lives on an enterprise's pages: the page of the person's
    enterprise, or the choice among the enterprises they act for in a role that reaches it."""
    chosen = service_get(service)
    if chosen is None or chosen.enterprise_url_name is None:
        raise Http404
    enterprises = [
        representation.enterprise
        for representation in representation_list_for_user(user_id=request.actor.signed_in_user_id)
        if representation.role in chosen.enterprise_roles
    ]
    if len(enterprises) == 1:
        return redirect(chosen.enterprise_url(enterprise_id=enterprises[0].id))
    choices = [(enterprise, chosen.enterprise_url(enterprise_id=enterprise.id)) for enterprise in enterprises]
    return render(request, "portal/enterprise_service.html", {"service": chosen, "choices": choices})


@login_required
@require_GET
def access_log(request: PortalRequest) -> HttpResponse:
    """Who accessed the data of the open file. In one's own file, one's own; acting for someone
    else, the principal's, when the mandate lets the proxy view the file (the read is written in
    the principal's trail, so it shows in this very list) — otherwise the page is not offered."""
    actor = request.actor
    if actor.acts_for_someone_else:
        if not actor.may(Scope.VIEW_FILE):
            return not_while_acting(request, refused_by_mandate=True)
        assert actor.subject_person_id is not None
        file_view_record(actor=actor, subject_person_id=actor.subject_person_id, what="access log", now=timezone.now())
        return render(
            request,
            "portal/access_log.html",
            {"rows": access_record_list(subject_person_id=actor.subject_person_id, about=actor.subject_name)},
        )
    if actor.person_id is None:
        return render(request, "portal/access_log.html", {"rows": None})
    return render(request, "portal/access_log.html", {"rows": access_record_list(subject_person_id=actor.person_id)})


@require_GET
def api_docs(request: PortalRequest) -> HttpResponse:
    """The API's documentation, rendered on the server from the OpenAPI schema (no JavaScript),
    in the reader's language, with every error code and its message."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return render(
        request,
        "portal/api_docs.html",
        {
            "operations": api_operations(language),
            "error_codes": error_codes(),
            "idempotency_days": settings.IDEMPOTENCY_KEY_DAYS,
            "max_lines": settings.API_DECLARATION_MAX_LINES,
            "rate_per_key": rate_text(settings.API_THROTTLE_RATES["key"]),
        },
    )


def _verification_client(request: PortalRequest) -> str:
    """Whose wrong codes are counted together: the client address (behind the trusted proxies,
    as allauth reads it), an IPv6 client by its /64 since one subscriber holds the whole block."""
    address = ipaddress.ip_address(get_adapter(request).get_client_ip(request))
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _verification_failures_key(client: str) -> str:
    return f"document-verification-failures:{client}"


def _verification_failure_count(client: str) -> None:
    key = _verification_failures_key(client)
    # A fixed window opened by the first wrong code: add() does nothing when it is open already.
    cache.add(key, 0, settings.DOCUMENT_VERIFICATION_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # the window closed between the two calls
        cache.set(key, 1, settings.DOCUMENT_VERIFICATION_WINDOW_SECONDS)


@require_GET
@never_cache
def verify(request: PortalRequest) -> HttpResponse:
    """The public check of a document's verification code, typed in the form or read from the
    document's QR code (``?code=``). It answers "authentic and valid", with what the registry may
    tell, or one same answer for a code unknown, expired or revoked. Wrong codes are limited per
    client address; beyond the limit every code is refused with 429, unchecked."""
    if "code" not in request.GET:
        return render(request, "portal/verify.html", {"form": VerificationForm()})
    client = _verification_client(request)
    if (cache.get(_verification_failures_key(client)) or 0) >= settings.DOCUMENT_VERIFICATION_MAX_FAILURES:
        response = render(
            request,
            "portal/verify.html",
            {"limited": True, "window_minutes": max(1, math.ceil(settings.DOCUMENT_VERIFICATION_WINDOW_SECONDS / 60))},
            status=429,
        )
        response["Retry-After"] = str(settings.DOCUMENT_VERIFICATION_WINDOW_SECONDS)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
    form = VerificationForm(request.GET)
    result = None
    status = 200
    if not form.is_valid():
        status = 400  # not a code at all: nothing was looked up, nothing is counted
    else:
        found = document_verify(code=form.cleaned_data["code"], now=timezone.now())
        if found is not None and found.is_valid_now:
            result = found
        else:
            _verification_failure_count(client)
            form.add_error(
                "code",
                _(
                    "No valid document has this code. Check the code; a document that has expired "
                    "or was withdrawn is no longer valid."
                ),
            )
    response = render(request, "portal/verify.html", {"form": form, "result": result}, status=status)
    # A code in the address must not land in a search engine.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_POST
def language_set(request: PortalRequest) -> HttpResponse:
    """Django's ``set_language``, remembering the choice on the account of a signed-in person."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_language_set(user_id=request.user.pk, language=language)
    return set_language(request)


_STATUS_CACHE_KEY = "portal:status-report"
# The page is computed at most once a minute (the figures move by the minute anyway).
STATUS_CACHE_SECONDS = 60


def _status_report_cached() -> StatusReport | None:
    """The report, from the cache or computed; None when the database does not answer. The
    page works without the cache (Redis down): it is then computed each time."""
    report = cache.get(_STATUS_CACHE_KEY)
    if isinstance(report, StatusReport):
        return report
    try:
        report = status_report(now=timezone.now())
    except DatabaseError:
        logger.warning("status page: the measurements cannot be read", exc_info=True)
        return None
    cache.set(_STATUS_CACHE_KEY, report, STATUS_CACHE_SECONDS)
    return report


@require_GET
def status(request: PortalRequest) -> HttpResponse:
    """The public status page: for each online service, over 24 hours, 7 days and 30 days, the
    share of requests answered in under a second and the availability, from the portal's own
    measurements; and the state of its dependencies at the last check. No sign-in, no
    JavaScript; it says so when there is nothing measured yet."""
    report = _status_report_cached()
    windows = []
    if report is not None:
        for window in report.windows:
            windows.append(
                {
                    "key": window.key,
                    "start": window.start,
                    "end": window.end,
                    "rows": [(service_label(figures.service), figures) for figures in window.services],
                    "measured": any(figures.fast.whole or figures.available.whole for figures in window.services),
                }
            )
    return render(
        request,
        "portal/status.html",
        {"report": report, "windows": windows, "error_percent": 100 // SERVER_ERROR_SHARE_DENOMINATOR},
    )


@require_GET
@never_cache
def internal_metrics(request: PortalRequest) -> HttpResponse:
    """Metrics in the Prometheus format, for the bearer of ``METRICS_TOKEN`` only. Anyone else —
    and everyone while the setting is empty — gets the same 404 as an address that does not
    exist."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Http404
    return HttpResponse(metrics_exposition(now=timezone.now()), content_type=CONTENT_TYPE_LATEST)


@require_GET
def favicon(request: PortalRequest) -> HttpResponse:
    return redirect(static("guichet/img/favicon.svg"), permanent=True)


@never_cache
def healthz(request: PortalRequest) -> HttpResponse:
    """The process is alive (no dependency is checked)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: PortalRequest) -> HttpResponse:
    """Database, Redis and the Celery broker are reachable; else 503 naming what fails."""
    states = dependencies_check()
    # "redis" is the cache's name in this answer since the first release: monitors read it.
    results = {"database": states["database"], "redis": states["cache"], "broker": states["broker"]}
    ready = all(results.values())
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {name: "ok" if state else "unavailable" for name, state in results.items()},
        },
        status=200 if ready else 503,
    )
