"""The declarations API for payroll software: keys and their scopes, a bureau acting for the
employers that mandated it, idempotent POSTs (also concurrent), one error shape with the codes,
pagination, filtering and throttling."""

import datetime
import hashlib
import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from contributions import services
from contributions.models import Declaration, DeclarationLine, Employment, EmploymentEvent
from core.actor import LevelOfAssurance
from core.models import IdempotencyRecord
from devtools.rates import demo_rates_seed
from identity import services as identity_services
from identity.models import ApiKey
from identity.types import RoleRefused
from mandates import services as mandate_services
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

PERIOD = "2026-10"
SETUP_NOW = datetime.datetime(2026, 9, 20, 10, 0, tzinfo=datetime.UTC)
# The API reads the clock (a period is declared once it has ended; a hire starts today or later,
# a termination is late after the next working day) while the world is fixed in 2026 (hired on
# 1 October, PERIOD October, the other periods July to October): every test runs on one day after
# all of them, with the clock frozen.
NOW = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)
pytestmark = pytest.mark.time_machine(NOW, tick=False)


def _admin_actor(user, enterprise):
    return citizen_actor(user, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk}))


def _key(admin, enterprise, scopes=("declare", "read"), name="Payroll"):
    _id, key = identity_services.api_key_create(
        actor=_admin_actor(admin, enterprise),
        enterprise_id=enterprise.pk,
        name=name,
        scopes=list(scopes),
        now=timezone.now(),
    )
    return key


def _world():
    demo_rates_seed()
    enterprise = EnterpriseFactory()
    admin = UserFactory()
    representation(admin, enterprise, "administrator")
    staff = [PersonFactory(), PersonFactory()]
    for person in staff:
        services.employment_hire(
            actor=_admin_actor(admin, enterprise),
            enterprise_id=enterprise.pk,
            national_number=person.national_number,
            worker_category="employee",
            start_date=datetime.date(2026, 10, 1),
            now=SETUP_NOW,
        )
    return {"enterprise": enterprise, "admin": admin, "staff": staff, "key": _key(admin, enterprise)}


@pytest.fixture
def world(db):
    return _world()


def _call(method, path, key=None, body=None, idempotency_key=None, language="en", client=None):
    client = client or Client()
    headers = {"Accept-Language": language}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if method == "get":
        return client.get(path, body or {}, headers=headers)
    return client.post(path, json.dumps(body or {}), content_type="application/json", headers=headers)


def _declarations_url(enterprise):
    return f"/api/v1/employers/{enterprise.enterprise_number}/declarations/"


def _lines(world, wages=("5000.00", "2000.00")):
    return [
        {
            "national_number": person.national_number,
            "worker_category": "employee",
            "gross_wage": wage,
            "days_worked": "22",
        }
        for person, wage in zip(world["staff"], wages, strict=True)
    ]


def _declare(world, idempotency_key="k-1", lines=None, period=PERIOD, replace=False, key=None, language="en"):
    return _call(
        "post",
        _declarations_url(world["enterprise"]),
        key or world["key"],
        {"period": period, "replace": replace, "lines": lines if lines is not None else _lines(world)},
        idempotency_key,
        language,
    )


# --- API keys --------------------------------------------------------------------------------


def test_a_key_is_shown_once_stored_hashed_and_refused_once_revoked(world):
    key = world["key"]
    stored = ApiKey.objects.get()
    assert key.startswith(stored.prefix + ".")
    assert stored.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.prefix, stored.digest, stored.name}
    assert _call("get", _declarations_url(world["enterprise"]), key).status_code == 200
    assert ApiKey.objects.get().last_used_at is not None

    identity_services.api_key_revoke(
        actor=_admin_actor(world["admin"], world["enterprise"]),
        enterprise_id=world["enterprise"].pk,
        api_key_id=stored.pk,
        now=timezone.now(),
    )

    response = _call("get", _declarations_url(world["enterprise"]), key)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer gch_000000000000.nothing", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500]
)
def test_missing_malformed_or_unknown_keys_get_401(world, header):
    headers = {"Authorization": header} if header else {}
    response = Client().get(_declarations_url(world["enterprise"]), headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_key_with_a_right_prefix_and_a_wrong_secret_is_refused(world):
    forged = world["key"].split(".")[0] + ".forged-secret"
    assert _call("get", _declarations_url(world["enterprise"]), forged).status_code == 401


def test_only_an_administrator_with_a_second_factor_creates_or_revokes_keys(world):
    enterprise = world["enterprise"]
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    with pytest.raises(RoleRefused):
        identity_services.api_key_create(
            actor=citizen_actor(
                declarant, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk})
            ),
            enterprise_id=enterprise.pk,
            name="x",
            scopes=["read"],
            now=timezone.now(),
        )
    with pytest.raises(RoleRefused):
        identity_services.api_key_create(
            actor=citizen_actor(world["admin"], enterprise_ids=frozenset({enterprise.pk})),  # password only
            enterprise_id=enterprise.pk,
            name="x",
            scopes=["read"],
            now=timezone.now(),
        )
    with pytest.raises(RoleRefused):
        _key(world["admin"], enterprise, scopes=("everything",))
    other = EnterpriseFactory()
    other_admin = UserFactory()
    representation(other_admin, other, "administrator")
    with pytest.raises(identity_services.NotFound):
        identity_services.api_key_revoke(
            actor=_admin_actor(other_admin, other),
            enterprise_id=other.pk,
            api_key_id=ApiKey.objects.get().pk,
            now=timezone.now(),
        )
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revoked_at is None


