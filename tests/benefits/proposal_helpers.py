"""A benefit proposed without an application, as the registry's birth event proposes it: Ana's
baby registered by a civil registry partner, the birth rules switched on (verified
automatically, none drawn for a check), and the proposal made and offered to her."""

from __future__ import annotations

import datetime

from benefits import services
from benefits.attribution.proposals import proposal_make
from benefits.models import AttributionRule, LifeEvent, LifeEventState, Proposal
from core.periods import Period


def birth_event(family: dict, *, now: datetime.datetime) -> int:
    """The birth of ``family``'s baby, received from a partner and applied to the registry."""
    partner_id, _key, _secret = services.partner_create(name="Registre", scopes=["birth"], user_id=None, now=now)
    baby, parent = family["baby"], family["person"]
    event = LifeEvent.objects.create(
        partner_id=partner_id,
        partner_event_id=f"N-{baby.pk}",
        kind="birth",
        occurred_on=baby.birth_date,
        data={"child": baby.national_number, "parents": [parent.national_number]},
        received_at=now,
        state=LifeEventState.APPLIED,
        applied_at=now,
        person=baby,
    )
    return event.pk


def proposed(family: dict, *, scheme: str = "birth_grant", now: datetime.datetime, event_id: int | None = None) -> int:
    """The benefit ``scheme`` proposed to the parent for the baby from its birth month, offered."""
    # Created by a migration; made again where a test flushed the tables (the browser's live server).
    AttributionRule.objects.update_or_create(
        trigger="birth", scheme=scheme, defaults={"enabled": True, "auto_verify": True, "sample_share": 0}
    )
    proposal_id = proposal_make(
        person_id=family["person"].pk,
        scheme=scheme,
        subject_id=family["baby"].pk,
        month=Period.of(family["baby"].birth_date),
        trigger="birth",
        event_id=event_id,
        now=now,
    )
    assert proposal_id is not None, f"{scheme} is not due"
    assert Proposal.objects.get(pk=proposal_id).status == "offered"
    return proposal_id
