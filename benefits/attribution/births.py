"""The proposals of a batch of births, computed at once: a registry sends thousands a day.

For each benefit a birth opens (the birth grant, the family allowance) whose rule staff switched
on, and each month the children were born in:

- the families of every parent named (the parent, their spouse and children, with insured
  careers) are read in the queries of one family (``inputs.families_of``), and their record
  versions in a few more (``versions.data_versions``);
- one simulation of the rules engine computes every family (``rules.evaluate``); each birth is
  proposed to the first parent entitled, as ``proposals.event_propose`` does for one event;
- one traced simulation of the families chosen explains each proposal (``rules.explain_each``):
  its amount and every condition with the values it compared, as the citizen and the case
  worker read them; the family's inputs are named by the record's version, not copied;
- the proposals are written in one insert (each right once: a database constraint, so a batch run
  twice creates nothing), those verified automatically offered, and their people told in the
  queries of one notice.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from benefits import catalogue
from benefits.attribution.rules import rule_of
from benefits.attribution.versions import data_versions
from benefits.claims.computation import explanation_data
from benefits.inputs import Family, families_of, population_of_families
from benefits.models import Proposal, ProposalStatus, ProposalTrigger
from benefits.rules import Population, evaluate, explain_each
from core.periods import Period

BIRTH_SCHEMES = ("birth_grant", "family_allowance")


@dataclass(frozen=True)
class Birth:
    """An applied birth: the event, the child and the parents named, in the event's order."""

    event_id: int
    child_id: int
    month: Period
    parent_ids: tuple[int, ...]


@dataclass(frozen=True)
class _Chosen:
    birth: Birth
    parent_id: int
    row: int
    subject_index: int


def _subject_index(family: Family, child_id: int) -> int:
    """The child's row in the parent's family (the parent's own row when the child is not in it,
    as a claim's computation does)."""
    return next((index for index, member in enumerate(family.members) if member.person.id == child_id), 0)


def births_propose(*, births: Sequence[Birth], now: datetime.datetime) -> list[Proposal]:
    """Propose what the births open; returns the proposals created (offered or to verify)."""
    rules = {
        scheme: rule
        for scheme in BIRTH_SCHEMES
        for rule in (rule_of(trigger=ProposalTrigger.BIRTH, scheme=scheme),)
        if rule is not None and rule.enabled
    }
    if not births or not rules:
        return []
    today = timezone.localdate(now)
    parent_ids = sorted({parent for birth in births for parent in birth.parent_ids})
    families = families_of(person_ids=parent_ids, on=today, careers_until=Period.of(today).previous())
    versions = data_versions(person_ids=parent_ids, today=today)
    proposed: set[tuple[int, str, int, datetime.date]] = set(
        Proposal.objects.filter(
            scheme__in=list(rules), subject_id__in=[birth.child_id for birth in births]
        ).values_list("person_id", "scheme", "subject_id", "month")
    )
    by_month: dict[Period, list[Birth]] = defaultdict(list)
    for birth in births:
        by_month[birth.month].append(birth)
    proposals = []
    for scheme, rule in rules.items():
        description = catalogue.BY_CODE[scheme]
        for month, group in sorted(by_month.items()):
            chosen, population = _chosen(scheme, month, group, families, proposed)
            if not chosen:
                continue
            explanations = explain_each(scheme, population, month, persons=[one.row for one in chosen])
            random = secrets.SystemRandom()
            for one, explanation in zip(chosen, explanations, strict=True):
                automatic = rule.auto_verify
                sampled = automatic and random.random() < float(rule.sample_share)
                offered = automatic and not sampled
                proposals.append(
                    Proposal(
                        person_id=one.parent_id,
                        subject_id=one.birth.child_id,
                        scheme=scheme,
                        periodicity=description.periodicity,
                        trigger=ProposalTrigger.BIRTH,
                        event_id=one.birth.event_id,
                        month=month.first_day,
                        amount=explanation.amount,
                        computation=explanation_data(explanation, subject_index=one.subject_index),
                        rules_fingerprint=explanation.rules_version.fingerprint,
                        openfisca_core=explanation.rules_version.openfisca_core,
                        data_version=versions[one.parent_id],
                        status=ProposalStatus.OFFERED if offered else ProposalStatus.TO_VERIFY,
                        created_at=now,
                        verified_automatically=offered,
                        verified_at=now if offered else None,
                        offered_at=now if offered else None,
                        sampled=sampled,
                    )
                )
    return _written(proposals, today=today)


