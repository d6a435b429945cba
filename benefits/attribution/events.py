"""Life events from the civil registry: received (stored once per partner and event id), then
applied to the registry on the ``attribution`` queue.

- **Received**: the events of a request are stored together; an event id the partner sent
  before is acknowledged as a duplicate and ignored. Nothing is applied in the request.
- **Applied** one at a time, each in its transaction, under the event's row lock (a second
  worker skips it): a birth creates the child and the parent links, a death sets the date (a
  correction moves it), a marriage links the spouses (ended already when a death is on file:
  events come out of order), a change of address moves the person.
- **Waiting**: an event naming a person the registry does not know yet keeps their numbers and
  is applied when they appear (``events_waiting_release``: after each birth applied, and every
  minute for persons staff added).
- **Failed**: the registry refused it (a conflict, an invalid number), with the reason; staff
  retry it once the registry is corrected.

Each event applied is then turned into the benefits it opens (``proposals.event_propose``, queued
after the commit). A death applied also runs the benefits' deaths (entitlements ended, payments stopped, recalled
or asked back); mandates end with the nightly job that reads the registry's deaths.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from benefits.models import LifeEvent, LifeEventKind, LifeEventState
from benefits.registry_table import PERSON_TABLE
from benefits.types import EventReceipt
from core.errors import NotFound
from core.tasks import enqueue
from identity import services as identity_services
from identity.country_profiles import country_profile
from identity.selectors import person_ids_by_national_numbers
from identity.types import IdentityError

_PERSON = PERSON_TABLE
# Events applied per transaction batch by the draining task (each event has its own savepoint).
APPLY_CHUNK = 200


@dataclass(frozen=True)
class EventInput:
    """One event as a partner sends it (validated by the API's serializer or the batch file)."""

    partner_event_id: str
    kind: str
    occurred_on: datetime.date
    data: dict[str, Any]
    corrects: str = ""


def events_receive(*, partner_id: int, events: Sequence[EventInput], now: datetime.datetime) -> list[EventReceipt]:
    """Store the events not received before (one query to find the repeats, one insert), then
    queue their application after the commit."""
    wanted: dict[str, EventInput] = {}
    for event in events:
        wanted.setdefault(event.partner_event_id, event)
    known = set(
        LifeEvent.objects.filter(partner_id=partner_id, partner_event_id__in=list(wanted)).values_list(
            "partner_event_id", flat=True
        )
    )
    fresh = [event for event_id, event in wanted.items() if event_id not in known]
    LifeEvent.objects.bulk_create(
        [
            LifeEvent(
                partner_id=partner_id,
                partner_event_id=event.partner_event_id,
                kind=event.kind,
                occurred_on=event.occurred_on,
                corrects=event.corrects,
                data=event.data,
                received_at=now,
            )
            for event in fresh
        ],
        ignore_conflicts=True,
    )
    if fresh:
        enqueue("benefits.life_events_apply")
    accepted = {event.partner_event_id for event in fresh}
    receipts = []
    for event in events:
        first = event.partner_event_id in accepted
        accepted.discard(event.partner_event_id)
        receipts.append(EventReceipt(event.partner_event_id, "accepted" if first else "duplicate"))
    return receipts


# --- Applying ------------------------------------------------------------------------------------


def _compact(number: str) -> str:
    try:
        return country_profile().person_number.validate(number)
    except IdentityError:
        return number


def _named(event: LifeEvent) -> tuple[list[str], list[str]]:
    """The national numbers the event needs known (compact), and those it may create."""
    data = event.data
    if event.kind == LifeEventKind.BIRTH:
        return [_compact(number) for number in data.get("parents", [])], [_compact(data["child"]["national_number"])]
    if event.kind == LifeEventKind.MARRIAGE:
        return [_compact(number) for number in data.get("spouses", [])], []
    return [_compact(data["person"])], []


def _apply(event: LifeEvent, ids: dict[str, int], now: datetime.datetime) -> int:
    """The registry changed as the event says; returns the person it is about."""
    data = event.data
    if event.kind == LifeEventKind.BIRTH:
        child = data["child"]
        return identity_services.registry_birth_record(
            national_number=child["national_number"],
            first_name=child["first_name"],
            last_name=child["last_name"],
            birth_date=event.occurred_on,
            parent_ids=[ids[_compact(number)] for number in data.get("parents", [])],
            now=now,
        ).person_id
    if event.kind == LifeEventKind.MARRIAGE:
        first, second = (ids[_compact(number)] for number in data["spouses"])
        return identity_services.registry_marriage_record(
            person_ids=(first, second), married_on=event.occurred_on, kind=data.get("kind", "marriage"), now=now
        ).person_id
    person_id = ids[_compact(data["person"])]
    if event.kind == LifeEventKind.DEATH:
        return identity_services.registry_death_record(
            person_id=person_id, death_date=event.occurred_on, now=now
        ).person_id
    return identity_services.registry_address_change(
        person_id=person_id,
        street=data.get("street", ""),
        postal_code=data.get("postal_code", ""),
        city=data.get("city", ""),
        country=data["country"],
        now=now,
    ).person_id


def _superseded(event: LifeEvent, person_id: int) -> bool:
    """A change of address older than one already applied for the person (out of order)."""
    return (
        event.kind == LifeEventKind.ADDRESS
        and LifeEvent.objects.filter(
            kind=LifeEventKind.ADDRESS,
            person_id=person_id,
            state=LifeEventState.APPLIED,
            occurred_on__gt=event.occurred_on,
        ).exists()
    )


def event_apply(*, event_id: int, now: datetime.datetime) -> str | None:
    """Apply one event received (or waiting) to the registry; returns its new state, None when
    another worker holds it or it is done."""
    with transaction.atomic():
        event = (
            LifeEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, state__in=[LifeEventState.RECEIVED, LifeEventState.WAITING])
            .first()
        )
        if event is None:
            return None
        event.attempts += 1
        needed, created = _named(event)
        ids = person_ids_by_national_numbers(numbers=needed + created)
        missing = [number for number in needed if number not in ids]
        fields = ["state", "attempts", "waiting_for", "failure_code", "failure_detail", "applied_at", "person"]
        event.failure_code, event.failure_detail, event.waiting_for = "", "", []
        if missing:
            event.state, event.waiting_for = LifeEventState.WAITING, sorted(set(missing))
            event.save(update_fields=fields)
            return event.state
        if event.corrects and event.kind in (LifeEventKind.BIRTH, LifeEventKind.MARRIAGE):
            # A corrected birth or marriage changes who is who: staff correct the registry.
            event.state, event.failure_code = LifeEventState.FAILED, "correction_by_hand"
            event.save(update_fields=fields)
            return event.state
        person_id = ids[needed[0]] if needed and event.kind != LifeEventKind.BIRTH else None
        if person_id is not None and _superseded(event, person_id):
            event.state, event.applied_at, event.person_id = LifeEventState.APPLIED, now, person_id
            event.failure_code = "superseded"
            event.save(update_fields=fields)
            return event.state
        try:
            with transaction.atomic():
                event.person_id = _apply(event, ids, now)
        except (IdentityError, NotFound) as error:
            event.state, event.failure_code = LifeEventState.FAILED, error.code[:40]
            event.failure_detail = str(error.message)[:300]
        except (KeyError, TypeError, ValueError) as error:
            event.state, event.failure_code = LifeEventState.FAILED, "data_invalid"
            event.failure_detail = repr(error)[:300]
        else:
            event.state, event.applied_at = LifeEventState.APPLIED, now
        event.save(update_fields=fields)
        if event.state == LifeEventState.APPLIED:
            enqueue("benefits.life_event_propose", event_id=event.pk)
            if event.kind == LifeEventKind.BIRTH:
                enqueue("benefits.life_events_release")
            if event.kind == LifeEventKind.DEATH:
                enqueue("benefits.deaths_apply")
        return event.state


