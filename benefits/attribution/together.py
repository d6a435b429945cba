"""The proposals of many life events computed together: a registry sends thousands a day.

Each event gives **candidates**: a benefit to a person, about a subject, from a month (a birth:
the birth grant and the family allowance to each parent, about the child; a marriage: the
marriage grant to each spouse; a death: the survivor's pension from the month after and the
funeral grant to the surviving spouse). The candidates of a group (a birth's parents, for one
benefit) are tried in order: the first one entitled is proposed, none when one of them has the
right proposed already. For each benefit whose rule staff switched on, and each month:

- the families of every person concerned (the person, their spouse and children, with insured
  careers) are read in the queries of one family, as the engine's columns
  (``inputs.families_in_columns``), and their record versions in a few more
  (``versions.data_versions``);
- one simulation of the rules engine computes every family (``rules.evaluate``);
- one traced simulation explains every proposal (``rules.explain_columns``): its amount and
  every condition with the values it compared, as the citizen and the case worker read them,
  kept as one template and each proposal's values in it (``claims.computation.explanation_forms``,
  ``writing.explanation_template_of``); the family's inputs are named by the record's version, not copied;
- the proposals are written in one insert (each right once: a database constraint, so a batch run
  twice creates nothing), those verified automatically offered.

The **dry run** of an event rule (``events_dry_run``) computes the same over the registry's
births, marriages and deaths of the last ``ATTRIBUTION_DRY_RUN_MONTHS`` months and writes
nothing: how many proposals, and what amount, per benefit and month.
"""

from __future__ import annotations

import datetime
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from benefits import catalogue
from benefits.attribution.rules import rule_of
from benefits.attribution.scan import ScanLine, ScanResult, pension_age_dry_run
from benefits.attribution.versions import data_versions
from benefits.attribution.writing import NewProposal, Written, explanation_template_of, proposals_write
from benefits.claims.computation import explanation_forms
from benefits.inputs import CareerColumns, families_in_columns
from benefits.models import AttributionRule, Proposal, ProposalStatus, ProposalTrigger
from benefits.rules import Population, RulesVersion, evaluate, explain_columns
from core.db import any_of
from core.errors import NotFound
from core.periods import Period
from identity.selectors import births_between, deaths_between, marriages_between

BIRTH_SCHEMES = ("birth_grant", "family_allowance")
DEATH_SCHEMES = ("survivor_pension", "funeral_grant")


@dataclass(frozen=True)
class Birth:
    """An applied birth: the event, the child and the parents named, in the event's order."""

    event_id: int | None
    child_id: int
    month: Period
    parent_ids: tuple[int, ...]


@dataclass(frozen=True)
class Candidate:
    """A right a rule may open. The candidates of one ``group`` are tried in order."""

    group: tuple[object, ...]
    person_id: int
    scheme: str
    subject_id: int | None
    month: Period
    trigger: str
    event_id: int | None


@dataclass(frozen=True)
class _Chosen:
    candidate: Candidate
    row: int
    subject_index: int


def birth_candidates(births: Iterable[Birth]) -> list[Candidate]:
    return [
        Candidate(
            group=("birth", birth.child_id, scheme),
            person_id=parent_id,
            scheme=scheme,
            subject_id=birth.child_id,
            month=birth.month,
            trigger=ProposalTrigger.BIRTH,
            event_id=birth.event_id,
        )
        for birth in births
        for scheme in BIRTH_SCHEMES
        for parent_id in birth.parent_ids
    ]


def marriage_candidates(
    marriages: Iterable[tuple[int | None, tuple[int, ...], datetime.date]],
) -> list[Candidate]:
    """(event, spouses, date of the marriage): the grant to each spouse."""
    return [
        Candidate(
            group=("marriage", spouse_id, married_on),
            person_id=spouse_id,
            scheme="marriage_grant",
            subject_id=None,
            month=Period.of(married_on),
            trigger=ProposalTrigger.MARRIAGE,
            event_id=event_id,
        )
        for event_id, spouses, married_on in marriages
        for spouse_id in spouses
    ]


