"""The civil registry's partner API: the view authenticates the partner by its key, checks the
body's signature (once: a replay is refused), checks the partner's scopes, validates every event
and makes one domain call. A request is taken whole or refused whole: nothing is stored when one
event is invalid or not in the partner's scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from benefits import services
from benefits.api import serializers as s
from benefits.attribution.partners import SIGNATURE_HEADER
from benefits.models import RegistryPartner
from benefits.types import PartnerRefused


@dataclass(frozen=True)
class PartnerPrincipal:
    """Who sends the request: a civil registry partner, not a person."""

    partner: RegistryPartner
    is_authenticated: bool = True


class PartnerAuthentication(BaseAuthentication):
    """``Authorization: Partner <key>``: the request's user is the partner's principal."""

    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, RegistryPartner] | None:
        scheme, _space, key = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != "partner":
            return None
        partner = services.partner_authenticate(key=key.strip())
        if partner is None:
            raise exceptions.AuthenticationFailed()
        return PartnerPrincipal(partner), partner

    def authenticate_header(self, request: Request) -> str:
        return "Partner"


class PartnerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "benefits.api.views.PartnerAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Partner <key>: the key given when the institution registered the civil registry partner; every"
                " request's body is also signed (X-Guichet-Signature)."
            ),
        }


class PartnerThrottle(SimpleRateThrottle):
    """Requests per partner, at the API keys' rate."""

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_RATES["key"])

    def get_cache_key(self, request: Request, view: Any) -> str:
        partner = request.auth
        ident = f"partner-{partner.pk}" if isinstance(partner, RegistryPartner) else self.get_ident(request)
        return f"throttle_api_partner_{ident}"


def _refused(code: str, status_code: int) -> Response:
    return Response({"code": code, "message": str(PartnerRefused.messages[code]), "errors": []}, status=status_code)


_EXAMPLE = {
    "events": [
        {
            "id": "EC-2026-000123",
            "type": "birth",
            "occurred_on": "2026-11-30",
            "data": {
                "child": {"national_number": "26113012345", "first_name": "Léa", "last_name": "Dubois"},
                "parents": ["90010112345", "91020254321"],
            },
        },
        {"id": "EC-2026-000124", "type": "death", "occurred_on": "2026-12-01", "data": {"person": "40010100123"}},
    ]
}


class LifeEventsApi(APIView):
    authentication_classes = [PartnerAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [PartnerThrottle]

    @extend_schema(
        operation_id="civil_registry_events_send",
        tags=["civil-registry"],
        summary=_("Send life events (civil registry partners)"),
        description=_(
            "Births, marriages, deaths and changes of address, up to LIFE_EVENTS_PER_REQUEST per request. Each"
            " event carries the partner's id: an event sent again is acknowledged as a duplicate and ignored. The"
            " events are applied to the registry after the answer; one about a person unknown today waits until"
            " the person appears. Authorization: Partner <key>; the exact body signed with the partner's secret in"
            ' X-Guichet-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">, within five minutes; a'
            " signature is accepted once."
        ),
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, description=_("t=…,v1=…")
            )
        ],
        request=s.EventsSerializer,
        responses={
            202: s.ReceiptsSerializer,
            400: OpenApiResponse(s.PartnerErrorSerializer, description=_("Malformed JSON or an event off the schema.")),
            401: OpenApiResponse(
                s.PartnerErrorSerializer,
                description=_("Unknown or revoked key, or a bad signature (signature_invalid)."),
            ),
            403: OpenApiResponse(
                s.PartnerErrorSerializer, description=_("An event of a kind the partner may not send.")
            ),
            409: OpenApiResponse(s.PartnerErrorSerializer, description=_("This signed request was received before.")),
            413: OpenApiResponse(s.PartnerErrorSerializer, description=_("The request body is too large.")),
            429: OpenApiResponse(s.PartnerErrorSerializer, description=_("Too many requests; see Retry-After.")),
        },
        examples=[OpenApiExample("birth and death", value=_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        partner = request.auth
        assert isinstance(partner, RegistryPartner)  # PartnerAuthentication and IsAuthenticated
        now = timezone.now()
        body = request.body
        with transaction.atomic():
            try:
                services.partner_request_check(
                    partner=partner, body=body, signature_header=request.headers.get(SIGNATURE_HEADER, ""), now=now
                )
            except PartnerRefused as refused:
                return _refused(refused.code, 409 if refused.code == "replayed" else 401)
            events = s.events_validated(request.data, today=timezone.localdate(now))
            if any(event["type"] not in partner.scopes for event in events):
                transaction.set_rollback(True)  # the signature may be sent again by a partner given the scope
                return _refused("scope_missing", status.HTTP_403_FORBIDDEN)
            receipts = services.life_events_receive(
                partner_id=partner.pk,
                events=[
                    services.EventInput(
                        partner_event_id=event["id"],
                        kind=event["type"],
                        occurred_on=event["occurred_on"],
                        corrects=event["corrects"],
                        data=event["data"],
                    )
                    for event in events
                ],
                now=now,
            )
        return Response(
            {"events": [{"id": receipt.partner_event_id, "status": receipt.status} for receipt in receipts]},
            status=status.HTTP_202_ACCEPTED,
        )
