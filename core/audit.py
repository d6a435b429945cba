"""Recording and listing reads of personal data (the citizen's "who accessed my data")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, Concat, NullIf

from core.actor import ActingMode, Actor
from core.models import AccessRecord
from core.types import AccessPurpose


def access_record(
    *, actor: Actor, subject_person_id: int, purpose: AccessPurpose, now: datetime.datetime, detail: str = ""
) -> bool:
    """Record that ``actor`` read the data of ``subject_person_id``. A person reading their own
    data is not recorded. Returns whether a record was written."""
    if actor.user_id is None:
        raise ValueError("an anonymous actor cannot read personal data")
    if actor.person_id == subject_person_id:
        return False
    if actor.mode == ActingMode.ASSISTED and not detail:
        detail = actor.assisted_reason
    AccessRecord.objects.create(
        at=now,
        actor_user_id=actor.user_id,
        subject_person_id=subject_person_id,
        purpose=purpose,
        detail=detail[:200],
        mandate_id=actor.mandate_id if actor.subject_person_id == subject_person_id else None,
    )
    return True


def file_view_record(*, actor: Actor, subject_person_id: int, what: str, now: datetime.datetime) -> bool:
    """Record a view of a part of the open file (``what``: "dashboard", "contribution record"…)
    by whoever may view it: at the counter with the stated reason, else under the mandate."""
    assisted = actor.mode == ActingMode.ASSISTED
    return access_record(
        actor=actor,
        subject_person_id=subject_person_id,
        purpose=AccessPurpose.ASSISTED_VIEW if assisted else AccessPurpose.PROXY_FILE_VIEW,
        now=now,
        detail="" if assisted else what,
    )


def access_record_many(
    *, actor: Actor, subject_person_ids: list[int], purpose: AccessPurpose, now: datetime.datetime
) -> int:
    """Record that ``actor`` was shown the data of several persons (a list, a search result)."""
    if actor.user_id is None:
        raise ValueError("an anonymous actor cannot read personal data")
    records = [
        AccessRecord(at=now, actor_user_id=actor.user_id, subject_person_id=person_id, purpose=purpose)
        for person_id in dict.fromkeys(subject_person_ids)
        if person_id != actor.person_id
    ]
    AccessRecord.objects.bulk_create(records)
    return len(records)


@dataclass(frozen=True)
class AccessRow:
    at: datetime.datetime
    actor_label: str
    actor_is_staff: bool
    purpose: str
    purpose_label: str
    detail: str


def access_record_list(*, subject_person_id: int, mandate_id: int | None = None, limit: int = 200) -> list[AccessRow]:
    """The most recent accesses to a person's data (optionally those made under one mandate),
    newest first, in one query."""
    query = AccessRecord.objects.filter(subject_person_id=subject_person_id)
    if mandate_id is not None:
        query = query.filter(mandate_id=mandate_id)
    rows = (
        query.annotate(
            actor_name=Coalesce(
                NullIf(
                    Concat(
                        F("actor_user__first_name"), Value(" "), F("actor_user__last_name"), output_field=CharField()
                    ),
                    Value(" "),
                ),
                F("actor_user__email"),
                output_field=CharField(),
            )
        )
        .values_list("at", "actor_name", "actor_user__is_staff", "purpose", "detail")
        .order_by("-at", "-id")[:limit]
    )
    labels = dict(AccessPurpose.choices)
    return [
        AccessRow(
            at=at,
            actor_label=name,
            actor_is_staff=is_staff,
            purpose=purpose,
            purpose_label=str(labels.get(purpose, purpose)),
            detail=detail,
        )
        for at, name, is_staff, purpose, detail in rows
    ]
