"""API authentication: an enterprise's payroll software presents ``Authorization: Bearer <key>``.

The request's user becomes a machine ``Actor`` for the key's enterprise, with the key's scopes;
``request.auth`` is the ``ApiCredential``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from core.actor import ActingMode, Actor, LevelOfAssurance
from identity import services
from identity.types import ApiCredential


def machine_actor(credential: ApiCredential) -> Actor:
    # Keys are created by administrators signed in with a second factor: "substantial".
    return Actor(
        user_id=None,
        level_of_assurance=LevelOfAssurance.SUBSTANTIAL,
        mode=ActingMode.MACHINE,
        enterprise_ids=frozenset({credential.enterprise_id}),
        scopes=credential.scopes,
        api_key_id=credential.api_key_id,
    )


class _FailedAuthenticationThrottle(SimpleRateThrottle):
    """Wrong keys, per client address: authentication runs before the views' throttles, so
    key guessing is limited here."""

    scope = "failed_authentication"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_RATES["failed_authentication"])

    def get_cache_key(self, request: Request, view: Any) -> str:
        return f"throttle_api_failed_authentication_{self.get_ident(request)}"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Actor, ApiCredential] | None:
        header = get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _space, key = header.partition(" ")
        credential = (
            services.api_key_authenticate(key=key.strip(), now=timezone.now()) if scheme.lower() == "bearer" else None
        )
        if credential is None:
            throttle = _FailedAuthenticationThrottle()
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]  # the view is not used
                raise exceptions.Throttled(wait=throttle.wait())
            raise exceptions.AuthenticationFailed
        return machine_actor(credential), credential

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "identity.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key created by an administrator of the enterprise (Enterprise → API keys).",
        }
