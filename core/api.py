"""What every machine API of the portal shares: one error shape, idempotent POSTs, throttling
and pagination.

Every error answers ``{"code", "message", "errors": [{"line", "field", "code", "severity",
"message"}]}``: ``code`` is stable (payroll software branches on it), ``message`` is in the
request's language (``Accept-Language``), ``errors`` details the anomalies when there are any.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from core.actor import Actor
from core.errors import RETRY_AFTER_SECONDS, DomainError, NotFound, unavailable_part
from core.models import IdempotencyRecord
from core.periods import Period

# The errors of the API itself (each domain adds the codes of its anomalies).
API_ERROR_MESSAGES = {
    "unauthenticated": _("Send a valid API key: Authorization: Bearer <key>."),
    "scope_missing": _("This API key may not do this: its scopes do not allow it."),
    "not_found": _("Not found, or not accessible with this API key."),
    "method_not_allowed": _("This method is not allowed here."),
    "not_acceptable": _("This API answers in JSON only (Accept: application/json)."),
    "malformed_request": _("The request body is not valid JSON."),
    "unsupported_media_type": _("Send the request body as application/json."),
    "payload_too_large": _("The request body is too large."),
    "invalid_request": _("The request does not follow the documented schema."),
    "throttled": _("Too many requests: wait before trying again."),
    "idempotency_key_missing": _("Every POST needs an Idempotency-Key header (1 to 100 visible ASCII characters)."),
    "idempotency_key_reused": _("This Idempotency-Key was already used for a different request."),
    "declaration_rejected": _(
        "The declaration is rejected: nothing was stored. Correct every error and send it again."
    ),
    "employment_refused": _("The employment declaration is refused: nothing was stored."),
    "server_error": _("Something went wrong on our side. Try again later."),
    "unavailable": _(
        "The service is temporarily unavailable: nothing was changed. Send the request again after the"
        " seconds given in Retry-After."
    ),
}

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
# 1 to 100 visible ASCII characters; the schema documents the same pattern.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,100}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


class ApiError(exceptions.APIException):
    """An error in the documented shape, raised by API views."""

    def __init__(self, code: str, status_code: int, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail=str(API_ERROR_MESSAGES[code]), code=code)
        self.status_code = status_code
        self.error_code = code
        self.errors = errors or []


def error_body(code: str, errors: list[dict[str, Any]] | None = None, message: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message or str(API_ERROR_MESSAGES[code]), "errors": errors or []}


def _item(path: str, code: str, message: str) -> dict[str, Any]:
    """One validation error; an error inside ``lines`` names its line (1 for the first) and the
    field within it, like the anomalies of the declaration checks. Its code is one of the
    documented ``VALIDATION_CODES``: DRF's own are translated (its message stays, in the
    request's language)."""
    line = None
    parts = path.split(".")
    if len(parts) >= 3 and parts[0] == "lines" and parts[1].isdigit():
        line, path = int(parts[1]) + 1, ".".join(parts[2:])
    return {"line": line, "field": path, "code": validation_code(code), "severity": "error", "message": message}


def _flatten(detail: Any, path: str = "") -> list[dict[str, Any]]:
    """A serializer's nested errors as a flat list of documented items."""
    if isinstance(detail, dict):
        return [
            item for key, value in detail.items() for item in _flatten(value, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail) for item in detail):
            return [_item(path, str(item.code), str(item)) for item in detail]
        return [item for index, value in enumerate(detail) for item in _flatten(value, f"{path}.{index}")]
    return [_item(path, str(getattr(detail, "code", "invalid")), str(detail))]


# The codes of ``errors[].code`` in a technical rejection (400): the checks of the request schema.
VALIDATION_CODES = {
    "required": _("This field is required."),
    "null": _("This field may not be null."),
    "blank": _("This field may not be blank."),
    "invalid": _("This value is not valid."),
    "invalid_choice": _("This value is not one of the allowed choices."),
    "max_length": _("This value is too long."),
    "min_length": _("This value is too short."),
    "max_value": _("This value is too large."),
    "min_value": _("This value is too small."),
    "not_a_list": _("A list is expected."),
    "empty": _("This list may not be empty."),
    "not_a_dict": _("An object is expected."),
    "period_format": _("The period must be written YYYY-MM."),
}

# DRF's codes that are not documented, and the documented code each one answers as: the schema
# lists every code an answer can carry, so a field's code outside the list cannot reach a client.
_DRF_CODES = {
    "null_characters_not_allowed": "invalid",
    "surrogate_characters_not_allowed": "invalid",
    "max_string_length": "max_value",
    "max_digits": "max_value",
    "max_whole_digits": "max_value",
    "max_decimal_places": "invalid",
    "datetime": "invalid",
    "date": "invalid",
    "make_aware": "invalid",
    "overflow": "invalid",
    "no_name": "invalid",
}


def validation_code(code: str) -> str:
    """The documented code of a validation error: its own when documented, else the one it maps
    to, else ``invalid``."""
    return code if code in VALIDATION_CODES else _DRF_CODES.get(code, "invalid")


# A month written YYYY-MM, of the years ``core.periods.Period`` accepts (1900 to 9999).
PERIOD_PATTERN = r"^(19[0-9]{2}|[2-9][0-9]{3})-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)


@extend_schema_field({"type": "string", "pattern": PERIOD_PATTERN, "example": "2026-10"})
class PeriodField(serializers.Field):
    """An API input that is a period: ``YYYY-MM``, read as a ``core.periods.Period`` (whose bounds
    are the pattern's), refused with the documented ``period_format`` otherwise."""

    default_error_messages = {"period_format": VALIDATION_CODES["period_format"]}

    def to_internal_value(self, data: Any) -> Period:
        if isinstance(data, str) and _PERIOD.fullmatch(data):
            try:
                return Period.parse(data)
            except ValueError:
                pass
        self.fail("period_format")

    def to_representation(self, value: Period) -> str:
        return str(value)