# --- Declarations ----------------------------------------------------------------------------


def test_a_declaration_by_api_is_accepted_with_its_totals_and_the_key_as_author(world):
    response = _declare(world)

    assert response.status_code == 201, response.json()
    body = response.json()
    declaration = Declaration.objects.get()
    assert body["reference"] == declaration.reference
    assert (body["period"], body["version"], body["status"], body["channel"]) == (PERIOD, 1, "in_force", "api")
    assert body["total_wages"] == "7000.00"
    # pension, employee: 4005 × 0.069 = 276.35 (ceiling) + 2000 × 0.069 = 138.00
    assert {"branch": "pension", "employee": "414.35", "employer": "513.43"} in body["totals"]
    assert body["warnings"] == []
    assert (declaration.submitted_by_id, declaration.submitted_with_key_id) == (None, ApiKey.objects.get().pk)
    assert declaration.channel == "api"


def test_a_warning_travels_with_an_accepted_declaration(world):
    stranger = PersonFactory()
    lines = [
        *_lines(world),
        {
            "national_number": stranger.national_number,
            "worker_category": "employee",
            "gross_wage": "1800",
            "days_worked": "10",
        },
    ]

    response = _declare(world, lines=lines)

    assert response.status_code == 201
    assert response.json()["warnings"] == [
        {
            "line": 3,
            "field": "national_number",
            "code": "not_hired",
            "message": "This employee is not registered as hired by the enterprise during the period.",
        }
    ]


def test_a_rejected_declaration_lists_every_anomaly_in_the_callers_language_and_stores_nothing(world):
    first, second = world["staff"]
    lines = [
        {"national_number": "85.07.30-033.29", "worker_category": "employee", "gross_wage": "100", "days_worked": "1"},
        {"national_number": first.national_number, "worker_category": "boss", "gross_wage": "-5", "days_worked": "40"},
        {
            "national_number": second.national_number,
            "worker_category": "employee",
            "gross_wage": "12.345",
            "days_worked": "x",
        },
    ]

    response = _declare(world, lines=lines, language="fr")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "declaration_rejected"
    assert body["message"].startswith("La déclaration est refusée")
    assert [(e["line"], e["field"], e["code"], e["severity"]) for e in body["errors"]] == [
        (1, "national_number", "national_number_checksum", "error"),
        (2, "worker_category", "category_unknown", "error"),
        (2, "gross_wage", "wage_negative", "error"),
        (2, "days_worked", "days_outside_month", "error"),
        (3, "gross_wage", "wage_invalid", "error"),
        (3, "days_worked", "days_invalid", "error"),
    ]
    assert body["errors"][1]["message"] == "Catégorie de travailleurs inconnue."
    assert not Declaration.objects.exists()
    assert not DeclarationLine.objects.exists()


def test_a_period_in_the_future_and_a_period_declared_twice_are_refused(world):
    future = Period_of_next_month()
    assert _declare(world, idempotency_key="a", period=future).json()["errors"][0]["code"] == "period_future"
    assert _declare(world, idempotency_key="b").status_code == 201
    again = _declare(world, idempotency_key="c")
    assert again.status_code == 422
    assert [e["code"] for e in again.json()["errors"]] == ["period_declared"]
    assert Declaration.objects.count() == 1


def Period_of_next_month():
    today = timezone.localdate()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


