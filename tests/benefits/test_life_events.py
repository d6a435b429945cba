"""Life events from the civil registry: the partner API (a key, a signed body, once; scopes;
every event valid or nothing stored), the events stored once per partner id, and each applied to
the registry — in order or not, about a person known today or later, corrected, or refused by
the registry and retried by staff."""

from __future__ import annotations

import datetime
import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from benefits import services
from benefits.models import LifeEvent, LifeEventState, PartnerRequest
from core.signatures import sign
from identity.country_profiles import country_profile
from identity.models import FamilyLink, Person
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/api/v1/civil-registry/events/"


def _partner(scopes=("birth", "marriage", "death", "address"), name="Registre national") -> dict:
    partner_id, key, secret = services.partner_create(name=name, scopes=list(scopes), user_id=None, now=timezone.now())
    return {"id": partner_id, "key": key, "secret": secret}


def _send(client, partner: dict, events: list[dict], *, at: int | None = None, secret: str | None = None, raw=None):
    body = raw if raw is not None else json.dumps({"events": events}).encode()
    signature = sign(body=body, secret=secret or partner["secret"], at=int(time.time()) if at is None else at)
    return client.post(
        URL,
        body,
        content_type="application/json",
        headers={"Authorization": f"Partner {partner['key']}", "X-Guichet-Signature": signature},
    )


def _number(birth: datetime.date, serial: int) -> str:
    return country_profile().synthetic_person_number(birth, serial)


def _apply() -> None:
    services.life_events_apply(now=timezone.now())


def _birth(event_id: str, child_number: str, born: datetime.date, parents: list[Person]) -> dict:
    return {
        "id": event_id,
        "type": "birth",
        "occurred_on": born.isoformat(),
        "data": {
            "child": {"national_number": child_number, "first_name": "Léa", "last_name": "Dubois"},
            "parents": [parent.national_number for parent in parents],
        },
    }


def _death(event_id: str, person_number: str, died: datetime.date, corrects: str = "") -> dict:
    event = {"id": event_id, "type": "death", "occurred_on": died.isoformat(), "data": {"person": person_number}}
    if corrects:
        event["corrects"] = corrects
    return event


def _state(event_id: str) -> tuple:
    event = LifeEvent.objects.get(partner_event_id=event_id)
    return event.state, event.failure_code


# --- The partner API -----------------------------------------------------------------------------


def test_events_are_stored_once_and_an_event_sent_again_is_acknowledged_and_ignored(client):
    partner = _partner()
    mother = PersonFactory(birth_date=D(1990, 1, 1))
    born = timezone.localdate() - datetime.timedelta(days=3)
    events = [_birth("EC-1", _number(born, 7), born, [mother]), _death("EC-2", mother.national_number, born)]

    first = _send(client, partner, events)
    again = _send(client, partner, [*events, _death("EC-3", mother.national_number, born)], at=int(time.time()) + 1)

    assert first.status_code == 202
    assert first.json() == {"events": [{"id": "EC-1", "status": "accepted"}, {"id": "EC-2", "status": "accepted"}]}
    assert again.json()["events"] == [
        {"id": "EC-1", "status": "duplicate"},
        {"id": "EC-2", "status": "duplicate"},
        {"id": "EC-3", "status": "accepted"},
    ]
    assert sorted(LifeEvent.objects.values_list("partner_event_id", "state")) == [
        ("EC-1", "received"),
        ("EC-2", "received"),
        ("EC-3", "received"),
    ]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no key", 401, "unauthenticated"),
        ("unknown key", 401, "unauthenticated"),
        ("revoked key", 401, "unauthenticated"),
        ("wrong secret", 401, "signature_invalid"),
        ("signed six minutes ago", 401, "signature_invalid"),
        ("body changed after signing", 401, "signature_invalid"),
        ("replayed", 409, "replayed"),
        ("scope missing", 403, "scope_missing"),
        ("event off the schema", 400, "invalid_request"),
        ("date in year 9999", 400, "invalid_request"),
    ],
)
def test_a_request_refused_stores_nothing(client, case, status, code):
    partner = _partner(scopes=("death",) if case == "scope missing" else ("birth", "death"))
    person = PersonFactory()
    events = [_death("EC-9", person.national_number, D(2026, 1, 2))]
    if case == "scope missing":
        events.append(_birth("EC-10", _number(D(2026, 1, 1), 3), D(2026, 1, 1), [person]))
    if case == "event off the schema":
        events[0]["data"] = {"persons": person.national_number}
    if case == "date in year 9999":
        events[0]["occurred_on"] = "9999-01-01"
    body = json.dumps({"events": events}).encode()
    signature = sign(body=body, secret=partner["secret"], at=int(time.time()))
    headers = {"Authorization": f"Partner {partner['key']}", "X-Guichet-Signature": signature}
    if case == "no key":
        del headers["Authorization"]
    if case == "unknown key":
        headers["Authorization"] = "Partner gcr_00000000.unknown"
    if case == "revoked key":
        services.partner_revoke(partner_id=partner["id"], now=timezone.now())
    if case == "wrong secret":
        headers["X-Guichet-Signature"] = sign(body=body, secret="not-the-secret", at=int(time.time()))
    if case == "signed six minutes ago":
        headers["X-Guichet-Signature"] = sign(body=body, secret=partner["secret"], at=int(time.time()) - 360)
    if case == "body changed after signing":
        body = body.replace(b"EC-9", b"EC-8")
    if case == "replayed":
        assert client.post(URL, body, content_type="application/json", headers=headers).status_code == 202
        LifeEvent.objects.all().delete()

    response = client.post(URL, body, content_type="application/json", headers=headers)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not LifeEvent.objects.exists()
    if case in ("scope missing", "event off the schema", "date in year 9999"):
        # Refused whole: its signature is not spent either.
        assert not PartnerRequest.objects.exists()


