"""The contributions API for payroll software (``/api/v1/``): each view checks the key, makes
one domain call and translates its answer. The rules live in the services; the form, the API
and bulk files share them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions import policies, reads, selectors, services
from contributions.api import serializers as s
from contributions.declarations import declaration_submit
from contributions.models import Channel, Declaration, DeclarationWarning
from contributions.types import ANOMALY_MESSAGES, Anomaly, EmploymentError, LineInput
from core.api import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    ApiError,
    Pagination,
    api_actor,
    error_body,
    idempotent,
)
from core.periods import Period
from identity import selectors as identity_selectors
from identity.types import ApiKeyScope

# The error answers every endpoint documents (shared by the API's modules).
ERROR_RESPONSES = {
    400: OpenApiResponse(s.ErrorSerializer, description=_("Technical rejection: malformed JSON, schema, missing key.")),
    401: OpenApiResponse(s.ErrorSerializer, description=_("No API key, or an unknown or revoked one.")),
    403: OpenApiResponse(s.ErrorSerializer, description=_("The key's scopes do not allow this (scope_missing).")),
    404: OpenApiResponse(
        s.ErrorSerializer, description=_("Unknown employer or object, or not accessible to this key.")
    ),
    429: OpenApiResponse(s.ErrorSerializer, description=_("Too many requests (throttled); see Retry-After.")),
}
_POST_ERRORS = {
    **ERROR_RESPONSES,
    413: OpenApiResponse(s.ErrorSerializer, description=_("The request body is too large.")),
    422: OpenApiResponse(
        s.ErrorSerializer,
        description=_(
            "Refused: every anomaly is listed with its line, field and code; nothing was stored. "
            "Also idempotency_key_reused."
        ),
    ),
}
_IDEMPOTENCY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    pattern=IDEMPOTENCY_KEY_PATTERN,
    description=_(
        "A unique value per operation (e.g. a UUID). Sending the same key again answers the first "
        "result without acting twice. Remembered for IDEMPOTENCY_KEY_DAYS days (7 by default)."
    ),
)
_EMPLOYER = OpenApiParameter("employer_number", str, OpenApiParameter.PATH, description=_("The enterprise number."))
_REFERENCE = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description=_("The declaration's reference, as answered when it was filed."),
)
_EMPLOYMENT = OpenApiParameter(
    "employment_id", int, OpenApiParameter.PATH, description=_("The employment's id, as answered when it was declared.")
)


def _answer(serializer: Any, description: Any) -> OpenApiResponse:
    return OpenApiResponse(response=serializer, description=description)


def _employer(request: Request, employer_number: str, access: str) -> int:
    """The enterprise the key may act for (its own, or one that mandated it as bureau); 404
    otherwise, whether it exists or not."""
    actor = api_actor(request)
    if access not in actor.scopes:
        raise ApiError("scope_missing", status.HTTP_403_FORBIDDEN)
    enterprise_id = identity_selectors.enterprise_by_number(enterprise_number=employer_number).id
    allowed, _bureau = policies.declaring_capacity(
        actor=actor, enterprise_id=enterprise_id, on=timezone.localdate(), access=access
    )
    if not allowed:
        raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
    return enterprise_id


def _owner(request: Request) -> str:
    return f"api-key:{api_actor(request).api_key_id}"


def _anomaly(anomaly: Anomaly) -> dict[str, Any]:
    return {
        "line": anomaly.line_number,
        "field": anomaly.field,
        "code": anomaly.code,
        "severity": anomaly.severity,
        "message": anomaly.message,
    }


def _declaration(declaration: Declaration) -> dict[str, Any]:
    return {
        "reference": declaration.reference,
        "period": declaration.period,
        "version": declaration.version,
        "status": declaration.status,
        "channel": declaration.channel,
        "submitted_at": declaration.submitted_at,
        "line_count": declaration.line_count,
        "total_wages": declaration.total_wages,
        "totals": [
            {"branch": branch, "employee": Decimal(amounts[0]), "employer": Decimal(amounts[1])}
            for branch, amounts in declaration.totals.items()
        ],
    }


def _warnings(warnings: list[DeclarationWarning]) -> list[dict[str, Any]]:
    return [
        {"line": w.line_number, "field": w.field, "code": w.code, "message": str(ANOMALY_MESSAGES.get(w.code, w.code))}
        for w in warnings
    ]


class RatesApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="rates_in_force",
        summary=_("Contribution rates in force for a period"),
        description=_(
            "Per branch and worker category, the employee and employer shares and the monthly wage "
            "ceiling in force on the first day of the period."
        ),
        parameters=[s.PeriodQuerySerializer],
        responses={
            200: _answer(s.RatesSerializer, _("The rates in force, for each branch and worker category.")),
            400: ERROR_RESPONSES[400],
            429: ERROR_RESPONSES[429],
        },
        tags=["rates"],
    )
    def get(self, request: Request) -> Response:
        query = s.PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period: Period = query.validated_data.get("period") or Period.of(timezone.localdate())
        rates = selectors.rates_for_period(period=period)
        return Response(s.RatesSerializer({"period": str(period), "rates": [vars(rate) for rate in rates]}).data)


class EmployerListApi(APIView):
    @extend_schema(
        operation_id="employers_list",
        summary=_("Employers this key may declare for"),
        description=_(
            "The key's own enterprise and, for a payroll bureau, every employer whose mandate to declare is in force."
        ),
        responses={
            200: _answer(s.EmployerSerializer(many=True), _("The employers, each with its enterprise number.")),
            401: ERROR_RESPONSES[401],
            429: ERROR_RESPONSES[429],
        },
        tags=["employers"],
    )
    def get(self, request: Request) -> Response:
        actor = api_actor(request)
        own = set(actor.enterprise_ids)
        clients = set(policies.enterprises_mandating(actor=actor, on=timezone.localdate())) - own
        rows = identity_selectors.enterprise_summaries(enterprise_ids=sorted(own | clients))
        return Response(
            s.EmployerSerializer(
                [
                    {"enterprise_number": e.enterprise_number, "name": e.name, "through_mandate": e.id in clients}
                    for e in rows
                ],
                many=True,
            ).data
        )


class DeclarationListApi(GenericAPIView):
    pagination_class = Pagination
    serializer_class = s.DeclarationSerializer

    @extend_schema(
        operation_id="declarations_list",
        summary=_("The employer's declarations"),
        description=_("Every version, newest period first; filter by period and status. Needs the read scope."),
        parameters=[_EMPLOYER, s.DeclarationFilterSerializer],
        responses={200: s.DeclarationSerializer(many=True), **ERROR_RESPONSES},
        tags=["declarations"],
    )
    def get(self, request: Request, employer_number: str) -> Response:
        enterprise_id = _employer(request, employer_number, ApiKeyScope.READ)
        filters = s.DeclarationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        period_from, period_to = (filters.validated_data.get(name) for name in ("period_from", "period_to"))
        declarations = reads.declaration_queryset(
            enterprise_id=enterprise_id,
            period_from=str(period_from) if period_from else None,
            period_to=str(period_to) if period_to else None,
            status=filters.validated_data.get("status"),
        )
        page = self.paginate_queryset(declarations)
        assert page is not None
        return self.get_paginated_response(s.DeclarationSerializer([_declaration(d) for d in page], many=True).data)

    @extend_schema(
        operation_id="declarations_submit",
        summary=_("File a monthly declaration"),
        description=_(
            "Checks every line with the rules of every channel. Accepted (201): the reference, totals "
            "per branch and the warnings kept with it. Refused (422, code declaration_rejected): every anomaly by "
            "line and field, and nothing is stored. With replace=true, the new version replaces the one in force "
            "atomically. Needs the declare scope."
        ),
        parameters=[_EMPLOYER, _IDEMPOTENCY],
        request=s.DeclarationInputSerializer,
        responses={
            201: _answer(s.DeclarationAcceptedSerializer, _("Accepted: the declaration, its totals and its warnings.")),
            **_POST_ERRORS,
        },
        tags=["declarations"],
    )
    def post(self, request: Request, employer_number: str) -> Response:
        enterprise_id = _employer(request, employer_number, ApiKeyScope.DECLARE)
        data = s.DeclarationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def submit() -> tuple[int, dict[str, Any]]:
            result = declaration_submit(
                actor=api_actor(request),
                enterprise_id=enterprise_id,
                period=str(data.validated_data["period"]),
                lines=[LineInput(**line) for line in data.validated_data["lines"]],
                replace=data.validated_data["replace"],
                channel=Channel.API,
                now=timezone.now(),
            )
            if not result.accepted:
                return 422, error_body("declaration_rejected", [_anomaly(a) for a in result.anomalies])
            assert result.declaration_id is not None
            declaration, _lines, warnings = reads.declaration_get(
                enterprise_id=enterprise_id, declaration_id=result.declaration_id
            )
            body = {**_declaration(declaration), "warnings": _warnings(warnings)}
            return 201, dict(s.DeclarationAcceptedSerializer(body).data)

        return idempotent(request, owner=_owner(request), handler=submit)


class DeclarationDetailApi(APIView):
    @extend_schema(
        operation_id="declarations_get",
        summary=_("One declaration, with its lines and warnings"),
        parameters=[_EMPLOYER, _REFERENCE],
        responses={
            200: _answer(s.DeclarationDetailSerializer, _("The declaration, its lines and its warnings.")),
            **ERROR_RESPONSES,
        },
        tags=["declarations"],
    )
    def get(self, request: Request, employer_number: str, reference: str) -> Response:
        enterprise_id = _employer(request, employer_number, ApiKeyScope.READ)
        try:
            declaration, lines, warnings = reads.declaration_by_reference(
                enterprise_id=enterprise_id, reference=reference
            )
        except LookupError:
            raise ApiError("not_found", status.HTTP_404_NOT_FOUND) from None
        numbers = identity_selectors.person_national_numbers(person_ids=[line.person_id for line in lines])
        body = {
            **_declaration(declaration),
            "warnings": _warnings(warnings),
            "lines": [
                {
                    "line": line.line_number,
                    "national_number": numbers.get(line.person_id, ""),
                    "worker_category": line.worker_category,
                    "gross_wage": line.gross_wage,
                    "days_worked": line.days_worked,
                    "employee_amount": line.employee_amount,
                    "employer_amount": line.employer_amount,
                }
                for line in lines
            ],
        }
        return Response(s.DeclarationDetailSerializer(body).data)


_EMPLOYMENT_FIELDS = {
    "worker_category": "worker_category",
    "start_in_past": "start_date",
    "overlap": "start_date",
    "already_ended": "end_date",
    "end_before_start": "end_date",
    "end_date": "end_date",
}


def _refused(error: EmploymentError) -> tuple[int, dict[str, Any]]:
    field = _EMPLOYMENT_FIELDS.get(
        error.code, "national_number" if "number" in error.code or "person" in error.code else ""
    )
    item = {"line": None, "field": field, "code": error.code, "severity": "error", "message": str(error.message)}
    return 422, error_body("employment_refused", [item])


def _register_answer(action: Callable[[], tuple[int, dict[str, Any]]]) -> Callable[[], tuple[int, dict[str, Any]]]:
    """An action on the employment register, answering its refusals in the API's terms: an
    employment out of reach is not found (nothing recorded), a refusal is a 422 (recorded, so a
    repeat of the same request answers it again)."""

    def answer() -> tuple[int, dict[str, Any]]:
        try:
            return action()
        except EmploymentError as error:
            return _refused(error)

    return answer


def _employment(row: Any, national_number: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "national_number": national_number,
        "name": row.person_name,
        "worker_category": row.worker_category,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "cancelled": row.cancelled,
    }


class EmploymentListApi(GenericAPIView):
    pagination_class = Pagination
    serializer_class = s.EmploymentSerializer

    @extend_schema(
        operation_id="employments_list",
        summary=_("The employer's register of employments"),
        description=_("Newest first, cancelled hires included (marked). Needs the read scope."),
        parameters=[_EMPLOYER, s.EmploymentFilterSerializer],
        responses={200: s.EmploymentSerializer(many=True), **ERROR_RESPONSES},
        tags=["employments"],
    )
    def get(self, request: Request, employer_number: str) -> Response:
        enterprise_id = _employer(request, employer_number, ApiKeyScope.READ)
        filters = s.EmploymentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(reads.employment_queryset(enterprise_id=enterprise_id, **filters.validated_data))
        assert page is not None
        rows = reads.employment_rows(employments=list(page))
        numbers = identity_selectors.person_national_numbers(person_ids=[row.person_id for row in rows])
        return self.get_paginated_response(
            s.EmploymentSerializer([_employment(row, numbers.get(row.person_id, "")) for row in rows], many=True).data
        )

    @extend_schema(
        operation_id="employments_hire",
        summary=_("Declare a hire"),
        description=_(
            "Before the first day of work. Refused (422, code employment_refused) for an unknown or "
            "deceased person, a start in the past or an overlap with an employment at the same employer. Needs "
            "the declare scope."
        ),
        parameters=[_EMPLOYER, _IDEMPOTENCY],
        request=s.HireInputSerializer,
        responses={201: _answer(s.EmploymentSerializer, _("Declared: the employment.")), **_POST_ERRORS},
        tags=["employments"],
    )
    def post(self, request: Request, employer_number: str) -> Response:
        enterprise_id = _employer(request, employer_number, ApiKeyScope.DECLARE)
        data = s.HireInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def hire() -> tuple[int, dict[str, Any]]:
            employment_id = services.employment_hire(
                actor=api_actor(request), enterprise_id=enterprise_id, now=timezone.now(), **data.validated_data
            )
            return 201, _employment_body(enterprise_id, employment_id)

        return idempotent(request, owner=_owner(request), handler=_register_answer(hire))


def _employment_body(enterprise_id: int, employment_id: int) -> dict[str, Any]:
    rows = reads.employment_rows(
        employments=list(reads.employment_queryset(enterprise_id=enterprise_id).filter(pk=employment_id))
    )
    numbers = identity_selectors.person_national_numbers(person_ids=[row.person_id for row in rows])
    return dict(s.EmploymentSerializer(_employment(rows[0], numbers.get(rows[0].person_id, ""))).data)


class EmploymentTerminationApi(APIView):
    @extend_schema(
        operation_id="employments_terminate",
        summary=_("Declare the last day of work"),
        description=_(
            "Due by the next working day after the last day; a late one is recorded and flagged "
            "(late=true). Needs the declare scope."
        ),
        parameters=[_EMPLOYER, _EMPLOYMENT, _IDEMPOTENCY],
        request=s.TerminationInputSerializer,
        responses={
            200: _answer(s.TerminationSerializer, _("Declared: the employment and its last day.")),
            **_POST_ERRORS,
        },
        tags=["employments"],
    )
    def post(self, request: Request, employer_number: str, employment_id: str) -> Response:
        enterprise_id = _employer(request, employer_number, ApiKeyScope.DECLARE)
        employment = int(employment_id)
        data = s.TerminationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def terminate() -> tuple[int, dict[str, Any]]:
            late = services.employment_terminate(
                actor=api_actor(request),
                employment_id=employment,
                end_date=data.validated_data["end_date"],
                now=timezone.now(),
                enterprise_id=enterprise_id,
            )
            body = {"id": employment, "end_date": data.validated_data["end_date"], "late": late}
            return 200, dict(s.TerminationSerializer(body).data)

        return idempotent(request, owner=_owner(request), handler=_register_answer(terminate))


class EmploymentCancellationApi(APIView):
    @extend_schema(
        operation_id="employments_cancel",
        summary=_("Cancel a hire declared by mistake"),
        description=_(
            "Only before the first day of work; the cancelled hire stays in the register, marked. "
            "Needs the declare scope."
        ),
        parameters=[_EMPLOYER, _EMPLOYMENT, _IDEMPOTENCY],
        request=None,
        responses={200: _answer(s.EmploymentSerializer, _("Cancelled: the employment, marked so.")), **_POST_ERRORS},
        tags=["employments"],
    )
    def post(self, request: Request, employer_number: str, employment_id: str) -> Response:
        enterprise_id = _employer(request, employer_number, ApiKeyScope.DECLARE)
        employment = int(employment_id)

        def cancel() -> tuple[int, dict[str, Any]]:
            services.employment_cancel(
                actor=api_actor(request), employment_id=employment, now=timezone.now(), enterprise_id=enterprise_id
            )
            return 200, _employment_body(enterprise_id, employment)

        return idempotent(request, owner=_owner(request), handler=_register_answer(cancel))