def test_a_replacement_by_api_becomes_version_2_and_the_list_shows_both(world):
    first = _declare(world, idempotency_key="a").json()
    second = _declare(world, idempotency_key="b", lines=_lines(world, ("5100.00", "2000.00")), replace=True)

    assert second.status_code == 201
    assert second.json()["version"] == 2
    listing = _call("get", _declarations_url(world["enterprise"]), world["key"]).json()
    assert [(row["reference"], row["version"], row["status"]) for row in listing["results"]] == [
        (second.json()["reference"], 2, "in_force"),
        (first["reference"], 1, "replaced"),
    ]


def test_the_detail_of_a_declaration_has_its_lines(world):
    reference = _declare(world).json()["reference"]

    response = _call("get", f"{_declarations_url(world['enterprise'])}{reference}/", world["key"])

    assert response.status_code == 200
    lines = response.json()["lines"]
    assert [(line["line"], line["national_number"], line["gross_wage"]) for line in lines] == [
        (1, world["staff"][0].national_number, "5000.00"),
        (2, world["staff"][1].national_number, "2000.00"),
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "malformed_request"),
        ("period=2026-10", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (json.dumps({"lines": []}), "application/json", 400, "invalid_request"),
        (
            json.dumps({"period": "2026-10", "lines": [{"national_number": 5}]}),
            "application/json",
            400,
            "invalid_request",
        ),
    ],
)
def test_technical_rejections_answer_in_the_one_error_shape(world, body, content_type, status, code):
    response = Client().post(
        _declarations_url(world["enterprise"]),
        body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {world['key']}", "Idempotency-Key": "t-1"},
    )
    assert response.status_code == status
    assert set(response.json()) == {"code", "message", "errors"}
    assert response.json()["code"] == code
    assert not Declaration.objects.exists()


def test_schema_errors_name_the_field_path(world):
    response = _declare(world, lines=[{"national_number": "x"}])
    assert response.status_code == 400
    assert {(e["line"], e["field"], e["code"]) for e in response.json()["errors"]} == {
        (1, "worker_category", "required"),
        (1, "gross_wage", "required"),
        (1, "days_worked", "required"),
    }


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_is_refused_with_413(world):
    response = _declare(world, lines=_lines(world) * 20)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Declaration.objects.exists()


# --- Idempotency -----------------------------------------------------------------------------


def test_the_same_idempotency_key_answers_the_first_result_without_declaring_twice(world):
    first = _declare(world, idempotency_key="same")
    repeat = _declare(world, idempotency_key="same")

    assert (first.status_code, repeat.status_code) == (201, 201)
    assert repeat.json() == first.json()
    assert repeat["Idempotent-Replayed"] == "true"
    assert Declaration.objects.count() == 1


def test_a_rejection_is_replayed_too_and_a_key_reused_for_another_body_is_refused(world):
    rejected = _declare(world, idempotency_key="r", lines=[])
    assert rejected.status_code == 422
    assert _declare(world, idempotency_key="r", lines=[]).json() == rejected.json()

    reused = _declare(world, idempotency_key="r")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert not Declaration.objects.exists()


