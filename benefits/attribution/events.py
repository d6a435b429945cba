"""Life events from the civil registry: received (stored once per partner and event id), then
applied to the registry on the ``attribution`` queue.

- **Received**: the events of a request are stored together; an event id the partner sent
  before is acknowledged as a duplicate and ignored. Nothing is applied in the request.
- **Applied** under the events' row locks (a second worker skips them): a birth creates the
  child and the parent links, a death sets the date (a correction moves it), a marriage links
  the spouses (ended already when a death is on file: events come out of order), a change of
  address moves the person.
- **Waiting**: an event naming a person the registry does not know yet keeps their numbers and
  is applied when they appear (``events_waiting_release``: after each birth applied, and every
  minute for persons staff added).
- **Failed**: the registry refused it (a conflict, an invalid number), with the reason; staff
  retry it once the registry is corrected.

Events are applied a batch at a time (``APPLY_CHUNK``), in the order they arrived: each run of
consecutive events of one kind through the registry's batch services (a few statements whatever
their number), a corrected birth or marriage on its own; the work they call for is queued once
a batch. The events
applied are then turned into the benefits they open (``proposals.events_propose_all``, queued
after the commit). A death applied also runs the benefits' deaths (entitlements ended, payments
stopped, recalled or asked back); mandates end with the nightly job that reads the registry's
deaths. A death or a move applied computes again, at once, the open proposals to or about the
person (``proposals.proposals_reevaluate_about``).
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pghistory
from django.db import connection, transaction
from django.db.models import Max

from benefits.models import LifeEvent, LifeEventKind, LifeEventState
from benefits.registry_table import PERSON_TABLE
from benefits.types import EventReceipt
from core.db import any_of, int_array, nullable_int_array, text_array
from core.errors import NotFound
from core.tasks import enqueue
from identity import services as identity_services
from identity.country_profiles import country_profile
from identity.selectors import person_ids_by_national_numbers
from identity.types import (
    AddressChangeRecord,
    BirthRecord,
    FamilyLinkKind,
    IdentityError,
    MarriageRecord,
    RegistryChange,
    RegistryOutcome,
)

_PERSON = PERSON_TABLE
# Events applied per transaction by the draining task.
APPLY_CHUNK = 5000


@dataclass(frozen=True)
class EventInput:
    """One event as a partner sends it (validated by the API's serializer or the batch file)."""

    partner_event_id: str
    kind: str
    occurred_on: datetime.date
    data: dict[str, Any]
    corrects: str = ""


class _Received(NamedTuple):
    """What applying reads of an event received (a batch reads 5,000: no model instance)."""

    pk: int
    kind: str
    occurred_on: datetime.date
    corrects: str
    data: dict[str, Any]


# The events of a request land here first (COPY), then in the table in one statement that skips
# the ids the partner sent before.
_INCOMING = "benefits_life_events_incoming"
_INCOMING_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} (
    partner_event_id varchar(64) NOT NULL, kind varchar(10) NOT NULL, occurred_on date NOT NULL,
    corrects varchar(64) NOT NULL, data jsonb NOT NULL
) ON COMMIT DELETE ROWS
"""
_INCOMING_STORE = f"""
INSERT INTO benefits_lifeevent (partner_id, partner_event_id, kind, occurred_on, corrects, data, received_at,
                                state, waiting_for, failure_code, failure_detail, attempts, imported_by_id)
SELECT %(partner)s, i.partner_event_id, i.kind, i.occurred_on, i.corrects, i.data, %(now)s,
       %(received)s, '{{}}', '', '', 0, %(imported_by)s