def death_candidates(deaths: Iterable[tuple[int | None, int, datetime.date, int]]) -> list[Candidate]:
    """(event, deceased, date of death, surviving spouse): the survivor's pension from the month
    after and the funeral grant about the deceased, to the spouse."""
    return [
        Candidate(
            group=("death", deceased_id, scheme),
            person_id=survivor_id,
            scheme=scheme,
            subject_id=deceased_id if scheme == "funeral_grant" else None,
            month=Period.of(died_on).next() if scheme == "survivor_pension" else Period.of(died_on),
            trigger=ProposalTrigger.DEATH,
            event_id=event_id,
        )
        for event_id, deceased_id, died_on, survivor_id in deaths
        for scheme in DEATH_SCHEMES
    ]


def _rules(candidates: Sequence[Candidate]) -> dict[tuple[str, str], AttributionRule]:
    """The rules switched on among those the candidates name."""
    wanted = {(candidate.trigger, candidate.scheme) for candidate in candidates}
    return {
        key: rule
        for key in sorted(wanted)
        for rule in (rule_of(trigger=key[0], scheme=key[1]),)
        if rule is not None and rule.enabled
    }


@dataclass(frozen=True)
class _Evaluated:
    scheme: str
    month: Period
    chosen: list[_Chosen]
    population: Population
    cents: list[int]


@dataclass
class RunReads:
    """What a run of batches reads once (the parents of a day's births come back batch after
    batch, with the children of the earlier batches): each person's insured career, and the data
    version of each person proposed to, read in the batch that first needs them. A change made
    meanwhile is not seen by the run's later batches: the proposals it made keep the data
    version read, which the hourly re-evaluation compares with the record's
    (``proposals_reevaluate_changed``). Forgotten past ``limit`` persons, to bound the memory."""

    careers: dict[int, CareerColumns | None] = field(default_factory=dict)
    versions: dict[int, str] = field(default_factory=dict)
    limit: int = 200_000

    def versions_of(self, person_ids: Sequence[int], *, today: datetime.date) -> dict[int, str]:
        missing = [person_id for person_id in person_ids if person_id not in self.versions]
        if missing:
            self.versions.update(data_versions(person_ids=missing, today=today))
        return {person_id: self.versions[person_id] for person_id in person_ids}

    def bounded(self) -> RunReads:
        if max(len(self.careers), len(self.versions)) > self.limit:
            self.careers.clear()
            self.versions.clear()
        return self


def _evaluations(
    candidates: Sequence[Candidate],
    *,
    today: datetime.date,
    rules: dict[tuple[str, str], AttributionRule] | None,
    reads: RunReads | None = None,
) -> list[_Evaluated]:
    """For each benefit and month, the candidates chosen (the first of each group entitled,
    none when the group has the right proposed already), from one simulation of their families.
    ``rules``: only the benefits of these rules (None: every one, as the dry run asks).
    ``reads``: the careers and versions the run read already (their versions, of the persons
    first met here, read with their careers)."""
    kept = [candidate for candidate in candidates if rules is None or (candidate.trigger, candidate.scheme) in rules]
    if not kept:
        return []
    person_ids = sorted({candidate.person_id for candidate in kept})
    if reads is not None:
        reads.bounded()
    families = families_in_columns(
        person_ids=person_ids,
        on=today,
        careers_until=Period.of(today).previous(),
        careers_read=reads.careers if reads is not None else None,
    )
    if reads is not None:
        reads.versions_of(person_ids, today=today)
    proposed, proposed_about = _proposed(kept)
    by_scheme_month: dict[tuple[str, Period], list[Candidate]] = defaultdict(list)
    for candidate in kept:
        by_scheme_month[candidate.scheme, candidate.month].append(candidate)
    evaluated = []
    # The same families (a birth's grant and allowance): one population, whatever the month.
    populations: dict[tuple[int, ...], tuple[Population, list[int]]] = {}
    for (scheme, month), group in sorted(by_scheme_month.items()):
        persons = sorted({candidate.person_id for candidate in group if candidate.person_id in families})
        position = {person: index for index, person in enumerate(persons)}
        key = tuple(persons)
        if key not in populations:
            populations[key] = families.population(persons)
        population, starts = populations[key]
        evaluation = evaluate(scheme, population, month)
        chosen: list[_Chosen] = []
        done: set[tuple[object, ...]] = set()
        for candidate in group:
            if candidate.group in done or candidate.person_id not in position:
                continue
            if (candidate.person_id, scheme, candidate.subject_id, month.first_day) in proposed or (
                candidate.subject_id is not None and (scheme, candidate.subject_id, month.first_day) in proposed_about
            ):
                # The right was proposed before (a benefit about a child or the deceased: to
                # whomever, the other parent's declaration in an earlier batch): each right once.
                done.add(candidate.group)
                continue
            index = families.subject_index(candidate.person_id, candidate.subject_id)
            row = starts[position[candidate.person_id]] + index
            if evaluation.eligible[row] and evaluation.cents[row] > 0:
                chosen.append(_Chosen(candidate=candidate, row=row, subject_index=index))
                done.add(candidate.group)
        if chosen:
            evaluated.append(
                _Evaluated(scheme, month, chosen, population, [int(evaluation.cents[one.row]) for one in chosen])
            )
    return evaluated