@pytest.mark.parametrize("key", [None, "", "x" * 101, "with space"])
def test_a_post_without_a_valid_idempotency_key_is_refused(world, key):
    response = _declare(world, idempotency_key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
    assert not Declaration.objects.exists()


def test_idempotency_keys_of_two_clients_do_not_collide(world):
    other = _world()
    assert _declare(world, idempotency_key="shared").status_code == 201
    assert _declare(other, idempotency_key="shared").status_code == 201
    assert Declaration.objects.count() == 2


def _in_threads(count, work):
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_the_same_key_declare_once_and_answer_alike():
    world = _world()

    responses = _in_threads(4, lambda _index: _declare(world, idempotency_key="concurrent"))

    assert sorted(r.status_code for r in responses) == [201, 201, 201, 201]
    assert len({r.json()["reference"] for r in responses}) == 1
    assert Declaration.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_declarations_of_one_period_accept_exactly_one():
    world = _world()

    responses = _in_threads(4, lambda index: _declare(world, idempotency_key=f"first-{index}"))

    assert sorted(r.status_code for r in responses) == [201, 422, 422, 422]
    assert {e["code"] for r in responses if r.status_code == 422 for e in r.json()["errors"]} == {"period_declared"}
    assert Declaration.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_replacements_queue_up_and_leave_exactly_one_version_in_force():
    world = _world()
    assert _declare(world, idempotency_key="v1").status_code == 201

    responses = _in_threads(3, lambda index: _declare(world, idempotency_key=f"r-{index}", replace=True))

    assert [r.status_code for r in responses] == [201, 201, 201]
    assert sorted(r.json()["version"] for r in responses) == [2, 3, 4]
    assert list(Declaration.objects.filter(status="in_force").values_list("version", flat=True)) == [4]


# --- Authorization matrix --------------------------------------------------------------------


def test_scopes_are_enforced_and_a_refused_post_stores_nothing(world):
    read_only = _key(world["admin"], world["enterprise"], scopes=("read",), name="reader")
    declare_only = _key(world["admin"], world["enterprise"], scopes=("declare",), name="writer")
    url = _declarations_url(world["enterprise"])

    refused = _declare(world, key=read_only)
    assert (refused.status_code, refused.json()["code"]) == (403, "scope_missing")
    assert _call("get", url, read_only).status_code == 200
    assert _call("get", url, declare_only).status_code == 403
    assert _declare(world, key=declare_only, idempotency_key="w").status_code == 201
    assert Declaration.objects.count() == 1


def test_another_employer_an_unknown_number_and_a_forged_reference_answer_404(world):
    other = _world()
    other_reference = _declare(other, idempotency_key="o").json()["reference"]
    own_url = _declarations_url(world["enterprise"])

    assert _call("get", _declarations_url(other["enterprise"]), world["key"]).status_code == 404
    assert (
        _call(
            "post", _declarations_url(other["enterprise"]), world["key"], {"period": PERIOD, "lines": []}, "y"
        ).status_code
        == 404
    )
    assert _call("get", "/api/v1/employers/0123.456.789/declarations/", world["key"]).status_code == 404
    assert _call("get", "/api/v1/employers/not-a-number/declarations/", world["key"]).status_code == 404
    forged = _call("get", f"{own_url}{other_reference}/", world["key"])
    assert (forged.status_code, forged.json()["code"]) == (404, "not_found")
    assert Declaration.objects.filter(enterprise=other["enterprise"]).count() == 1


def _bureau(world, mandated):
    bureau = EnterpriseFactory()
    bureau_admin = UserFactory()
    representation(bureau_admin, bureau, "administrator")
    if mandated:
        mandate_services.enterprise_mandate_grant(
            actor=_admin_actor(world["admin"], world["enterprise"]),
            enterprise_id=world["enterprise"].pk,
            bureau_enterprise_number=bureau.enterprise_number,
            scopes=["declare"],
            starts_on=timezone.localdate(),
            now=timezone.now(),
        )
    return bureau, _key(bureau_admin, bureau)


def test_a_bureau_key_declares_for_an_employer_that_mandated_it(world):
    bureau, bureau_key = _bureau(world, mandated=True)

    employers = _call("get", "/api/v1/employers/", bureau_key).json()
    response = _declare(world, key=bureau_key)

    assert {(e["enterprise_number"], e["through_mandate"]) for e in employers} == {
        (bureau.enterprise_number, False),
        (world["enterprise"].enterprise_number, True),
    }
    assert response.status_code == 201
    assert Declaration.objects.get().via_bureau_id == bureau.pk


def test_a_bureau_key_without_mandate_is_not_found(world):
    _bureau_enterprise, bureau_key = _bureau(world, mandated=False)

    assert [e["through_mandate"] for e in _call("get", "/api/v1/employers/", bureau_key).json()] == [False]
    assert _declare(world, key=bureau_key).status_code == 404
    assert _call("get", _declarations_url(world["enterprise"]), bureau_key).status_code == 404
    assert not Declaration.objects.exists()


# --- Lists: pagination, filtering; throttling --------------------------------------------------


def test_declarations_are_paginated_and_filtered(world):
    for index, period in enumerate(["2026-08", "2026-09", "2026-10"]):
        assert _declare(world, idempotency_key=f"p{index}", period=period).status_code == 201
    url = _declarations_url(world["enterprise"])

    first_page = _call("get", url, world["key"], {"page_size": 2}).json()
    second_page = _call("get", url, world["key"], {"page_size": 2, "page": 2}).json()
    filtered = _call("get", url, world["key"], {"period_from": "2026-09", "period_to": "2026-09"}).json()
    bad = _call("get", url, world["key"], {"period_from": "September"})

    assert first_page["count"] == 3
    assert [row["period"] for row in first_page["results"]] == ["2026-10", "2026-09"]
    assert [row["period"] for row in second_page["results"]] == ["2026-08"]
    assert first_page["next"].endswith("page=2&page_size=2")
    assert [row["period"] for row in filtered["results"]] == ["2026-09"]
    assert (bad.status_code, bad.json()["code"], bad.json()["errors"][0]["field"]) == (
        400,
        "invalid_request",
        "period_from",
    )


def test_a_list_page_runs_a_constant_number_of_queries(world, django_assert_max_num_queries):
    for index, period in enumerate(["2026-07", "2026-08", "2026-09", "2026-10"]):
        _declare(world, idempotency_key=f"q{index}", period=period)
    with django_assert_max_num_queries(8):
        assert _call("get", _declarations_url(world["enterprise"]), world["key"]).status_code == 200
    with django_assert_max_num_queries(8):
        assert (
            _call(
                "get", f"/api/v1/employers/{world['enterprise'].enterprise_number}/employments/", world["key"]
            ).status_code
            == 200
        )


def test_a_key_over_its_rate_is_throttled(world, settings):
    settings.API_THROTTLE_RATES = {"key": "2/min", "anonymous": "1/min"}
    url = _declarations_url(world["enterprise"])
    assert [_call("get", url, world["key"]).status_code for _ in range(3)] == [200, 200, 429]
    throttled = _call("get", url, world["key"])
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    assert [_call("get", "/api/v1/rates/").status_code for _ in range(2)] == [200, 429]


# --- Employments -----------------------------------------------------------------------------


def _employments_url(enterprise):
    return f"/api/v1/employers/{enterprise.enterprise_number}/employments/"


def test_hire_termination_and_cancellation_by_api(world):
    url = _employments_url(world["enterprise"])
    newcomer = PersonFactory()
    start = timezone.localdate() + datetime.timedelta(days=3)
    body = {"national_number": newcomer.national_number, "worker_category": "worker", "start_date": start.isoformat()}

    hired = _call("post", url, world["key"], body, "h-1")
    overlap = _call("post", url, world["key"], body, "h-2")
    cancelled = _call("post", f"{url}{hired.json()['id']}/cancellation/", world["key"], None, "c-1")
    running = Employment.objects.filter(enterprise=world["enterprise"], cancelled_at__isnull=True).first()
    ended = _call(
        "post", f"{url}{running.pk}/termination/", world["key"], {"end_date": timezone.localdate().isoformat()}, "t-1"
    )

    assert hired.status_code == 201
    assert (hired.json()["national_number"], hired.json()["worker_category"], hired.json()["start_date"]) == (
        newcomer.national_number,
        "worker",
        start.isoformat(),
    )
    assert overlap.status_code == 422
    assert overlap.json()["code"] == "employment_refused"
    assert [(e["field"], e["code"]) for e in overlap.json()["errors"]] == [("start_date", "overlap")]
    assert (cancelled.status_code, cancelled.json()["cancelled"]) == (200, True)
    assert ended.status_code == 200
    assert ended.json() == {"id": running.pk, "end_date": timezone.localdate().isoformat(), "late": False}
    key_id = ApiKey.objects.get().pk
    assert set(EmploymentEvent.objects.filter(by_api_key_id=key_id).values_list("kind", flat=True)) == {
        "hire",
        "cancellation",
        "termination",
    }


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"national_number": "85.07.30-033.29"}, "national_number_checksum", "national_number"),
        ({"worker_category": "boss"}, "worker_category", "worker_category"),
        ({"start_date": "2020-01-01"}, "start_in_past", "start_date"),
    ],
)
def test_a_refused_hire_names_its_code_and_field(world, change, code, field):
    body = {
        "national_number": PersonFactory().national_number,
        "worker_category": "worker",
        "start_date": timezone.localdate().isoformat(),
        **change,
    }
    response = _call("post", _employments_url(world["enterprise"]), world["key"], body, "h")
    assert response.status_code == 422
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [(code, field)]
    assert Employment.objects.count() == 2