FROM {_INCOMING} i
ON CONFLICT (partner_id, partner_event_id) DO NOTHING
RETURNING partner_event_id
"""  # noqa: S608


def events_receive(
    *,
    partner_id: int,
    events: Sequence[EventInput],
    now: datetime.datetime,
    imported_by_id: int | None = None,
) -> list[EventReceipt]:
    """Store the events not received before (copied into a temporary table, then one insert
    that skips the ids the partner sent before), then queue their application after the commit.
    ``imported_by_id``: the registry clerk who imported the batch file they came in."""
    wanted: dict[str, EventInput] = {}
    for event in events:
        wanted.setdefault(event.partner_event_id, event)
    accepted: set[str] = set()
    if wanted:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_INCOMING_CREATE)
            cursor.execute(f"TRUNCATE {_INCOMING}")
            with cursor.cursor.copy(
                f"COPY {_INCOMING} (partner_event_id, kind, occurred_on, corrects, data) FROM STDIN"
            ) as copy:
                for event in wanted.values():
                    copy.write_row(
                        (event.partner_event_id, event.kind, event.occurred_on, event.corrects, json.dumps(event.data))
                    )
            cursor.execute(
                _INCOMING_STORE,
                {
                    "partner": partner_id,
                    "now": now,
                    "received": LifeEventState.RECEIVED,
                    "imported_by": imported_by_id,
                },
            )
            accepted = {row[0] for row in cursor.fetchall()}
            cursor.execute(f"TRUNCATE {_INCOMING}")
            if accepted:
                enqueue("benefits.life_events_apply")
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


def _named(event: LifeEvent | _Received) -> tuple[list[str], list[str]]:
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


@dataclass
class _Queued:
    """The work events applied call for, queued once after the commit of their batch."""

    propose: bool = False
    release: bool = False
    deaths: bool = False
    reevaluate: set[int] = field(default_factory=set)

    def note(self, kind: str, person_id: int | None) -> None:
        """An event of ``kind`` applied, about ``person_id``."""
        self.propose = True
        self.release = self.release or kind == LifeEventKind.BIRTH
        self.deaths = self.deaths or kind == LifeEventKind.DEATH
        if kind in (LifeEventKind.DEATH, LifeEventKind.ADDRESS) and person_id is not None:
            # What the person's open proposals, and those about them, are computed from.
            self.reevaluate.add(person_id)

    def send(self) -> None:
        if self.propose:
            enqueue("benefits.life_events_propose")
        if self.release:
            enqueue("benefits.life_events_release")
        if self.deaths:
            enqueue("benefits.deaths_apply")
        if self.reevaluate:
            enqueue("benefits.proposals_reevaluate_about", person_ids=sorted(self.reevaluate))


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
        queued = _Queued()
        with pghistory.context(source="civil registry", life_events_from=event.pk, life_events_to=event.pk):
            _apply_one(event, now=now, queued=queued)
        queued.send()
        return event.state


def _apply_one(event: LifeEvent, *, now: datetime.datetime, queued: _Queued) -> None:
    """The event (locked by the caller) applied on its own, its new state saved."""
    event.attempts += 1
    needed, created = _named(event)
    ids = person_ids_by_national_numbers(numbers=needed + created)
    missing = [number for number in needed if number not in ids]
    fields = ["state", "attempts", "waiting_for", "failure_code", "failure_detail", "applied_at", "person"]
    event.failure_code, event.failure_detail, event.waiting_for = "", "", []
    if missing:
        event.state, event.waiting_for = LifeEventState.WAITING, sorted(set(missing))
        event.save(update_fields=fields)
        return
    if event.corrects and event.kind in (LifeEventKind.BIRTH, LifeEventKind.MARRIAGE):
        # A corrected birth or marriage changes who is who: staff correct the registry.
        event.state, event.failure_code = LifeEventState.FAILED, "correction_by_hand"
        event.save(update_fields=fields)
        return
    person_id = ids[needed[0]] if needed and event.kind != LifeEventKind.BIRTH else None
    if person_id is not None and _superseded(event, person_id):
        event.state, event.applied_at, event.person_id = LifeEventState.APPLIED, now, person_id
        event.failure_code = "superseded"
        event.save(update_fields=fields)
        return
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
        queued.note(event.kind, event.person_id)


def events_to_apply(*, limit: int = APPLY_CHUNK) -> list[int]:
    """The events received and not applied yet, the oldest first."""
    return list(
        LifeEvent.objects.filter(state=LifeEventState.RECEIVED).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def events_apply(*, now: datetime.datetime) -> int:
    """Apply every event received, a batch after the other (what the queue's task and the
    reconciler run; two at once share the work through the rows' locks)."""
    applied = 0
    while True:
        done = _batch_apply(now=now)
        if not done:
            return applied
        applied += done


_SETTLE = """
UPDATE benefits_lifeevent e
SET state = u.state, person_id = u.person_id, failure_code = u.code, failure_detail = u.detail,
    applied_at = CASE WHEN u.state = %(applied)s THEN %(now)s::timestamptz END,
    attempts = e.attempts + 1, waiting_for = '{}'
FROM unnest(%(ids)s::bigint[], %(states)s::text[], %(persons)s::bigint[], %(codes)s::text[], %(details)s::text[])
     AS u(id, state, person_id, code, detail)
WHERE e.id = u.id
"""


@dataclass
class _Settled:
    """What a batch did to its events, written in one statement."""

    ids: list[int]
    states: list[str]
    persons: list[int | None]
    codes: list[str]
    details: list[str]

    def add(self, event: _Received, outcome: RegistryOutcome | None, *, person_id: int | None = None) -> None:
        """The registry's answer to the event; None: a move older than one already applied for
        ``person_id``, which changes nothing (applied, ``superseded``)."""
        self.ids.append(event.pk)
        if outcome is None or isinstance(outcome, RegistryChange):
            self.states.append(LifeEventState.APPLIED)
            self.persons.append(outcome.person_id if outcome is not None else person_id)
            self.codes.append("" if outcome is not None else "superseded")
            self.details.append("")
            return
        self.states.append(LifeEventState.FAILED)
        self.persons.append(None)
        self.codes.append(outcome.code[:40])
        self.details.append(str(outcome.message)[:300])


def _mode(event: _Received) -> str:
    """How an event is applied: by the registry's batch services, but a corrected birth or
    marriage (which staff correct by hand) on its own."""
    if event.corrects and event.kind in (LifeEventKind.BIRTH, LifeEventKind.MARRIAGE):
        return "one"
    return str(event.kind)


def _batch_apply(*, now: datetime.datetime) -> int:
    """One batch of the events received, in one transaction, in the order they arrived: each run
    of consecutive events of one kind through the registry's batch services (a few statements
    for the whole run), a corrected birth or marriage on its own; an event naming a person
    unknown when the batch starts waits. Returns the events handled (0: none left, or all held
    by another worker)."""
    with transaction.atomic():
        events = [
            _Received(*row)
            for row in LifeEvent.objects.select_for_update(skip_locked=True)
            .filter(state=LifeEventState.RECEIVED)
            .order_by("pk")
            .values_list("pk", "kind", "occurred_on", "corrects", "data")[:APPLY_CHUNK]
        ]
        if not events:
            return 0
        named = {event.pk: _named(event) for event in events}
        ids = person_ids_by_national_numbers(
            numbers={number for needed, created in named.values() for number in (*needed, *created)}
        )
        waiting: dict[int, list[str]] = {}
        ready = []
        for event in events:
            missing = sorted({number for number in named[event.pk][0] if number not in ids})
            if missing:
                waiting[event.pk] = missing
            else:
                ready.append(event)
        _wait(waiting)
        queued = _Queued()
        # The registry's history names the events that changed it: the batch's first and last (a
        # small context: django-pghistory writes it again for each row the batch changes).
        with pghistory.context(
            source="civil registry",
            life_events_from=min((event.pk for event in ready), default=None),
            life_events_to=max((event.pk for event in ready), default=None),
        ):
            settled = _runs_apply(ready, named=named, ids=ids, now=now, queued=queued)
        if settled.ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    _SETTLE,
                    {
                        "applied": LifeEventState.APPLIED,
                        "now": now,
                        "ids": int_array(settled.ids),
                        "states": text_array(settled.states),
                        "persons": nullable_int_array(settled.persons),
                        "codes": text_array(settled.codes),
                        "details": text_array(settled.details),
                    },
                )
        queued.send()
    return len(events)