def _proposed(
    candidates: Sequence[Candidate],
) -> tuple[set[tuple[int, str, int | None, datetime.date]], set[tuple[str, int, datetime.date]]]:
    """The rights among the candidates' already proposed (two queries at most): to the person,
    and about the subject to anyone. A right about a subject proposed to the person is one
    about the subject: only the candidates without a subject are looked up by person."""
    schemes = sorted({candidate.scheme for candidate in candidates})
    months = sorted({candidate.month.first_day for candidate in candidates})
    without_subject = sorted({candidate.person_id for candidate in candidates if candidate.subject_id is None})
    to_person: set[tuple[int, str, int | None, datetime.date]] = set()
    if without_subject:
        to_person = set(
            Proposal.objects.filter(
                person_id__in=any_of(without_subject), scheme__in=schemes, month__in=months, subject_id__isnull=True
            ).values_list("person_id", "scheme", "subject_id", "month")
        )
    subjects = sorted({candidate.subject_id for candidate in candidates if candidate.subject_id is not None})
    about: set[tuple[str, int, datetime.date]] = set()
    if subjects:
        about = {
            (scheme, subject_id, month)
            for scheme, subject_id, month in Proposal.objects.filter(
                subject_id__in=any_of(subjects), scheme__in=schemes
            ).values_list("scheme", "subject_id", "month")
            if subject_id is not None
        }
    return to_person, about


def candidates_propose(
    *, candidates: Sequence[Candidate], now: datetime.datetime, reads: RunReads | None = None
) -> list[Written]:
    """Propose what the candidates open; returns the proposals created (offered or to verify).
    ``reads``: what a run of batches read already (``RunReads``)."""
    today = timezone.localdate(now)
    rules = _rules(candidates)
    reads = reads or RunReads()
    evaluated = _evaluations(candidates, today=today, rules=rules, reads=reads)
    if not evaluated:
        return []
    versions = reads.versions_of(
        sorted({one.candidate.person_id for each in evaluated for one in each.chosen}), today=today
    )
    random = secrets.SystemRandom()
    proposals = []
    for each in evaluated:
        explained = explain_columns(each.scheme, each.population, each.month, persons=[one.row for one in each.chosen])
        forms = explanation_forms(explained, subject_indexes=[one.subject_index for one in each.chosen])
        template_id = explanation_template_of(forms.form)
        for position, one in enumerate(each.chosen):
            rule = rules[one.candidate.trigger, each.scheme]
            proposals.append(
                _proposal(
                    one,
                    explained.amounts[position],
                    (template_id, forms.values[position]),
                    explained.rules_version,
                    rule,
                    version=versions[one.candidate.person_id],
                    now=now,
                    random=random,
                )
            )
    return proposals_write(proposals, today=today)