def test_the_schema_documents_the_endpoint_and_its_error_codes(client):
    schema = client.get(reverse("api_partner_schema"), {"format": "json"}).json()
    validate_schema(schema)
    # The payroll software's schema does not show it.
    assert "/api/v1/civil-registry/events/" not in client.get(reverse("api_schema"), {"format": "json"}).json()["paths"]
    operation = schema["paths"]["/api/v1/civil-registry/events/"]["post"]
    assert set(operation["responses"]) == {"202", "400", "401", "403", "409", "413", "429"}
    components = schema["components"]["schemas"]

    def resolved(node: dict) -> dict:
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    for answer in ("400", "401", "403", "409"):
        error = resolved(operation["responses"][answer]["content"]["application/json"]["schema"])
        codes = set(resolved(error["properties"]["code"])["enum"])
        assert {"signature_invalid", "replayed", "scope_missing", "unauthenticated", "invalid_request"} <= codes
    messages = components["PartnerErrorCodeEnum"]["x-messages"]
    assert messages["replayed"]["en"] == "This signed request was already received: sign each request anew."
    assert "X-Guichet-Signature" in {parameter["name"] for parameter in operation["parameters"]}


# --- Applied to the registry -----------------------------------------------------------------------


def test_a_birth_creates_the_child_with_the_parents_links_and_address():
    partner = _partner()
    mother = PersonFactory(birth_date=D(1990, 1, 1), city="Namur", postal_code="5000")
    father = PersonFactory(birth_date=D(1988, 5, 5))
    born = D(2026, 11, 30)
    services.life_events_receive(
        partner_id=partner["id"],
        events=[_input(_birth("EC-1", _number(born, 12), born, [mother, father]))],
        now=timezone.now(),
    )

    _apply()

    assert _state("EC-1") == (LifeEventState.APPLIED, "")
    child = Person.objects.get(national_number=_number(born, 12))
    assert (child.first_name, child.birth_date, child.city, child.postal_code) == ("Léa", born, "Namur", "5000")
    assert sorted(FamilyLink.objects.filter(relative=child).values_list("person_id", "kind")) == sorted(
        [(mother.pk, "parent_child"), (father.pk, "parent_child")]
    )
    assert LifeEvent.objects.get(partner_event_id="EC-1").person_id == child.pk


def _input(event: dict):
    return services.EventInput(
        partner_event_id=event["id"],
        kind=event["type"],
        occurred_on=D.fromisoformat(event["occurred_on"]),
        corrects=event.get("corrects", ""),
        data=event["data"],
    )