def _wait(waiting: dict[int, list[str]]) -> None:
    """Events naming persons the registry does not know (``waiting``: the numbers each waits for)."""
    if not waiting:
        return
    events = list(LifeEvent.objects.filter(pk__in=any_of(waiting)))
    for event in events:
        event.state, event.attempts, event.waiting_for = LifeEventState.WAITING, event.attempts + 1, waiting[event.pk]
        event.failure_code, event.failure_detail = "", ""
    LifeEvent.objects.bulk_update(events, ["state", "attempts", "waiting_for", "failure_code", "failure_detail"])


def _runs_apply(
    events: list[_Received],
    *,
    named: dict[int, tuple[list[str], list[str]]],
    ids: dict[str, int],
    now: datetime.datetime,
    queued: _Queued,
) -> _Settled:
    """The events, in order: each run of one kind through the registry's batch service (the
    corrected ones on their own). Returns what the runs did, to write in one statement."""
    settled = _Settled([], [], [], [], [])
    for mode, run in itertools.groupby(events, key=_mode):
        batch = list(run)
        if mode == "one":
            for event in batch:
                _apply_one(LifeEvent.objects.get(pk=event.pk), now=now, queued=queued)
            continue
        if mode == LifeEventKind.ADDRESS:
            _moves_apply(batch, ids=ids, now=now, settled=settled, queued=queued)
            continue
        outcomes = _run_apply(mode, batch, named=named, ids=ids, now=now)
        for event, outcome in zip(batch, outcomes, strict=True):
            settled.add(event, outcome)
            if isinstance(outcome, RegistryChange):
                queued.note(event.kind, outcome.person_id)
    return settled