def test_another_employers_employment_cannot_be_ended_through_ones_own_url(world):
    other = _world()
    theirs = Employment.objects.filter(enterprise=other["enterprise"]).first()
    response = _call(
        "post",
        f"{_employments_url(world['enterprise'])}{theirs.pk}/termination/",
        world["key"],
        {"end_date": "2026-11-01"},
        "t",
    )
    assert response.status_code == 404
    assert Employment.objects.get(pk=theirs.pk).end_date is None


def test_the_register_lists_active_employments_on_a_day(world):
    url = _employments_url(world["enterprise"])
    active = _call("get", url, world["key"], {"active_on": "2026-10-15"}).json()
    before = _call("get", url, world["key"], {"active_on": "2026-09-15"}).json()
    assert {row["national_number"] for row in active["results"]} == {p.national_number for p in world["staff"]}
    assert before["count"] == 0


# --- Public rates ----------------------------------------------------------------------------


def test_the_rates_are_public_for_any_period(db):
    demo_rates_seed()
    response = Client().get("/api/v1/rates/", {"period": "2026-10"})
    assert response.status_code == 200
    rates = response.json()["rates"]
    pension = next(r for r in rates if r["branch"] == "pension" and r["worker_category"] == "employee")
    assert (pension["employee_rate"], pension["employer_rate"], pension["monthly_ceiling"]) == (
        "0.06900",
        "0.08550",
        "4005.00",
    )
    assert Decimal(pension["employee_rate"]) == Decimal("0.069")
    bad = Client().get("/api/v1/rates/", {"period": "2026-13"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_request")


# --- The matrix: every endpoint, every kind of caller ----------------------------------------


def _endpoints(world):
    employer = world["enterprise"].enterprise_number
    employment = Employment.objects.filter(enterprise=world["enterprise"]).first().pk
    upcoming = services.employment_hire(
        actor=_admin_actor(world["admin"], world["enterprise"]),
        enterprise_id=world["enterprise"].pk,
        national_number=PersonFactory().national_number,
        worker_category="worker",
        start_date=timezone.localdate() + datetime.timedelta(days=10),
        now=timezone.now(),
    )
    base = f"/api/v1/employers/{employer}"
    return [
        ("get", f"{base}/declarations/", None, "read"),
        ("post", f"{base}/declarations/", {"period": PERIOD, "lines": _lines(world)}, "declare"),
        ("get", f"{base}/declarations/{world['reference']}/", None, "read"),
        ("get", f"{base}/employments/", None, "read"),
        (
            "post",
            f"{base}/employments/",
            {
                "national_number": PersonFactory().national_number,
                "worker_category": "worker",
                "start_date": timezone.localdate().isoformat(),
            },
            "declare",
        ),
        (
            "post",
            f"{base}/employments/{employment}/termination/",
            {"end_date": timezone.localdate().isoformat()},
            "declare",
        ),
        ("post", f"{base}/employments/{upcoming}/cancellation/", None, "declare"),
    ]


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("caller", ["anonymous", "revoked", "other_employer", "unmandated_bureau", "wrong_scope"])
def test_every_endpoint_refuses_who_may_not_and_changes_nothing(world, index, caller):
    world["reference"] = _declare(world, idempotency_key="setup", period="2026-09").json()["reference"]
    method, path, body, scope = _endpoints(world)[index]
    key = {
        "anonymous": None,
        "other_employer": _world()["key"],
        "unmandated_bureau": _bureau(world, mandated=False)[1],
        "wrong_scope": _key(
            world["admin"], world["enterprise"], scopes=("read",) if scope == "declare" else ("declare",)
        ),
    }.get(caller)
    if caller == "revoked":
        key = _key(world["admin"], world["enterprise"], name="old")
        ApiKey.objects.filter(name="old").update(revoked_at=timezone.now())
    before = (
        Declaration.objects.count(),
        list(Employment.objects.order_by("pk").values_list("pk", "end_date", "cancelled_at")),
    )

    response = _call(method, path, key, body, "matrix")

    expected = {"anonymous": 401, "revoked": 401, "wrong_scope": 403}.get(caller, 404)
    assert response.status_code == expected
    assert response.json()["code"] == {401: "unauthenticated", 403: "scope_missing", 404: "not_found"}[expected]
    after = (
        Declaration.objects.count(),
        list(Employment.objects.order_by("pk").values_list("pk", "end_date", "cancelled_at")),
    )
    assert after == before


@pytest.mark.parametrize("index", range(7))
def test_every_endpoint_answers_the_employer_and_its_mandated_bureau(world, index):
    world["reference"] = _declare(world, idempotency_key="setup", period="2026-09").json()["reference"]
    _bureau_enterprise, bureau_key = _bureau(world, mandated=True)
    method, path, body, _scope = _endpoints(world)[index]

    response = _call(method, path, bureau_key, body, "bureau")

    assert response.status_code in {"get": {200}, "post": {200, 201}}[method], response.json()


# --- Every answer in the documented shape -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/v1/nothing/", 404), ("/api/v1/employers/x/employments/abc/termination/", 404), ("/api/v1/", 404)],
)
def test_unknown_paths_under_the_api_answer_json(world, path, status):
    response = _call("get", path, world["key"])
    assert response.status_code == status
    assert response.json()["code"] == "not_found"


def test_a_path_without_its_trailing_slash_is_served_not_redirected(world):
    response = Client().post(
        _declarations_url(world["enterprise"]).rstrip("/"),
        json.dumps({"period": PERIOD, "lines": _lines(world)}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {world['key']}", "Idempotency-Key": "slash"},
    )
    assert response.status_code == 201


def test_asking_for_html_answers_406_in_json(world):
    response = Client().get(
        _declarations_url(world["enterprise"]),
        headers={"Authorization": f"Bearer {world['key']}", "Accept": "text/html"},
    )
    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


def test_a_wage_beyond_what_can_be_stored_is_an_anomaly_not_a_server_error(world):
    lines = _lines(world)
    lines[0]["gross_wage"] = "999999999999.99"
    response = _declare(world, lines=lines)
    assert response.status_code == 422
    assert [(e["line"], e["code"]) for e in response.json()["errors"]] == [(1, "wage_too_large")]
    # Longer still, or as an exponent: not the notation of an amount.
    for wage in ("1e20", "9" * 30):
        lines[0]["gross_wage"] = wage
        response = _declare(world, lines=lines, idempotency_key=f"k-{wage[:5]}")
        assert [(e["line"], e["code"]) for e in response.json()["errors"]] == [(1, "wage_invalid")]


@pytest.mark.parametrize(
    "key", ["gch_\x00.abc", "gch_000000000000." + "a" * 43 + "\x00", "gch_ZZZZZZZZZZZZ." + "a" * 43]
)
def test_a_malformed_key_is_refused_without_reaching_the_database(world, key, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = Client().get(_declarations_url(world["enterprise"]), headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_wrong_keys_are_throttled_per_address_and_a_forged_forwarded_for_does_not_help(world, settings):
    settings.API_THROTTLE_RATES = {
        **settings.API_THROTTLE_RATES,
        "failed_authentication": "3/min",
        "anonymous": "2/min",
    }
    answers = [
        Client()
        .get(
            _declarations_url(world["enterprise"]),
            headers={"Authorization": "Bearer gch_000000000000." + "a" * 43, "X-Forwarded-For": f"10.0.0.{index}"},
        )
        .status_code
        for index in range(5)
    ]
    assert answers == [401, 401, 401, 429, 429]
    rates = [
        Client().get("/api/v1/rates/", headers={"X-Forwarded-For": f"10.0.1.{index}"}).status_code for index in range(3)
    ]
    assert rates == [200, 200, 429]


# --- The contract: every input checked, every answer documented ------------------------------


def _rejected_fields(response):
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_request"
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("period", ["0000-01", "1899-12", "2026-13", "2026-00", "2026-1", "２０２６-10"])
def test_a_period_the_calendar_of_periods_refuses_is_a_documented_rejection_not_a_server_error(world, period):
    url = _declarations_url(world["enterprise"])

    rates = Client().get("/api/v1/rates/", {"period": period})
    listed = _call("get", url, world["key"], {"period_from": period, "period_to": period})
    declared = _declare(world, period=period)

    assert _rejected_fields(rates) == [("period", "period_format")]
    assert _rejected_fields(listed) == [("period_from", "period_format"), ("period_to", "period_format")]
    assert _rejected_fields(declared) == [("period", "period_format")]
    assert not Declaration.objects.exists()


def test_the_first_and_the_last_years_of_a_period_are_accepted(db):
    demo_rates_seed()
    assert Client().get("/api/v1/rates/", {"period": "1900-01"}).json() == {"period": "1900-01", "rates": []}
    assert Client().get("/api/v1/rates/", {"period": "9999-12"}).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options", "get", "head"])
def test_an_unknown_path_answers_the_json_404_whatever_the_method_and_without_a_csrf_check(world, method):
    # The test client skips the CSRF check unless asked to: a real client does not.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(
        "/api/v1/nothing/",
        headers={"Authorization": f"Bearer {world['key']}", "Idempotency-Key": "x", "Accept-Language": "en"},
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    if method != "head":
        assert response.json() == {
            "code": "not_found",
            "message": "Not found, or not accessible with this API key.",
            "errors": [],
        }


@pytest.mark.parametrize(
    "path", ["/api/v1/uploads/%0A/anomalies/", "/api/v1/employers/%0A/employments/1/termination/", "/api/v1/%0A"]
)
def test_a_path_with_a_line_break_answers_the_json_404_not_an_html_page(world, path):
    response = Client(enforce_csrf_checks=True).post(path, headers={"Authorization": f"Bearer {world['key']}"})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_every_view_under_the_api_is_exempt_from_the_csrf_check():
    from django.urls import URLResolver, get_resolver

    under_api = [pattern for pattern in get_resolver().url_patterns if str(pattern.pattern).startswith("api/v1/")]
    views = {
        str(inner.pattern): inner.callback
        for pattern in under_api
        for inner in (pattern.url_patterns if isinstance(pattern, URLResolver) else [pattern])
    }
    # The schema, ten routes of operations, the civil registry partners' events and their schema,
    # and the 404 of every other path.
    assert len(views) == 14
    assert [route for route, view in views.items() if not getattr(view, "csrf_exempt", False)] == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("850730\x0003329", "Null characters are not allowed."),
        ("\ud800", "Surrogate characters are not allowed: U+D800."),
    ],
)
def test_a_field_drf_refuses_answers_a_documented_code_with_drfs_message(world, value, message):
    lines = _lines(world)
    lines[0]["national_number"] = value

    response = _declare(world, lines=lines)

    assert response.status_code == 400
    assert [(e["line"], e["field"], e["code"], e["message"]) for e in response.json()["errors"]] == [
        (1, "national_number", "invalid", message)
    ]
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/api/v1/rates/", {"period": ""}, [("period", "period_format")]),
        ("declarations", {"period_from": ""}, [("period_from", "period_format")]),
        ("declarations", {"status": ""}, [("status", "invalid_choice")]),
        ("employments", {"active_on": ""}, [("active_on", "invalid")]),
        ("declarations", {"page": ""}, [("page", "invalid")]),
        ("employments", {"page_size": ""}, [("page_size", "invalid")]),
    ],
)
def test_an_empty_query_value_is_refused_not_taken_for_an_absent_one(world, path, query, expected):
    if not path.startswith("/"):
        path = f"/api/v1/employers/{world['enterprise'].enterprise_number}/{path}/"
    assert _rejected_fields(_call("get", path, world["key"], query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"page_size": "null"}, [("page_size", "invalid")]),
        ({"page_size": "0"}, [("page_size", "min_value")]),
        ({"page_size": "-5"}, [("page_size", "min_value")]),
        ({"page": "abc"}, [("page", "invalid")]),
        ({"page": "0"}, [("page", "min_value")]),
        ({"page": "last"}, [("page", "invalid")]),
    ],
)
def test_a_page_or_a_page_size_that_is_not_a_positive_integer_is_refused(world, query, expected):
    for path in (_declarations_url(world["enterprise"]), "/api/v1/uploads/"):
        assert _rejected_fields(_call("get", path, world["key"], query)) == expected