def _proposal(
    one: _Chosen,
    amount: Decimal,
    explanation: tuple[int, tuple[str, ...]],
    version_of_rules: RulesVersion,
    rule: AttributionRule,
    *,
    version: str,
    now: datetime.datetime,
    random: secrets.SystemRandom,
) -> NewProposal:
    automatic = rule.auto_verify
    sampled = automatic and random.random() < float(rule.sample_share)
    offered = automatic and not sampled
    candidate = one.candidate
    return NewProposal(
        person_id=candidate.person_id,
        subject_id=candidate.subject_id,
        scheme=candidate.scheme,
        periodicity=catalogue.BY_CODE[candidate.scheme].periodicity,
        trigger=candidate.trigger,
        event_id=candidate.event_id,
        month=candidate.month.first_day,
        amount=amount,
        computation=None,
        explanation_template_id=explanation[0],
        explanation_values=explanation[1],
        rules_fingerprint=version_of_rules.fingerprint,
        openfisca_core=version_of_rules.openfisca_core,
        data_version=version,
        status=ProposalStatus.OFFERED if offered else ProposalStatus.TO_VERIFY,
        created_at=now,
        verified_automatically=offered,
        verified_at=now if offered else None,
        offered_at=now if offered else None,
        sampled=sampled,
    )


def candidates_dry_run(*, candidates: Sequence[Candidate], now: datetime.datetime) -> list[ScanLine]:
    """What the candidates would be proposed, per benefit and month, whether their rules are on
    or off: nothing is written."""
    evaluated = _evaluations(candidates, today=timezone.localdate(now), rules=None)
    return [ScanLine(each.scheme, each.month, len(each.chosen), Decimal(sum(each.cents)) / 100) for each in evaluated]


def events_dry_run(*, trigger: str, scheme: str, now: datetime.datetime) -> ScanResult:
    """What the rule (a life event's ``trigger``, a benefit) would have proposed for the
    registry's births, marriages or deaths of the last ``ATTRIBUTION_DRY_RUN_MONTHS`` months
    (the rights not proposed already), per month: nothing is written. ``persons_read``: the
    events of the registry read."""
    today = timezone.localdate(now)
    start = Period.of(today).shifted(-settings.ATTRIBUTION_DRY_RUN_MONTHS).first_day
    if trigger == ProposalTrigger.BIRTH:
        births = births_between(start=start, end=today)
        events: list[tuple[object, ...]] = list(births)
        candidates = birth_candidates(
            Birth(event_id=None, child_id=child_id, month=Period.of(born), parent_ids=parents)
            for child_id, born, parents in births
        )
    elif trigger == ProposalTrigger.MARRIAGE:
        marriages = marriages_between(start=start, end=today)
        events = list(marriages)
        candidates = marriage_candidates((None, (first, second), married_on) for first, second, married_on in marriages)
    elif trigger == ProposalTrigger.DEATH:
        deaths = deaths_between(start=start, end=today)
        events = list(deaths)
        candidates = death_candidates((None, deceased, died_on, survivor) for deceased, died_on, survivor in deaths)
    else:
        raise ValueError(f"not a life event's trigger: {trigger!r}")
    lines = candidates_dry_run(
        candidates=[candidate for candidate in candidates if candidate.scheme == scheme], now=now
    )
    return ScanResult(persons_read=len(events), lines=tuple(lines), created=0)


def rule_dry_run(*, rule_id: int, now: datetime.datetime) -> ScanResult:
    """A rule's dry run (nothing written): the pension rule over the whole registry, a life
    event's over the registry's events of the last months. NotFound for an unknown rule."""
    rule = AttributionRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound
    if rule.trigger == ProposalTrigger.PENSION_AGE:
        return pension_age_dry_run(now=now)
    return events_dry_run(trigger=rule.trigger, scheme=rule.scheme, now=now)
