"""What a claim's case page shows, read-only: the claim computed now (the inputs of each member
of the family, each condition in words with its figures, the intermediate values, the amount,
the rules' version), the corrections recorded, the timeline, the documents and the decisions.

Built for the template from the models of ``benefits`` and the engine's answer; the admin
(``benefits.admin.claims``) adds the forms the viewer may use."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from benefits import catalogue
from benefits.admin.casework_forms import INPUT_LABELS
from benefits.claims import casework
from benefits.claims.computation import Computed, explanation_json
from benefits.models import Claim, ClaimStatus, Decision, DecisionKind, DecisionOutcome, DecisionState, EventKind
from benefits.models.claims import STAFF_ONLY_EVENTS
from benefits.rules import Fact, RulesInputError
from benefits.wording import day, euros, reasons

ROLE_LABELS = {"parent": _("parent"), "child": _("child")}
_NEVER = datetime.date(9999, 12, 31)


def scheme_title(claim: Claim) -> str:
    """The benefit's title in the active language (a composed scheme has one per language)."""
    scheme = claim.composed_scheme
    if scheme is not None:
        return scheme.title_en if (get_language() or "fr").startswith("en") else scheme.title_fr
    described = catalogue.BY_CODE.get(claim.scheme)
    return str(described.title) if described is not None else claim.scheme


def value_text(data: Mapping[str, Any]) -> str:
    """A value as ``explanation_json`` keeps it ({"type", "value"}), for a reader."""
    kind, value = data.get("type"), data.get("value")
    if kind == "bool":
        return gettext("yes") if value else gettext("no")
    if kind == "date":
        found = datetime.date.fromisoformat(str(value))
        return "—" if found >= _NEVER else day(found)
    if kind in ("int", "decimal"):
        return formats.number_format(Decimal(str(value)), use_l10n=True, force_grouping=True)
    return str(value)


def _fact_value(value: Any) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime.date):
        return "—" if value >= _NEVER else day(value)
    if isinstance(value, Decimal | int | float):
        return formats.number_format(Decimal(str(value)), use_l10n=True, force_grouping=True)
    return str(value)


def _parameter_labels() -> dict[str, str]:
    return {parameter.path: str(parameter.label) for scheme in catalogue.SCHEMES for parameter in scheme.parameters}


@dataclass(frozen=True)
class InputRow:
    name: str
    label: str
    value: str  # one value, or one per period ("2024: 30,000.00")
    by_period: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MemberRow:
    index: int
    person_id: int
    name: str
    role: str
    is_subject: bool
    inputs: tuple[InputRow, ...]


@dataclass(frozen=True)
class ConditionRow:
    code: str
    met: bool
    text: str


@dataclass(frozen=True)
class DetailRow:
    code: str
    label: str
    period: str
    value: str
    reference: str


@dataclass
class ComputationView:
    eligible: bool
    amount: str
    month: str
    members: list[MemberRow]
    conditions: list[ConditionRow]
    details: list[DetailRow]
    fingerprint: str
    openfisca_core: str
    error: str = ""
    member_choices: list[tuple[int, str]] = field(default_factory=list)


def _members(data: Mapping[str, Any]) -> list[MemberRow]:
    rows = []
    for index, member in enumerate(data["members"]):
        inputs = []
        for name, value in sorted(member["inputs"].items()):
            label = str(INPUT_LABELS.get(name, name))
            if isinstance(value, Mapping) and "type" not in value:
                periods = tuple((period, value_text(cell)) for period, cell in value.items())
                inputs.append(InputRow(name=name, label=label, value="", by_period=periods))
            else:
                inputs.append(InputRow(name=name, label=label, value=value_text(value)))
        rows.append(
            MemberRow(
                index=index,
                person_id=member["person_id"],
                name=member["name"],
                role=str(ROLE_LABELS.get(member["role"], member["role"])),
                is_subject=index == data["subject_index"],
                inputs=tuple(inputs),
            )
        )
    return rows


def _details(facts: tuple[Fact, ...]) -> list[DetailRow]:
    labels = _parameter_labels()
    return [
        DetailRow(
            code=fact.code,
            label=labels.get(fact.code, ""),
            period=fact.period,
            value=_fact_value(fact.value),
            reference=fact.reference,
        )
        for fact in facts
    ]


def computation_view(claim: Claim, *, today: datetime.date) -> tuple[ComputationView, Computed | None]:
    """The claim computed today over the corrections recorded, for the case worker to read."""
    try:
        result = casework.computed(claim, today=today)
    except (RulesInputError, ValueError, LookupError):
        # A claim the engine cannot compute (its month or subject no longer fits the registers)
        # is decided on what the page shows, and the service refuses a grant.
        empty = ComputationView(False, "", claim.month, [], [], [], "", "")
        empty.error = gettext("The engine cannot compute this claim from the registers as they are today.")
        return empty, None
    explanation = result.explanation
    data = explanation_json(result, corrections=claim.corrections)
    worded = {reason.code: reason.text for reason in reasons(explanation.conditions)}
    members = _members(data)
    view = ComputationView(
        eligible=explanation.eligible,
        amount=euros(explanation.amount),
        month=str(explanation.month),
        members=members,
        conditions=[
            ConditionRow(code=condition.code, met=condition.met, text=worded.get(condition.code, ""))
            for condition in explanation.conditions
        ],
        details=_details(explanation.details),
        fingerprint=explanation.rules_version.fingerprint,
        openfisca_core=explanation.rules_version.openfisca_core,
        member_choices=[(member.index, f"{member.name} ({member.role})") for member in members],
    )
    return view, result


