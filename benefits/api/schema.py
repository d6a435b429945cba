"""The civil registry partners' OpenAPI schema (``/api/v1/civil-registry/schema/``): their one
operation, its signature, and every error code with its messages in French and English."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from django.utils import translation

from benefits.api.serializers import ERROR_CODES
from benefits.types import PartnerRefused
from core.api import API_ERROR_MESSAGES, VALIDATION_CODES

# Its error codes' enum is named in the project's ENUM_NAME_OVERRIDES (drf-spectacular reads them
# once per process: custom settings cannot add one).

# The schema's URL configuration: the partner API under its prefix.
urlpatterns = [path("api/v1/", include("benefits.api.urls"))]

MESSAGES = {**VALIDATION_CODES, **API_ERROR_MESSAGES, **PartnerRefused.messages}


def document_error_codes(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular post-processing hook: each code of ``PartnerErrorCodeEnum`` with its
    messages in French and English under ``x-messages``."""
    enum = result.get("components", {}).get("schemas", {}).get("PartnerErrorCodeEnum")
    if enum is not None:
        messages = {}
        for code in ERROR_CODES:
            entry = {}
            for language in ("fr", "en"):
                with translation.override(language):
                    entry[language] = str(MESSAGES[code])
            messages[code] = entry
        enum["x-messages"] = messages
    return result


SETTINGS = {
    "TITLE": "Guichet API — civil registry partners",
    "DESCRIPTION": (
        "Life events sent by the civil registry: births, marriages, deaths and changes of address. Each request is"
        " authenticated by the partner's key (Authorization: Partner <key>) and its body signed with the partner's"
        " secret (X-Guichet-Signature); every error has the shape {code, message, errors}."
    ),
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "benefits.api.schema.document_error_codes",
    ],
}
