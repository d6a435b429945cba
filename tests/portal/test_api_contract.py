"""The API keeps its contract: schemathesis generates requests from the OpenAPI schema — valid
ones and invalid ones, the boundary cases of every parameter and random ones — for every
operation, and sends them in-process to the Django application (its WSGI handler, so the
middleware and the CSRF check are those of a real server) on the test database, once with a
valid API key and once with a wrong one. Every answer must be one the schema documents: no
server error, a status code and a body the schema lists for the operation, a request the schema
refuses refused, and only documented error codes (``code`` and ``errors[].code``).

The examples are derandomised: the run is the same on every machine and every time (some 680
calls per key, about 15 seconds in all), and a failure shows the request that reproduces it."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from contributions.models import BulkUpload, Employment
from core.actor import LevelOfAssurance
from core.api import IDEMPOTENCY_KEY_PATTERN
from core.periods import Period
from identity import services as identity_services
from tests.contributions.bulk_helpers import csv_bytes, process, rows_for, world
from tests.helpers import citizen_actor

SCHEMA_URL = "/api/v1/schema/?format=json"
# Random cases per operation and generation mode (valid, invalid), beside the boundary cases.
MAX_EXAMPLES = 20
WRONG_KEY = "gch_000000000000." + "a" * 43
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
]

# The calls made, per operation, in the current run.
calls: Counter[str] = Counter()


def _post(path: str, key: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}
    return Client().post(path, headers=headers, **kwargs)


def _contract_world() -> dict[str, Any]:
    """An employer with its key (both scopes), its employees, the rates, a declaration in force
    and two bulk files (one accepted, one rejected with its anomalies); a bureau it mandated and
    an employer out of the key's reach. The values of the path parameters that exist are handed
    to schemathesis, which draws from them as well as inventing others."""
    w = world()
    employer = w["a"]
    administrator = citizen_actor(
        w["a_user"], level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({employer.pk})
    )
    _id, key = identity_services.api_key_create(
        actor=administrator, enterprise_id=employer.pk, name="Payroll", scopes=["declare", "read"], now=timezone.now()
    )
    staff = w["staff"][employer.pk]
    lines = [
        {
            "national_number": person.national_number,
            "worker_category": "employee",
            "gross_wage": "3000.00",
            "days_worked": "20",
        }
        for person in staff
    ]
    declared = _post(
        f"/api/v1/employers/{employer.enterprise_number}/declarations/",
        key,
        data=json.dumps({"period": str(Period.of(timezone.localdate()).previous()), "lines": lines}),
        content_type="application/json",
    )
    assert declared.status_code == 201, declared.json()
    uploads = []
    for wage in ("2500.00", "-1"):
        sent = _post(
            "/api/v1/uploads/", key, data=csv_bytes(rows_for(employer, staff, wage=wage)), content_type="text/csv"
        )
        assert sent.status_code == 202, sent.json()
        uploads.append(sent.json()["id"])
    for upload in BulkUpload.objects.filter(pk__in=uploads):
        process(upload)
    return {
        "key": key,
        "employer_number": [employer.enterprise_number, w["b"].enterprise_number, w["bureau"].enterprise_number],
        "reference": [declared.json()["reference"]],
        "employment_id": [
            str(pk) for pk in Employment.objects.filter(enterprise__in=[employer, w["b"]]).values_list("pk", flat=True)
        ],
        "upload_id": uploads,
    }


@pytest.fixture(params=["valid_key", "wrong_key"])
def api_contract(request: Any, db: Any, settings: Any, tmp_path: Any) -> Iterator[Any]:
    # schemathesis 4.32 renames the test's node through ``_nodeid``, which pytest 9 no longer has.
    request.node._nodeid = request.node.nodeid
    settings.BULK_UPLOAD_DIR = tmp_path / "uploads"
    # The throttle is not what this test probes: it would answer 429 to most calls.
    settings.API_THROTTLE_RATES = dict.fromkeys(settings.API_THROTTLE_RATES, "100000/min")
    data = _contract_world()
    key = data["key"] if request.param == "valid_key" else WRONG_KEY
    existing = ("employer_number", "reference", "employment_id", "upload_id")
    # Besides what schemathesis invents, values at the edges of what once broke the API: periods
    # at and beyond the years of a period, and a line break in a path.
    dictionaries = {
        **{name: {"values": [*data[name], "1\n"]} for name in existing},
        "periods": {"values": ["0000-01", "1899-12", "1900-01", "9999-12", "2026-13"]},
    }
    parameters = {
        **{f"path.{name}": {"dictionary": name, "probability": 0.7} for name in existing},
        **{
            f"query.{name}": {"dictionary": "periods", "probability": 0.3}
            for name in ("period", "period_from", "period_to")
        },
    }
    config = schemathesis.Config.from_dict(
        {
            "headers": {"Authorization": f"Bearer {key}", "Accept-Language": "en"},
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # The key is the one above, not one schemathesis makes up.
                "with-security-parameters": False,
            },
            "dictionaries": dictionaries,
            "parameters": parameters,
            "phases": {"stateful": {"enabled": False}},
        }
    )
    # A real server closes the database connection after each request; these requests run
    # inside the test's transaction, which must stay open (as Django's test client does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler(), config=config)
    operations = {result.ok().label for result in schema.get_all_operations()}
    calls.clear()
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    assert len(operations) == 13
    assert set(calls) == operations, "every operation is exercised"


schema = schemathesis.pytest.from_fixture("api_contract")


def documented_codes(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """Every error code of an answer is one the schema documents."""
    if response.status_code < 400:
        return None
    schemas = case.operation.schema.raw_schema["components"]["schemas"]
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"an error answered outside the JSON error shape: {response.text[:200]!r}") from None
    assert body["code"] in schemas["ErrorCodeEnum"]["enum"], f"undocumented code {body['code']!r}"
    for item in body["errors"]:
        assert item["code"] in schemas["ErrorItemCodeEnum"]["enum"], f"undocumented errors[].code {item['code']!r}"
    return True


@schema.parametrize()
def test_the_api_answers_every_request_as_its_schema_documents(case: Any) -> None:
    calls[case.operation.label] += 1
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if key is not None and re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        # A valid key made unique, so that each POST acts (a key drawn twice would answer the
        # first result again); an invalid or missing one is left as drawn, to be refused.
        case.headers["Idempotency-Key"] = f"{key[:60]}-{uuid.uuid4().hex}"
    case.call_and_validate(checks=CHECKS, additional_checks=[documented_codes])
