"""The OpenAPI schema validates, documents every error code, and the documentation page renders
it in French and English without JavaScript."""

import re

import pytest
import yaml
from django.test import Client
from django.utils import translation
from drf_spectacular.validation import validate_schema

from contributions.bulk import rejection
from contributions.types import ANOMALY_MESSAGES, EMPLOYMENT_ERROR_MESSAGES, UPLOAD_ERROR_MESSAGES
from core.api import API_ERROR_MESSAGES, IDEMPOTENCY_KEY_PATTERN, PERIOD_PATTERN, VALIDATION_CODES

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "rates_in_force",
    "employers_list",
    "declarations_list",
    "declarations_submit",
    "declarations_get",
    "employments_list",
    "employments_hire",
    "employments_terminate",
    "employments_cancel",
    "uploads_list",
    "uploads_create",
    "uploads_get",
    "uploads_anomalies",
}
REQUEST_CODES = {*API_ERROR_MESSAGES, *UPLOAD_ERROR_MESSAGES}
ITEM_CODES = {*ANOMALY_MESSAGES, *EMPLOYMENT_ERROR_MESSAGES, *VALIDATION_CODES}
ALL_CODES = {*REQUEST_CODES, *ITEM_CODES}
# A bulk file is its own idempotency (its SHA-256): fingerprinting a body of 200 MB for an
# Idempotency-Key would defeat streaming it. Every other POST needs the key.
WITHOUT_IDEMPOTENCY_KEY = {"uploads_create"}


def _schema(language="en", fmt=None):
    response = Client().get("/api/v1/schema/", {"format": fmt} if fmt else {}, headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.json() if fmt == "json" else yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_and_documents_every_operation():
    schema = _schema()
    validate_schema(schema)
    operation_ids = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    assert operation_ids == OPERATIONS
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }


def test_the_schema_lists_every_error_code_with_its_messages():
    schemas = _schema(fmt="json")["components"]["schemas"]
    enum, items = schemas["ErrorCodeEnum"], schemas["ErrorItemCodeEnum"]
    assert set(enum["enum"]) == set(enum["x-messages"]) == REQUEST_CODES
    # A bulk file's rejections carry this installation's limits, not placeholders.
    with translation.override("en"):
        assert enum["x-messages"]["too_large"]["en"] == rejection("too_large").message
    assert "%(" not in enum["x-messages"]["too_large"]["en"]
    assert set(items["enum"]) == set(items["x-messages"]) == ITEM_CODES
    assert items["x-messages"]["wage_negative"] == {
        "fr": "Le salaire brut ne peut pas être négatif.",
        "en": "The gross wage cannot be negative.",
    }
    # Every national-number code the registry can raise is among them.
    assert {f"national_number_{code}" for code in ("required", "checksum", "length", "format", "invalid")} <= ALL_CODES


def test_every_post_documents_the_idempotency_key_and_the_error_answers():
    schema = _schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            errors = {status for status in operation["responses"] if status.startswith(("4", "5"))}
            assert {"401", "404", "429"} <= errors or operation["operationId"] in {"rates_in_force", "employers_list"}
            if method == "post":
                headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
                if operation["operationId"] in WITHOUT_IDEMPOTENCY_KEY:
                    assert "Idempotency-Key" not in headers, path
                    assert "SHA-256 is its idempotency" in operation["description"], path
                    assert {"400", "403", "413", "415", "429"} <= errors, path
                    continue
                assert headers["Idempotency-Key"]["required"] is True, path
                assert headers["Idempotency-Key"]["schema"] == {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN}
                assert {"400", "403", "413", "422"} <= errors, path


def test_every_request_body_is_documented_as_required():
    schema = _schema()
    bodies = {
        operation["operationId"]: operation["requestBody"]
        for item in schema["paths"].values()
        for operation in item.values()
        if "requestBody" in operation
    }
    assert set(bodies) == {"declarations_submit", "employments_hire", "employments_terminate", "uploads_create"}
    assert all(body["required"] is True for body in bodies.values())
    # A bulk file, in either form.
    assert set(bodies["uploads_create"]["content"]) == {"multipart/form-data", "text/csv"}


def test_every_period_is_documented_with_the_pattern_of_a_period_and_pages_from_1():
    schema = _schema()
    parameters = {
        (operation["operationId"], parameter["name"]): parameter["schema"]
        for item in schema["paths"].values()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
    }
    body = schema["components"]["schemas"]["DeclarationInputRequest"]["properties"]["period"]
    periods = [
        parameters[("rates_in_force", "period")],
        *(parameters[("declarations_list", name)] for name in ("period_from", "period_to")),
        body,
    ]
    assert [period["pattern"] for period in periods] == [PERIOD_PATTERN] * 4
    pages = {key: value for key, value in parameters.items() if key[1] in {"page", "page_size"}}
    assert len(pages) == 8
    assert all(value == {"type": "integer", "minimum": 1} for value in pages.values())


@pytest.mark.parametrize(
    ("language", "title", "summary"),
    [
        ("en", "API for payroll software", "File a monthly declaration"),
        ("fr", "API pour les logiciels de paie", "Déposer une déclaration mensuelle"),
    ],
)
def test_the_documentation_page_renders_every_operation_and_code_in_the_readers_language(language, title, summary):
    response = Client().get("/api/", headers={"Accept-Language": language})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert set(re.findall(r'id="op-([a-z_]+)"', html)) == OPERATIONS
    assert summary in html
    assert set(re.findall(r"<th scope=\"row\"><code>([a-z_]+)</code></th><td[^>]*>", html)) >= ALL_CODES
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize(
    ("language", "rate", "categories"),
    [
        ("fr", "1\u00a0200 requêtes par minute ;", "`employee` = employé, `worker` = ouvrier, `apprentice` = apprenti"),
        (
            "en",
            "1,200 requests per minute;",
            "`employee` = employee (white-collar), `worker` = worker (blue-collar), `apprentice` = apprentice",
        ),
    ],
)
def test_the_documentation_page_says_what_every_value_means_in_words(settings, language, rate, categories):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "key": "1200/min"}
    response = Client().get("/api/", headers={"Accept-Language": language})
    operations = response.context["operations"]

    # No enum left as drf-spectacular's list of raw values ("* `in_force` - in_force").
    assert "* `" not in response.content.decode()
    # Every parameter, body field and answer says what it is, in the reader's language.
    for operation in operations:
        for parameter in operation["parameters"]:
            assert parameter["description"], (operation["id"], parameter["name"])
        for field in operation["body"]:
            assert field["description"] or field["type"] == "array", (operation["id"], field["name"])
        for status, meaning in operation["responses"]:
            assert meaning, (operation["id"], status)
    (declarations,) = [operation for operation in operations if operation["id"] == "declarations_list"]
    (status_filter,) = [parameter for parameter in declarations["parameters"] if parameter["name"] == "status"]
    with translation.override(language):
        assert status_filter["description"] == translation.gettext(
            "`in_force`: the versions in force; `replaced`: the versions a later one replaced. Both if absent."
        )
    (submit,) = [operation for operation in operations if operation["id"] == "declarations_submit"]
    (category,) = [field for field in submit["body"] if field["name"] == "lines[].worker_category"]
    assert category["description"].endswith(f"{categories}.")
    # Shown as code on the page, the values to send; their meaning as text.
    assert "<code>worker</code> = " in response.content.decode()
    assert (
        f"Each key may send {rate}" in response.content.decode() or f"peut envoyer {rate}" in response.content.decode()
    )
