"""What each page is while someone acts in another person's file (a proxy under a mandate, staff
at the counter): the principal's page, which speaks of the principal by name; a page that is
nobody's file; or a page that only makes sense for oneself, not offered while acting.

Every named page of the URLconf is classified here (the back office and the API aside: the
first is staff's own tool, the second answers software, never a person acting in a file);
``tests/portal/test_acting_pages.py`` walks the URLconf while acting and fails on a page that is
not. A page left out is treated as the signed-in person's own, so it fails closed."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.http import PortalRequest


class WhileActing(enum.StrEnum):
    PRINCIPAL = "principal"  # the principal's file: it names them (and records the read)
    NEUTRAL = "neutral"  # nobody's file: public pages, the language, signing out, stopping
    OWN = "own"  # the signed-in person's own account, inbox, mandates or enterprise roles
    COUNTER = "counter"  # staff at the counter only (the view answers 404 to anyone else)


# Namespaces and pages not walked: the back office (staff's own tool, with its own trail), the
# API and its schema (software with a key), the payment and identity check sandboxes (stand-ins
# for the providers), the probes and metrics (machines).
UNWALKED_NAMESPACES = ("admin", "payment_sandbox", "check_sandbox")
UNWALKED_PAGES = frozenset(
    {
        "api_schema",
        "api_rates",
        "api_employers",
        "api_declarations",
        "api_declaration",
        "api_employments",
        "api_employment_termination",
        "api_employment_cancellation",
        "api_uploads",
        "api_upload",
        "api_upload_anomalies",
        "api_life_events",
        "api_partner_schema",
        "healthz",
        "readyz",
        "favicon",
        "internal_metrics",
        "contributions:payment_callback",
        "benefits:life_check_callback",
    }
)

_OWN_ACCOUNT = (
    # allauth: one's sign-in, password, address, second factor and sessions.
    "account_login",
    "account_inactive",
    "account_signup",
    "account_email",
    "account_email_verification_sent",
    "account_confirm_email",
    "account_change_password",
    "account_set_password",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_login_code",
    "mfa_index",
    "mfa_authenticate",
    "identity:second_factor",
    "mfa_activate_totp",
    "identity:second_factor_set_up",
    # The employer's service cards lead to the enterprise's own pages.
    "portal:enterprise_service",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "usersessions_list",
    # Linking one's account to one's file.
    "identity:link_person",
    # One's inbox and how one is told.
    "notifications:inbox",
    "notifications:mark_all_read",
    "notifications:preferences",
    "notifications:phone",
    "notifications:message",
    "notifications:mark",
    # The mandates one gave or holds (choosing another one starts from one's own file).
    "mandates:list",
    "mandates:grant",
    "mandates:grant_professional",
    "mandates:request",
    "mandates:change",
    "mandates:trail",
    "mandates:act",
    "mandates:transition",
    # One's enterprise roles: what one does for an employer is not in the principal's file.
    "identity:representatives",
    "identity:representative_revoke",
    "identity:api_keys",
    "identity:api_key_revoke",
    "mandates:enterprise_clients",
    "mandates:enterprise_bureaus",
    "mandates:enterprise_bureau_revoke",
    "contributions:employees",
    "contributions:employee_action",
    "contributions:declarations",
    "contributions:declaration",
    "contributions:declaration_pdf",
    "contributions:account",
    "contributions:pay",
    "contributions:refund",
    "contributions:statement_csv",
    "contributions:payment",
    "contributions:certificate",
    "contributions:bulk_uploads",
    "contributions:bulk_upload",
    "contributions:bulk_upload_progress",
    "contributions:bulk_upload_anomalies",
)

_PRINCIPAL = (
    "portal:dashboard",
    # Shown only when the mandate lets the proxy view the file (the view decides).
    "portal:access_log",
    "identity:bank_account",
    "contributions:record",
    "contributions:record_report",
    "contributions:record_case",
    "contributions:statement",
    "contributions:statement_detail",
    "contributions:statement_status",
    "contributions:statement_pdf",
    "benefits:simulator",
    # A proxy files and follows the principal's claims when the mandate allows managing them,
    # reads them when it allows viewing the file (the views decide); each act is in the trail.
    "benefits:claims",
    "benefits:claim",
    "benefits:claim_start",
    "benefits:claim_step",
    "benefits:claim_document_add",
    "benefits:claim_document",
    "benefits:claim_document_remove",
    "benefits:claim_receipt",
    "benefits:claim_letter",
    "benefits:claim_message",
    "benefits:claim_information",
    "benefits:claim_withdraw",
    "benefits:claim_appeal",
    # The benefits proposed without an application: read as the claims are, answered (accepted,
    # declined or disputed) by those who manage the claims (the domain decides); each answer is in
    # the trail.
    "benefits:proposals",
    "benefits:proposal",
    "benefits:proposal_accept",
    "benefits:proposal_decline",
    "benefits:proposal_dispute",
    # Read by proxies whose mandate lets them view the file (the view decides).
    "benefits:payments",
    "benefits:payment_statement",
    # The life certificate: read with the view scope, sent with the claims' scope; the identity
    # check is the pensioner's own (the domain refuses a proxy).
    "benefits:life_certificate",
    "benefits:life_certificate_send",
    "benefits:life_check_start",
    "benefits:life_check_return",
)

_NEUTRAL = (
    "portal:home",
    "portal:language_set",
    "portal:api_docs",
    "portal:verify",
    "portal:status",
    "contributions:rates",
    # The schemes are public; signed in, a scheme's page also answers "am I entitled?" from the
    # open file (the principal's, named there, when the mandate allows viewing it).
    "benefits:schemes",
    "benefits:scheme",
    "contributions:bulk_format",
    "contributions:bulk_file",
    "account_logout",
    "mandates:stop_acting",
    # Confirming who acts, with one's own password or second factor: a change in the
    # principal's file (their bank account) asks for it.
    "account_reauthenticate",
    "mfa_reauthenticate",
    "identity:second_factor_again",
)

_COUNTER = (
    "portal:assisted_start",
    "portal:assisted_stop",
    "identity:counter_sign_in_address",
)

PAGES: dict[str, WhileActing] = {
    **dict.fromkeys(_OWN_ACCOUNT, WhileActing.OWN),
    **dict.fromkeys(_PRINCIPAL, WhileActing.PRINCIPAL),
    **dict.fromkeys(_NEUTRAL, WhileActing.NEUTRAL),
    **dict.fromkeys(_COUNTER, WhileActing.COUNTER),
}


def while_acting(view_name: str) -> WhileActing:
    """What the page named ``view_name`` is while acting; a page not classified is one's own."""
    return PAGES.get(view_name, WhileActing.OWN)


def not_while_acting(request: PortalRequest, *, refused_by_mandate: bool = False) -> HttpResponse:
    """The answer to a page of one's own reached while acting in someone else's file, or to a
    page of the principal's that the mandate does not open: it says whose file is open and
    offers the way back (404: the page is not part of this file)."""
    return render(
        request,
        "portal/not_while_acting.html",
        {"path": request.get_full_path(), "refused_by_mandate": refused_by_mandate},
        status=404,
    )


class ActingPagesMiddleware:
    """While someone acts in another person's file, a page of their own answers that it is not
    part of this file, whatever the address typed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        typed = cast(PortalRequest, request)
        actor = getattr(typed, "actor", None)
        if actor is None or not actor.acts_for_someone_else:
            return None
        match = request.resolver_match
        if match is None or match.namespace in UNWALKED_NAMESPACES or match.view_name in UNWALKED_PAGES:
            return None
        if while_acting(match.view_name) == WhileActing.OWN:
            return not_while_acting(typed)
        return None