def _run_apply(
    kind: str,
    events: list[_Received],
    *,
    named: dict[int, tuple[list[str], list[str]]],
    ids: dict[str, int],
    now: datetime.datetime,
) -> list[RegistryOutcome]:
    """A run of births, deaths or marriages through the registry's batch service."""
    if kind == LifeEventKind.BIRTH:
        return identity_services.registry_births_record(births=[_birth_record(event, ids) for event in events], now=now)
    if kind == LifeEventKind.DEATH:
        return identity_services.registry_deaths_record(
            deaths=[(ids[named[event.pk][0][0]], event.occurred_on) for event in events], now=now
        )
    return identity_services.registry_marriages_record(
        marriages=[
            MarriageRecord(
                person_ids=(ids[_compact(event.data["spouses"][0])], ids[_compact(event.data["spouses"][1])]),
                married_on=event.occurred_on,
                kind=event.data.get("kind", FamilyLinkKind.MARRIAGE),
            )
            for event in events
        ],
        now=now,
    )


def _moves_apply(
    events: list[_Received], *, ids: dict[str, int], now: datetime.datetime, settled: _Settled, queued: _Queued
) -> None:
    """A run of moves: one older than a move already applied for the person changes nothing;
    the others through the registry's batch service (a person moving twice in the run: those
    moves one after the other, as they came)."""
    persons = {event.pk: ids[_compact(event.data["person"])] for event in events}
    times = Counter(persons.values())
    latest: dict[int, datetime.date] = dict(
        LifeEvent.objects.filter(
            kind=LifeEventKind.ADDRESS, state=LifeEventState.APPLIED, person_id__in=any_of(set(persons.values()))
        )
        .values("person_id")
        .annotate(latest=Max("occurred_on"))
        .values_list("person_id", "latest")
    )
    moving = []
    for event in events:
        person_id = persons[event.pk]
        if times[person_id] > 1:
            _apply_one(LifeEvent.objects.get(pk=event.pk), now=now, queued=queued)
        elif person_id in latest and latest[person_id] > event.occurred_on:
            settled.add(event, None, person_id=person_id)
        else:
            moving.append(event)
    outcomes = identity_services.registry_address_changes(
        changes=[
            AddressChangeRecord(
                person_id=persons[event.pk],
                street=event.data.get("street", ""),
                postal_code=event.data.get("postal_code", ""),
                city=event.data.get("city", ""),
                country=event.data["country"],
            )
            for event in moving
        ],
        now=now,
    )
    for event, outcome in zip(moving, outcomes, strict=True):
        settled.add(event, outcome)
        if isinstance(outcome, RegistryChange):
            queued.note(event.kind, outcome.person_id)


def _birth_record(event: _Received, ids: dict[str, int]) -> BirthRecord:
    child = event.data["child"]
    return BirthRecord(
        national_number=child["national_number"],
        first_name=child["first_name"],
        last_name=child["last_name"],
        birth_date=event.occurred_on,
        parent_ids=tuple(ids[_compact(number)] for number in event.data.get("parents", [])),
    )


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
