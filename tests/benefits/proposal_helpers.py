"""A benefit proposed without an application, as the registry's birth event proposes it: Ana's
baby registered by a civil registry partner, the birth rules switched on (verified
automatically, none drawn for a check), and the proposal made by the batches' path
(``together.candidates_propose``) and offered to her."""

from __future__ import annotations

import datetime

from benefits import services
from benefits.attribution.proposals import proposals_tell
from benefits.attribution.together import Birth, birth_candidates, candidates_propose
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
    birth = Birth(
        event_id=event_id,
        child_id=family["baby"].pk,
        month=Period.of(family["baby"].birth_date),
        parent_ids=(family["person"].pk,),
    )
    # Made as a batch of the registry's births makes it (the other benefit's rule may be off).
    candidates = [candidate for candidate in birth_candidates([birth]) if candidate.scheme == scheme]
    created = candidates_propose(candidates=candidates, now=now)
    assert len(created) == 1, f"{scheme} is not due"
    proposals_tell(created, event="benefit_proposed", now=now)
    assert Proposal.objects.get(pk=created[0].pk).status == "offered"
    return created[0].pk