def test_a_large_page_size_is_taken_as_the_largest_and_a_page_beyond_the_last_is_not_found(world):
    url = _employments_url(world["enterprise"])
    large = _call("get", url, world["key"], {"page_size": "100000"})
    beyond = _call("get", url, world["key"], {"page": "2"})
    assert (large.status_code, large.json()["count"], len(large.json()["results"])) == (200, 2, 2)
    assert (beyond.status_code, beyond.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("wage", ["1e3", "1_000.00", "１０００.００", "١٠٠٠", "+5.00", ".5", "5.", "2950,50"])
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The gross wage must be an amount with at most two decimals."),
        ("fr", None),  # French, whatever its wording: not the English
    ],
)
def test_an_amount_in_another_notation_is_a_line_error_on_the_api(world, wage, language, message):
    first, _second = world["staff"]
    lines = [
        {
            "national_number": first.national_number,
            "worker_category": "employee",
            "gross_wage": wage,
            "days_worked": "1",
        }
    ]

    response = _declare(world, lines=lines, language=language)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["line"], error["field"], error["code"]) == (1, "gross_wage", "wage_invalid")
    if message is not None:
        assert error["message"] == message
    else:
        assert error["message"] != "The gross wage must be an amount with at most two decimals." and error["message"]
    assert not Declaration.objects.exists()
