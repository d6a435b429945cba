"""The rules of proactive attribution: which benefit each trigger proposes, whether staff have
switched it on, and how it is verified. The rows are created by a migration, off; staff switch
them on in the back office."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from benefits.models import AttributionRule, ProposalTrigger
from benefits.types import ProposalRefused

# Every rule the code knows: (trigger, benefit).
RULES = (
    (ProposalTrigger.BIRTH, "birth_grant"),
    (ProposalTrigger.BIRTH, "family_allowance"),
    (ProposalTrigger.MARRIAGE, "marriage_grant"),
    (ProposalTrigger.DEATH, "survivor_pension"),
    (ProposalTrigger.DEATH, "funeral_grant"),
    (ProposalTrigger.PENSION_AGE, "old_age_pension"),
)


def rule_of(*, trigger: str, scheme: str) -> AttributionRule | None:
    return AttributionRule.objects.filter(trigger=trigger, scheme=scheme).first()


def rule_set(
    *,
    rule_id: int,
    enabled: bool,
    auto_verify: bool,
    sample_share: Decimal,
    user_id: int,
    now: datetime.datetime,
) -> None:
    """Staff switch a rule on or off and choose how its proposals are verified."""
    if not Decimal(0) <= sample_share <= Decimal(1):
        raise ProposalRefused("share_invalid")
    with transaction.atomic():
        updated = AttributionRule.objects.filter(pk=rule_id).update(
            enabled=enabled, auto_verify=auto_verify, sample_share=sample_share, changed_at=now, changed_by_id=user_id
        )
        if not updated:
            raise ProposalRefused("rule_unknown")
