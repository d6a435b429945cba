"""Demo of proactive attribution: the civil registry (a partner of the demo) reported the birth of
Marie's baby Léa; the rules are switched on; the birth grant, verified automatically, is offered
to Marie (she accepts or declines it on "Benefits proposed to me"), and the family allowance
waits in the case workers' verification queue."""

from __future__ import annotations

import datetime
from decimal import Decimal

from benefits import services
from benefits.models import AttributionRule, RegistryPartner
from identity.models import Person

PARTNER = "Registre national (démo)"


def demo_attribution_seed(*, mother: Person, baby: Person, now: datetime.datetime) -> None:
    """Safe to run again: the partner, the event (its id) and each right are created once."""
    AttributionRule.objects.filter(trigger="birth", scheme="birth_grant").update(
        enabled=True, auto_verify=True, sample_share=Decimal("0"), changed_at=now
    )
    AttributionRule.objects.filter(trigger="birth", scheme="family_allowance").update(
        enabled=True, auto_verify=False, changed_at=now
    )
    AttributionRule.objects.filter(trigger__in=["marriage", "death"]).update(enabled=True, changed_at=now)
    partner = RegistryPartner.objects.filter(name=PARTNER).first()
    partner_id = (
        partner.pk
        if partner is not None
        else services.partner_create(
            name=PARTNER, scopes=["birth", "marriage", "death", "address"], user_id=None, now=now
        )[0]
    )
    services.life_events_receive(
        partner_id=partner_id,
        events=[
            services.EventInput(
                partner_event_id=f"DEMO-BIRTH-{baby.national_number}",
                kind="birth",
                occurred_on=baby.birth_date,
                data={
                    "child": {
                        "national_number": baby.national_number,
                        "first_name": baby.first_name,
                        "last_name": baby.last_name,
                    },
                    "parents": [mother.national_number],
                },
            )
        ],
        now=now,
    )
    services.life_events_apply(now=now)
    services.life_events_propose_all(now=now)
