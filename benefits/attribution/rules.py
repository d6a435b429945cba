"""The rules of proactive attribution: which benefit each trigger proposes, whether staff have
switched it on, and how it is verified. The rows are created off (by a migration, and again
after each ``migrate`` or flush for any that is missing: ``rules_ensure``); staff switch them
on in the back office."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, transaction

from benefits.models import AttributionRule, ProposalTrigger
from benefits.types import ProposalRefused

# Every rule the code knows: (trigger, benefit, verified automatically when created).
RULES = (
    (ProposalTrigger.BIRTH, "birth_grant", True),
    (ProposalTrigger.BIRTH, "family_allowance", True),
    (ProposalTrigger.MARRIAGE, "marriage_grant", True),
    (ProposalTrigger.DEATH, "survivor_pension", False),
    (ProposalTrigger.DEATH, "funeral_grant", True),
    (ProposalTrigger.PENSION_AGE, "old_age_pension", False),
)


def rules_ensure(model: type[AttributionRule] = AttributionRule, *, using: str = DEFAULT_DB_ALIAS) -> int:
    """Each rule the code knows exists (created off; one staff changed is left as it is);
    returns the rules created. ``model``: the rules' model (a migration's state gives its own)."""
    known = set(model.objects.using(using).values_list("trigger", "scheme"))
    missing = [
        model(trigger=trigger, scheme=scheme, auto_verify=auto_verify)
        for trigger, scheme, auto_verify in RULES
        if (trigger, scheme) not in known
    ]
    model.objects.using(using).bulk_create(missing, ignore_conflicts=True)
    return len(missing)


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
