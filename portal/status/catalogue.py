"""The online services of the status page, and which routes (URL pattern names) each one is.

People know services, not URLs: the status page groups the routes into a handful of services.
A route is named by its URL pattern's name (with its namespace), never by its path. Every named
route is either in a service or in ``NOT_A_SERVICE`` (staff pages, health checks, the metrics
endpoint, the payment sandbox): a test walks the URL configuration and fails on a route nobody
placed, so a new page is counted from its first day.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DATABASE = "database"
CACHE = "cache"
BROKER = "broker"


@dataclass(frozen=True)
class OnlineService:
    key: str
    label: Promise
    # What the service cannot answer without; the database and the cache, for every one (the
    # sessions and the cached reads); the broker for those whose requests queue work (a file,
    # a statement, a message told after commit).
    needs: frozenset[str]


_ALWAYS = frozenset({DATABASE, CACHE})
_QUEUEING = frozenset({DATABASE, CACHE, BROKER})

SERVICES: tuple[OnlineService, ...] = (
    OnlineService("account", _("Sign-in and account"), _QUEUEING),
    OnlineService("file", _("My file and contribution record"), _ALWAYS),
    OnlineService("messages", _("My messages"), _ALWAYS),
    OnlineService("declarations", _("Declarations (form and API)"), _QUEUEING),
    OnlineService("bulk", _("Bulk declaration files"), _QUEUEING),
    OnlineService("payments", _("Employer's account and payments"), _QUEUEING),
    OnlineService("documents", _("Documents and their verification"), _QUEUEING),
    OnlineService("mandates", _("Mandates"), _QUEUEING),
    OnlineService("benefits", _("Benefits: conditions, entitlement, pension estimate and claims"), _QUEUEING),
    OnlineService("information", _("Service catalogue and public information"), _ALWAYS),
)
SERVICE_KEYS = frozenset(service.key for service in SERVICES)

# Whole namespaces, and the prefixes of django-allauth's route names (it has no namespace).
_BY_NAMESPACE = {"mandates": "mandates", "notifications": "messages", "benefits": "benefits"}
_BY_PREFIX = {"account_": "account", "mfa_": "account", "usersessions_": "account"}
_BY_NAME = {
    "portal:home": "information",
    "portal:api_docs": "information",
    "portal:status": "information",
    "portal:enterprise_service": "information",
    "contributions:rates": "information",
    "api_schema": "information",
    "api_partner_schema": "information",
    "api_life_events": "benefits",
    "api_rates": "declarations",
    "portal:dashboard": "file",
    "portal:access_log": "file",
    "contributions:record": "file",
    "contributions:record_report": "file",
    "contributions:record_case": "file",
    "portal:language_set": "account",
    "identity:link_person": "account",
    "identity:second_factor": "account",
    "identity:second_factor_again": "account",
    "identity:second_factor_set_up": "account",
    "identity:bank_account": "account",
    "identity:representatives": "account",
    "identity:representative_revoke": "account",
    "identity:api_keys": "account",
    "identity:api_key_revoke": "account",
    # How one is notified is a setting of one's account, not a message.
    "notifications:preferences": "account",
    "notifications:phone": "account",
    "contributions:employees": "declarations",
    "contributions:employee_action": "declarations",
    "contributions:declarations": "declarations",
    "contributions:declaration": "declarations",
    "api_employers": "declarations",
    "api_declarations": "declarations",
    "api_declaration": "declarations",
    "api_employments": "declarations",
    "api_employment_termination": "declarations",
    "api_employment_cancellation": "declarations",
    "contributions:bulk_uploads": "bulk",
    "contributions:bulk_format": "bulk",
    "contributions:bulk_file": "bulk",
    "contributions:bulk_upload": "bulk",
    "contributions:bulk_upload_progress": "bulk",
    "contributions:bulk_upload_anomalies": "bulk",
    "api_uploads": "bulk",
    "api_upload": "bulk",
    "api_upload_anomalies": "bulk",
    "contributions:account": "payments",
    "contributions:pay": "payments",
    "contributions:refund": "payments",
    "contributions:payment": "payments",
    "contributions:payment_callback": "payments",
    "contributions:statement_csv": "payments",
    "contributions:statement": "documents",
    "contributions:statement_detail": "documents",
    "contributions:statement_status": "documents",
    "contributions:statement_pdf": "documents",
    "contributions:declaration_pdf": "documents",
    "contributions:certificate": "documents",
    "portal:verify": "documents",
}

# Named routes that are no online service: staff pages (the back office, the counter), health
# checks, the metrics endpoint, the payment and identity check sandboxes (stand-ins for outside
# providers), the icon.
NOT_A_SERVICE_NAMESPACES = frozenset({"admin", "payment_sandbox", "check_sandbox"})
NOT_A_SERVICE = frozenset(
    {
        "healthz",
        "readyz",
        "internal_metrics",
        "favicon",
        "portal:assisted_start",
        "portal:assisted_stop",
        "identity:counter_sign_in_address",
    }
)


@functools.cache  # asked on every request; routes are a fixed, small set
def service_of_route(route: str) -> str | None:
    """The key of the online service a route (``namespace:name``) belongs to; None for a route
    that is none (staff, health, unnamed)."""
    service = _BY_NAME.get(route)
    if service is not None:
        return service
    namespace, _colon, name = route.rpartition(":")
    if namespace:
        return _BY_NAMESPACE.get(namespace.split(":", 1)[0])
    for prefix, service in _BY_PREFIX.items():
        if name.startswith(prefix):
            return service
    return None


def service_label(key: str) -> str:
    for service in SERVICES:
        if service.key == key:
            return str(service.label)
    raise LookupError(key)