class QuerySerializer(serializers.Serializer):
    """The query parameters of a request. DRF reads a query string as an HTML form, where an
    empty value (``?status=``) stands for an absent one; a client of this API that sends one means
    something by it, so here it is checked like any other value — and refused with the field's
    own code rather than silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, QueryDict):
            data = data.dict()
        return super().to_internal_value(data)


_STATUS_CODES = {
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.PermissionDenied: "scope_missing",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.ParseError: "malformed_request",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid_request",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every error in the one documented shape."""
    # Imported here: rest_framework.views reads the settings that name this module's classes.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("payload_too_large"), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    part = unavailable_part(exc)
    if part is not None:
        # A part that did not answer (the database, the file storage): try again, nothing changed.
        logger.error("API request: a dependency did not answer", exc_info=exc, extra={"part": part})
        return Response(
            error_body("unavailable"),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    if isinstance(exc, Http404 | NotFound):
        exc = exceptions.NotFound()
    elif isinstance(exc, DomainError):
        # A refusal the view did not word itself: its own code and message, and its anomalies.
        body = error_body("invalid_request", exc.errors, message=exc.message)
        body["code"] = exc.code
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ApiError):
        return Response(error_body(exc.error_code, exc.errors), status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        # An unexpected error: logged with its traceback and the request id; the client gets
        # the documented shape, not an HTML page.
        logger.error("API request failed", exc_info=exc)
        return Response(error_body("server_error"), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    code = next((code for kind, code in _STATUS_CODES.items() if isinstance(exc, kind)), "invalid_request")
    errors = _flatten(exc.detail) if isinstance(exc, exceptions.ValidationError) else []
    response.data = error_body(code, errors)
    return response


def api_actor(request: Request) -> Actor:
    """Who acts in an API request: the machine actor of its API key (``request.user``, set by
    the API's authentication); an error answer for a request without one."""
    actor = request.user
    if not isinstance(actor, Actor):
        raise exceptions.NotAuthenticated()
    return actor


class ApiThrottle(SimpleRateThrottle):
    """Requests per API key (per client address without a key), at the rates of
    ``API_THROTTLE_RATES`` read on every request, so they can be changed without a restart of
    the code that defines them."""

    def get_rate(self) -> str | None:
        return None  # decided per request in allow_request

    def allow_request(self, request: Request, view: Any) -> bool:
        credential = getattr(request, "auth", None)
        api_key_id = getattr(credential, "api_key_id", None)
        self.scope = "key" if api_key_id is not None else "anonymous"
        self.rate = settings.API_THROTTLE_RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        credential = getattr(request, "auth", None)
        api_key_id = getattr(credential, "api_key_id", None)
        ident = f"key-{api_key_id}" if api_key_id is not None else self.get_ident(request)
        return f"throttle_api_{self.scope}_{ident}"


class PageQuerySerializer(QuerySerializer):
    page = serializers.IntegerField(min_value=1, required=False)
    page_size = serializers.IntegerField(min_value=1, required=False)


class Pagination(PageNumberPagination):
    """Pages of 50 results by default, of at most 500 (a larger ``page_size`` is taken as 500).
    ``page`` and ``page_size`` are checked like any other query parameter: a value that is not a
    positive integer (``?page_size=``, ``?page_size=null``) is refused, not replaced by the
    default; a page beyond the last answers 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    _query: dict[str, int]

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self._query = dict(query.validated_data)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        return min(self._query.get("page_size", self.page_size), self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return self._query.get("page", 1)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": str(_("The page, from 1; a page beyond the last answers 404 (not_found).")),
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": str(_("Results per page: 50 if absent, at most 500 (a larger value is taken as 500).")),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


def _fingerprint(request: Request) -> str:
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def idempotent(request: Request, *, owner: str, handler: Callable[[], tuple[int, dict[str, Any]]]) -> Response:
    """Run ``handler`` once per (owner, Idempotency-Key) and answer its first result to every
    repeat. The record is inserted in the handler's transaction: a concurrent repeat waits on
    the unique index until the first commits, then reads its answer; if the first fails, its
    record disappears with it and the repeat runs afresh. Errors raised by the handler are not
    recorded (nothing was done)."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError("idempotency_key_missing", status.HTTP_400_BAD_REQUEST)
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            owner=owner, key=key, defaults={"fingerprint": fingerprint, "created_at": timezone.now()}
        )
        if not created:
            if record.fingerprint != fingerprint:
                raise ApiError("idempotency_key_reused", status.HTTP_422_UNPROCESSABLE_ENTITY)
            return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        status_code, body = handler()
        IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status_code, body=body)
    return Response(body, status=status_code)


def idempotency_records_purge(*, now: datetime.datetime) -> int:
    """Keys are honoured for ``IDEMPOTENCY_KEY_DAYS`` days, then forgotten."""
    horizon = now - datetime.timedelta(days=settings.IDEMPOTENCY_KEY_DAYS)
    deleted, _unused = IdempotencyRecord.objects.filter(created_at__lt=horizon).delete()
    return deleted


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under the API, whatever the method: a 404 in the documented shape, not an
    HTML page. Exempt from the CSRF check like every API view (DRF's are): the API has no
    cookies to protect, and a POST here would otherwise answer Django's HTML 403 page."""
    return JsonResponse(error_body("not_found"), status=404)