def _user_labels(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    users = get_user_model().objects.filter(pk__in=user_ids)
    return {
        user.pk: f"{user.get_full_name()} <{user.email}>" if user.get_full_name() != user.email else user.email
        for user in users
    }


@dataclass(frozen=True)
class CorrectionRow:
    member: str
    input_label: str
    period: str
    value: str
    reason: str
    by: str
    at: datetime.datetime | None


def corrections_view(claim: Claim, members: list[MemberRow]) -> list[CorrectionRow]:
    names = {member.index: member.name for member in members}
    users = _user_labels({int(one["by"]) for one in claim.corrections if one.get("by")})
    rows = []
    for one in claim.corrections:
        value = one["value"]
        shown = (gettext("yes") if value else gettext("no")) if isinstance(value, bool) else str(value)
        rows.append(
            CorrectionRow(
                member=names.get(int(one["member"]), str(one["member"])),
                input_label=str(INPUT_LABELS.get(one["input"], one["input"])),
                period=one.get("period", ""),
                value=shown,
                reason=one.get("reason", ""),
                by=users.get(int(one.get("by") or 0), ""),
                at=parse_datetime(one["at"]) if one.get("at") else None,
            )
        )
    return rows


@dataclass(frozen=True)
class EventRow:
    at: datetime.datetime
    kind: str
    by: str
    staff_only: bool
    moved: str
    text: str
    due_on: datetime.date | None


def timeline_view(claim: Claim) -> list[EventRow]:
    """Every event of the claim, the internal ones included (marked)."""
    events = list(claim.events.select_related("by").order_by("at", "id"))
    assigned = {int(event.text) for event in events if event.kind == EventKind.ASSIGNED and event.text.isdigit()}
    users = _user_labels(assigned)
    statuses = dict(ClaimStatus.choices)
    rows = []
    for event in events:
        text = event.text
        if event.kind == EventKind.ASSIGNED and text.isdigit():
            text = users.get(int(text), text)
        moved = ""
        if event.from_status and event.to_status:
            moved = f"{statuses.get(event.from_status, event.from_status)} → {statuses.get(event.to_status, event.to_status)}"
        if event.by is None:
            by = ""
        elif event.by_staff:
            by = event.by.get_full_name()
        elif event.mandate_id:
            by = gettext("a proxy of the claimant (%(email)s)") % {"email": event.by.email}
        else:
            by = gettext("the claimant")
        rows.append(
            EventRow(
                at=event.at,
                kind=event.get_kind_display(),
                by=by,
                staff_only=event.kind in STAFF_ONLY_EVENTS,
                moved=moved,
                text=text,
                due_on=event.due_on,
            )
        )
    return rows


@dataclass(frozen=True)
class DecisionRow:
    pk: int
    kind: str
    state: str
    state_code: str
    outcome: str
    amount: Decimal
    reason: str
    returned_reason: str
    proposed_by: str
    proposed_at: datetime.datetime
    approved_by: str
    approved_at: datetime.datetime | None
    needs_second_person: bool
    has_letter: bool
    proposed_by_id: int


def decisions_view(claim: Claim) -> list[DecisionRow]:
    decisions = (
        Decision.objects.filter(claim=claim)
        .select_related("proposed_by", "approved_by")
        .defer("letter", "computation")
        .order_by("proposed_at", "id")
    )
    kinds, states, outcomes = dict(DecisionKind.choices), dict(DecisionState.choices), dict(DecisionOutcome.choices)
    return [
        DecisionRow(
            pk=decision.pk,
            kind=str(kinds[decision.kind]),
            state=str(states[decision.state]),
            state_code=decision.state,
            outcome=str(outcomes[decision.outcome]),
            amount=decision.amount,
            reason=decision.reason,
            returned_reason=decision.returned_reason,
            proposed_by=decision.proposed_by.get_full_name(),
            proposed_at=decision.proposed_at,
            approved_by=decision.approved_by.get_full_name() if decision.approved_by else "",
            approved_at=decision.approved_at,
            needs_second_person=decision.needs_second_person,
            has_letter=decision.state == DecisionState.FINAL and decision.letter_document_id is not None,
            proposed_by_id=decision.proposed_by_id,
        )
        for decision in decisions
    ]


def first_deciders(claim: Claim) -> set[int]:
    """Who proposed or approved the first decision (they may not review the appeal)."""
    found: set[int] = set()
    for decision in Decision.objects.filter(
        claim=claim, kind=DecisionKind.FIRST, state=DecisionState.FINAL
    ).values_list("proposed_by_id", "approved_by_id"):
        found.update(one for one in decision if one is not None)
    return found
