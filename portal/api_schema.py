"""The OpenAPI schema's list of error codes, and the API documentation page's data.

Every code an API answer can carry is documented in the schema — the ``Error`` component's
``code`` (what happened to the request) and ``errors[].code`` (each anomaly, by line and field),
each enum with its messages in French and English under ``x-messages`` — and on the page.
"""

from __future__ import annotations

from typing import Any

from django.utils import formats, translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.generators import SchemaGenerator

from contributions.selectors import upload_rejection_message
from contributions.types import ANOMALY_MESSAGES, EMPLOYMENT_ERROR_MESSAGES, UPLOAD_ERROR_MESSAGES
from core.api import API_ERROR_MESSAGES, VALIDATION_CODES


def _rejection_message(code: str) -> str:
    return upload_rejection_message(code=code)


# A bulk file's immediate rejections, with this installation's limits in their messages.
UPLOAD_MESSAGES = {code: lazy(_rejection_message, str)(code) for code in UPLOAD_ERROR_MESSAGES}
REQUEST_MESSAGES = {**API_ERROR_MESSAGES, **UPLOAD_MESSAGES}
ITEM_MESSAGES = {**ANOMALY_MESSAGES, **EMPLOYMENT_ERROR_MESSAGES, **VALIDATION_CODES}


def error_codes() -> list[tuple[str, str]]:
    """Every code and its message in the active language, for the documentation page: a code
    used both for a request and for an item (``empty``) appears with each of its messages."""
    return sorted(
        {(code, str(message)) for catalogue in (REQUEST_MESSAGES, ITEM_MESSAGES) for code, message in catalogue.items()}
    )


HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def rate_text(rate: str) -> str:
    """A throttle rate as Django REST framework writes it (``1200/min``) told in the active
    language: « 1 200 requêtes par minute »."""
    written, period = rate.split("/")
    count = int(written)
    number = formats.number_format(count, force_grouping=True)
    # Django REST framework reads only the period's first letter: s, m, h or d.
    if period.startswith("s"):
        text = ngettext("%(count)s request per second", "%(count)s requests per second", count)
    elif period.startswith("m"):
        text = ngettext("%(count)s request per minute", "%(count)s requests per minute", count)
    elif period.startswith("h"):
        text = ngettext("%(count)s request per hour", "%(count)s requests per hour", count)
    else:
        text = ngettext("%(count)s request per day", "%(count)s requests per day", count)
    return text % {"count": number}


def document_error_codes(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular post-processing hook."""
    for name, catalogue, what in (
        ("ErrorCodeEnum", REQUEST_MESSAGES, "What happened to the request"),
        ("ErrorItemCodeEnum", ITEM_MESSAGES, "Each anomaly, by line and field"),
    ):
        messages = {}
        for code, message in sorted(catalogue.items()):
            entry = {}
            for language in ("fr", "en"):
                with translation.override(language):
                    entry[language] = str(message)
            messages[code] = entry
        enum = result.get("components", {}).get("schemas", {}).get(name)
        if enum is not None:
            enum["description"] = (
                f"{what}: stable codes (their messages in French and English are under x-messages):\n\n"
                + "\n".join(f"* `{code}` — {entry['en']}" for code, entry in messages.items())
            )
            enum["x-messages"] = messages
    return result


def require_request_bodies(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular post-processing hook: no operation of this API takes an optional body.
    drf-spectacular infers ``required`` from a serializer's required fields, and cannot for a
    raw body (a bulk file sent as text/csv), so the rule is stated here once for every body."""
    for item in result.get("paths", {}).values():
        for method in HTTP_METHODS:
            body = item.get(method, {}).get("requestBody")
            if body is not None:
                body["required"] = True
    return result


def document_unavailable(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular post-processing hook: any operation may answer 503 while a part of the
    service does not answer (portal/errors.py, core.api.exception_handler), in the error shape."""
    for item in result.get("paths", {}).values():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation.setdefault("responses", {})["503"] = {
                "description": str(
                    _("Temporarily unavailable (unavailable): nothing was changed; send it again after Retry-After.")
                ),
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": str(_("Seconds to wait."))}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
    return result


def describe_pages(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A drf-spectacular post-processing hook: a paginated list's answer says it is a page (a
    list's description cannot be given with its serializer without losing its page parameters)."""
    for item in result.get("paths", {}).values():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None or not any(p["name"] == "page" for p in operation.get("parameters", [])):
                continue
            answer = operation.get("responses", {}).get("200")
            if answer is not None and not answer.get("description"):
                answer["description"] = str(_("A page of results: count, next, previous and the results."))
    return result


_schemas: dict[str, dict[str, Any]] = {}


def api_schema(language: str) -> dict[str, Any]:
    """The schema in a language (summaries and descriptions are translated), built once per
    process and language."""
    if language not in _schemas:
        with translation.override(language):
            _schemas[language] = SchemaGenerator(api_version="v1", urlconf="portal.api_urls").get_schema(
                request=None, public=True
            )
    return _schemas[language]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _fields(schema: dict[str, Any], node: dict[str, Any] | None, prefix: str = "") -> list[dict[str, Any]]:
    """A request body as flat rows: name (``lines[].gross_wage``), type, required, description."""
    if not node:
        return []
    node = _resolve(schema, node)
    rows = []
    required = set(node.get("required", []))
    for name, field in node.get("properties", {}).items():
        resolved = _resolve(schema, field)
        kind = resolved.get("type", "object")
        if kind == "array":
            item = _resolve(schema, resolved.get("items", {}))
            rows.append(
                {
                    "name": prefix + name,
                    "type": "array",
                    "required": name in required,
                    "description": field.get("description", ""),
                }
            )
            rows.extend(_fields(schema, item, f"{prefix}{name}[]."))
            continue
        if "enum" in resolved:
            kind = " | ".join(str(value) for value in resolved["enum"] if value)
        rows.append(
            {
                "name": prefix + name,
                "type": resolved.get("format", kind) if kind == "string" else kind,
                "required": name in required,
                "description": field.get("description", resolved.get("description", "")),
            }
        )
    return rows


def api_operations(language: str) -> list[dict[str, Any]]:
    """Every operation of the schema, in path order, ready for a template."""
    schema = api_schema(language)
    operations = []
    for path, item in schema["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body = (content.get("application/json") or content.get("multipart/form-data") or {}).get("schema")
            operations.append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "public": {} in operation.get("security", []) or not operation.get("security"),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "in": parameter["in"],
                            "required": parameter.get("required", False),
                            "description": parameter.get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": _fields(schema, body),
                    "responses": [
                        (status, response.get("description", "")) for status, response in operation["responses"].items()
                    ],
                }
            )
    return operations