def _chosen(
    scheme: str,
    month: Period,
    births: Sequence[Birth],
    families: dict[int, Family],
    proposed: set[tuple[int, str, int, datetime.date]],
) -> tuple[list[_Chosen], Population]:
    """The parent each birth is proposed to: the first one, in the event's order, entitled (none
    when a parent already has the right proposed), from one simulation of their families."""
    parents = sorted({parent for birth in births for parent in birth.parent_ids if parent in families})
    position = {parent: index for index, parent in enumerate(parents)}
    population, starts = population_of_families([families[parent] for parent in parents], month)
    evaluation = evaluate(scheme, population, month)
    chosen = []
    for birth in births:
        for parent in birth.parent_ids:
            if parent not in position:
                continue
            if (parent, scheme, birth.child_id, month.first_day) in proposed:
                break  # the right was proposed before: each right once
            index = _subject_index(families[parent], birth.child_id)
            row = starts[position[parent]] + index
            if evaluation.eligible[row] and evaluation.cents[row] > 0:
                chosen.append(_Chosen(birth=birth, parent_id=parent, row=row, subject_index=index))
                break
    return chosen, population


# The proposals of a batch land here first (COPY: a proposal's computation is a few kilobytes of
# JSON), then in the table in one statement that skips a right proposed meanwhile.
_INCOMING = "benefits_proposals_incoming"
_COLUMNS = (
    "reference",
    "scheme",
    "periodicity",
    "trigger",
    "month",
    "amount",
    "computation",
    "rules_fingerprint",
    "openfisca_core",
    "data_version",
    "status",
    "created_at",
    "verified_at",
    "verified_automatically",
    "sampled",
    "offered_at",
    "note",
    "event_id",
    "person_id",
    "subject_id",
)

_INCOMING_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} ON COMMIT DELETE ROWS
AS SELECT {", ".join(_COLUMNS)} FROM benefits_proposal WITH NO DATA
"""  # noqa: S608
_INCOMING_STORE = f"""
INSERT INTO benefits_proposal ({", ".join(_COLUMNS)}) SELECT {", ".join(_COLUMNS)} FROM {_INCOMING}
ON CONFLICT DO NOTHING RETURNING id
"""  # noqa: S608


def _row(proposal: Proposal) -> tuple[object, ...]:
    return tuple(
        json.dumps(proposal.computation) if column == "computation" else getattr(proposal, column)
        for column in _COLUMNS
    )


def _written(proposals: list[Proposal], *, today: datetime.date) -> list[Proposal]:
    """The proposals inserted (a right proposed meanwhile is skipped), with their references;
    returns those created (their computations not read back)."""
    if not proposals:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_INCOMING_CREATE)
        cursor.execute(f"TRUNCATE {_INCOMING}")
        with cursor.cursor.copy(f"COPY {_INCOMING} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for proposal in proposals:
                copy.write_row(_row(proposal))
        cursor.execute(_INCOMING_STORE)
        created = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"TRUNCATE {_INCOMING}")
        cursor.execute(
            "UPDATE benefits_proposal SET reference = 'PRO-' || %s || '-' || lpad(id::text, 6, '0') WHERE id = ANY(%s)",
            [str(today.year), created],
        )
    return list(Proposal.objects.filter(pk__in=created).defer("computation").order_by("pk"))