def _receive(partner: dict, *events: dict) -> None:
    services.life_events_receive(
        partner_id=partner["id"], events=[_input(event) for event in events], now=timezone.now()
    )


def test_a_death_about_a_person_unknown_today_waits_and_is_applied_when_the_birth_arrives():
    partner = _partner()
    mother = PersonFactory(birth_date=D(1990, 1, 1))
    born = D(2026, 6, 1)
    child_number = _number(born, 21)
    _receive(partner, _death("EC-2", child_number, D(2026, 6, 3)))
    _apply()
    event = LifeEvent.objects.get(partner_event_id="EC-2")
    assert (event.state, event.waiting_for) == (LifeEventState.WAITING, [child_number])

    _receive(partner, _birth("EC-1", child_number, born, [mother]))
    _apply()
    assert services.life_events_waiting_release() == 1
    _apply()

    assert _state("EC-1") == _state("EC-2") == (LifeEventState.APPLIED, "")
    assert Person.objects.get(national_number=child_number).death_date == D(2026, 6, 3)


def test_a_marriage_received_after_the_death_that_ended_it_is_recorded_ended():
    partner = _partner()
    anna, ben = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1951, 1, 1))
    _receive(partner, _death("EC-2", ben.national_number, D(2026, 3, 1)))
    _apply()
    marriage = {
        "id": "EC-1",
        "type": "marriage",
        "occurred_on": "1975-06-21",
        "data": {"spouses": [anna.national_number, ben.national_number]},
    }
    _receive(partner, marriage)
    _apply()

    assert _state("EC-1") == (LifeEventState.APPLIED, "")
    link = FamilyLink.objects.get(kind="marriage")
    assert (link.started_on, link.ended_on) == (D(1975, 6, 21), D(2026, 3, 1))


def test_a_corrected_death_moves_the_date_and_a_move_abroad_changes_the_country():
    partner = _partner()
    person = PersonFactory(birth_date=D(1940, 1, 1))
    _receive(partner, _death("EC-1", person.national_number, D(2026, 3, 1)))
    _apply()
    _receive(
        partner,
        _death("EC-2", person.national_number, D(2026, 2, 27), corrects="EC-1"),
    )
    _apply()
    person.refresh_from_db()
    assert person.death_date == D(2026, 2, 27)

    mover = PersonFactory(birth_date=D(1950, 1, 1))
    newer = {
        "id": "EC-4",
        "type": "address",
        "occurred_on": "2026-05-01",
        "data": {
            "person": mover.national_number,
            "street": "Calle Mayor 1",
            "postal_code": "03001",
            "city": "Alicante",
            "country": "ES",
        },
    }
    older = {
        **newer,
        "id": "EC-3",
        "occurred_on": "2026-04-01",
        "data": {**newer["data"], "city": "Valencia", "postal_code": "46001"},
    }
    _receive(partner, newer, older)  # the older arrives second: out of order
    _apply()
    mover.refresh_from_db()
    assert (mover.city, mover.country) == ("Alicante", "ES")
    assert _state("EC-3") == (LifeEventState.APPLIED, "superseded")


def test_an_event_the_registry_refuses_fails_with_its_reason_and_staff_retry_it():
    partner = _partner()
    anna, ben = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1951, 1, 1))
    ben.death_date = D(2020, 1, 1)
    ben.save(update_fields=["death_date"])
    marriage = {
        "id": "EC-1",
        "type": "marriage",
        "occurred_on": "2024-06-21",
        "data": {"spouses": [anna.national_number, ben.national_number]},
    }
    _receive(partner, marriage)
    _apply()
    assert _state("EC-1") == (LifeEventState.FAILED, "spouse_dead")
    assert not FamilyLink.objects.exists()

    # The registry is corrected (the death was someone else's), then staff retry.
    ben.death_date = None
    ben.save(update_fields=["death_date"])
    staff = UserFactory(is_staff=True)
    assert services.life_event_retry(event_ids=[LifeEvent.objects.get().pk], user_id=staff.pk, now=timezone.now()) == 1
    _apply()

    assert _state("EC-1") == (LifeEventState.APPLIED, "")
    assert FamilyLink.objects.filter(kind="marriage", person=anna, relative=ben).exists()