def events_to_apply(*, limit: int = APPLY_CHUNK) -> list[int]:
    """The events received and not applied yet, the oldest first."""
    return list(
        LifeEvent.objects.filter(state=LifeEventState.RECEIVED).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def events_apply(*, now: datetime.datetime) -> int:
    """Apply every event received, chunk after chunk (what the queue's task and the reconciler
    run; two at once share the work through the rows' locks)."""
    applied = 0
    while True:
        chunk = events_to_apply()
        if not chunk:
            return applied
        done = [event_apply(event_id=event_id, now=now) for event_id in chunk]
        applied += sum(1 for state in done if state is not None)
        if not any(state is not None for state in done):
            return applied  # all held by another worker


_RELEASE = f"""
UPDATE benefits_lifeevent e SET state = %(received)s
WHERE e.state = %(waiting)s
  AND NOT EXISTS (SELECT 1 FROM unnest(e.waiting_for) AS number
                  WHERE NOT EXISTS (SELECT 1 FROM {_PERSON} p WHERE p.national_number = number))
"""  # noqa: S608


def events_waiting_release() -> int:
    """Events waiting for persons who are now in the registry become to apply (one statement);
    their application is queued."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_RELEASE, {"received": LifeEventState.RECEIVED, "waiting": LifeEventState.WAITING})
        released = cursor.rowcount
        if released:
            enqueue("benefits.life_events_apply")
    return released


def event_retry(*, event_ids: Iterable[int], user_id: int, now: datetime.datetime) -> int:
    """Staff send failed or waiting events back to be applied (once the registry is corrected)."""
    with transaction.atomic():
        retried = LifeEvent.objects.filter(
            pk__in=list(event_ids), state__in=[LifeEventState.FAILED, LifeEventState.WAITING]
        ).update(state=LifeEventState.RECEIVED, retried_by_id=user_id)
        if retried:
            enqueue("benefits.life_events_apply")
    return retried
