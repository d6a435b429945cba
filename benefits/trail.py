"""What a proxy (or staff at the counter) did in someone's benefits — a claim filed, a life
certificate sent —, written in that person's trail."""

from __future__ import annotations

import datetime

from core.actor import ActingMode, Actor
from core.audit import access_record, file_view_record
from core.types import AccessPurpose


def trail(*, actor: Actor, person_id: int, detail: str, now: datetime.datetime) -> None:
    """What a proxy did in the principal's benefits, in the trail of the mandate (a counter
    visit is recorded with its reason)."""
    if actor.mode == ActingMode.ASSISTED:
        file_view_record(actor=actor, subject_person_id=person_id, what="", now=now)
    elif actor.acts_for_someone_else:
        access_record(
            actor=actor, subject_person_id=person_id, purpose=AccessPurpose.PROXY_CLAIM_ACTION, now=now, detail=detail
        )
