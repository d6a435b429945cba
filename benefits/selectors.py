"""Reads of the benefits app: the schemes and their parameters in force, "am I entitled?" from a
person's own data, the pension estimate, the person's payments (``payments_page``, from
``benefits.payments.reading``), and how many benefits proposed without an application wait for
the person's answer (``proposals_offered``; the proposals' pages read them through
``benefits.attribution.reading``, as the claims' pages read ``benefits.claims.reading``: the
attribution package computes through the claims, which read this module). Worded in the active
language."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from benefits import composed, simulator
from benefits.catalogue import BY_SLUG, PERIODICITY_LABELS, SCHEMES, Periodicity, SchemeDescription
from benefits.inputs import Family, family_of, population_of
from benefits.life.reading import life_page as life_page
from benefits.life.reading import life_request_open as life_request_open
from benefits.models import ComposedScheme, Proposal, ProposalStatus
from benefits.outcomes import attribution_outcomes as attribution_outcomes
from benefits.payments.reading import payments_page as payments_page
from benefits.payments.wording import scheme_titles as scheme_titles
from benefits.policies import can_view_entitlements
from benefits.rules import explain, parameter_history
from benefits.types import EntitlementAnswer, ParameterInForce, PensionAssumptions, PensionEstimate, SchemeInfo
from benefits.wording import day, parameter_display, reasons
from core.actor import Actor
from core.audit import file_view_record
from core.caching import Versioned
from core.errors import NotFound
from core.periods import Period
from identity.types import PersonSummary

# A one-off grant is claimed within a year of its event: "am I entitled?" looks that far back.
CLAIM_WINDOW_MONTHS = 12


def _parameters_in_force(description: SchemeDescription, month: Period) -> tuple[ParameterInForce, ...] | None:
    """The scheme's parameters in force on the month's first day; None before one of them existed."""
    found = []
    for label in description.parameters:
        history = parameter_history(label.path)
        in_force = history.in_force(month.first_day)
        if in_force is None or in_force.value is None:
            return None
        found.append(
            ParameterInForce(
                path=label.path,
                label=str(label.label),
                value=in_force.value,
                display=parameter_display(label, history.unit, in_force.value),
                since=in_force.since,
                reference=in_force.reference,
            )
        )
    return tuple(found)


def _format_key(path: str) -> str:
    return path.split(".", 1)[1].replace(".", "_")


def _info(description: SchemeDescription, month: Period) -> SchemeInfo:
    parameters = _parameters_in_force(description, month)
    displays = {_format_key(parameter.path): parameter.display for parameter in parameters or ()}
    return SchemeInfo(
        code=description.code,
        slug=description.slug,
        title=str(description.title),
        summary=str(description.summary),
        month=month,
        who=tuple(str(sentence).format(**displays) for sentence in description.who) if parameters else (),
        documents=tuple(str(document) for document in description.documents),
        decision_days=description.decision_days,
        periodicity=str(PERIODICITY_LABELS[description.periodicity]),
        monthly=description.periodicity == Periodicity.MONTHLY,
        legal_basis=description.legal_basis,
        parameters=parameters or (),
        state="in_force" if parameters else "not_yet",
    )


def scheme_list(*, month: Period) -> list[SchemeInfo]:
    """Every statutory scheme, then those staff composed and published, with what is in force
    for ``month``."""
    return [_info(description, month) for description in SCHEMES] + [
        composed.info(scheme, month) for scheme in composed.published()
    ]


def scheme_of(slug: str) -> SchemeDescription | ComposedScheme:
    """The statutory scheme at ``slug``, else the published composed one; ``NotFound`` otherwise."""
    description = BY_SLUG.get(slug)
    if description is not None:
        return description
    found = composed.published(slug=slug)
    if not found:
        raise NotFound
    return found[0]


def _scheme_info(scheme: SchemeDescription | ComposedScheme, month: Period) -> SchemeInfo:
    return _info(scheme, month) if isinstance(scheme, SchemeDescription) else composed.info(scheme, month)


def scheme_page_get(
    *, actor: Actor, slug: str, month: Period, now: datetime.datetime
) -> tuple[SchemeInfo, list[EntitlementAnswer] | None]:
    """A scheme's public page for ``month`` (no sentence nor parameter when it is not in force
    that month) and, when a file is open that the actor may read, whether its person is entitled
    today (None otherwise). ``NotFound`` for an unknown address or a composed scheme not
    published."""
    scheme = scheme_of(slug)
    person_id = actor.subject_person_id
    answers = _entitlement(scheme, actor=actor, person_id=person_id, now=now) if person_id is not None else None
    return _scheme_info(scheme, month), answers


# "Am I entitled?"


def _answer(
    description: SchemeDescription,
    family: Family[PersonSummary],
    month: Period,
    *,
    index: int,
    about: str = "",
    notes: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
    event_found: bool = True,
) -> EntitlementAnswer:
    explanation = explain(description.code, population_of(family, month, extra=extra), month, person=index)
    return EntitlementAnswer(
        scheme=description.code,
        month=month,
        about=about,
        eligible=explanation.eligible,
        amount=explanation.amount,
        reasons=reasons(explanation.conditions),
        notes=notes,
        rules_fingerprint=explanation.rules_version.fingerprint,
        subject_person_id=family.members[index].person.id if index else 0,
        event_found=event_found,
    )


def _recent(event: datetime.date | None, today: datetime.date) -> bool:
    if event is None or event > today:
        return False
    return event >= Period.of(today).shifted(-(CLAIM_WINDOW_MONTHS - 1)).first_day


def _born(name: str, birth_date: datetime.date) -> str:
    return _("%(name)s, born on %(day)s") % {"name": name, "day": day(birth_date)}


def _answers(
    description: SchemeDescription, family: Family[PersonSummary], today: datetime.date
) -> list[EntitlementAnswer]:
    month = Period.of(today)
    person = family.members[0].person
    code = description.code
    if code == "old_age_pension":
        reached = simulator.pension_age_month(person.birth_date, Period.of(person.birth_date))
        note = (
            _("The pension age is reached on %(day)s.")
            if reached.first_day > today
            else _("The pension age was reached on %(day)s.")
        ) % {"day": day(reached.first_day)}
        return [_answer(description, family, month, index=0, notes=(note,))]
    if code == "disability_pension":
        months = family.members[0].career.insured_months if family.members[0].career else 0
        extra = {"insured_months_before_onset": [months] + [0] * (len(family.members) - 1)}
        return [_answer(description, family, month, index=0, extra=extra)]
    if code == "survivor_pension":
        return [_answer(description, family, month, index=0)]
    if code == "marriage_grant":
        married = family.marriage_started_on
        if _recent(married, today) and married is not None:
            return [_answer(description, family, Period.of(married), index=0)]
        note = _("No marriage of the last twelve months is registered in the file.")
        return [_answer(description, family, month, index=0, notes=(note,), event_found=False)]
    if code == "funeral_grant":
        spouse = family.members[family.spouse_index].person if family.spouse_index is not None else None
        if spouse is not None and _recent(spouse.death_date, today) and spouse.death_date is not None:
            return [
                _answer(
                    description,
                    family,
                    Period.of(spouse.death_date),
                    index=family.spouse_index or 0,
                    about=spouse.full_name,
                )
            ]
        note = _(
            "No death of a husband, wife or partner in the last twelve months is registered in the file; "
            "for another relative, the claim is made at a counter."
        )
        return [_answer(description, family, month, index=0, notes=(note,), event_found=False)]
    children = family.children
    if code == "birth_grant":
        born = [(index, member) for index, member in children if _recent(member.person.birth_date, today)]
        if not born:
            note = _("No child born or adopted in the last twelve months is registered in the file.")
            return [_answer(description, family, month, index=0, notes=(note,), event_found=False)]
        return [
            _answer(
                description,
                family,
                Period.of(member.person.birth_date),
                index=index,
                about=_born(member.person.first_name, member.person.birth_date),
            )
            for index, member in born
        ]
    # family_allowance
    if not children:
        note = _("No child is registered in the file.")
        return [_answer(description, family, month, index=0, notes=(note,), event_found=False)]
    return [
        _answer(
            description, family, month, index=index, about=_born(member.person.first_name, member.person.birth_date)
        )
        for index, member in children
    ]


def entitlement_check(
    *, actor: Actor, person_id: int, slug: str, now: datetime.datetime
) -> list[EntitlementAnswer] | None:
    """Whether the person is entitled to the scheme today, from their own data, with the reasons:
    one answer per subject (each child for a family benefit). None when the actor may not read
    the person's file; a read by anyone but the person is written in their trail."""
    return _entitlement(scheme_of(slug), actor=actor, person_id=person_id, now=now)


def _entitlement(
    scheme: SchemeDescription | ComposedScheme, *, actor: Actor, person_id: int, now: datetime.datetime
) -> list[EntitlementAnswer] | None:
    if not can_view_entitlements(actor=actor, person_id=person_id):
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what="benefit entitlement", now=now)
    return scheme_answers(scheme, person_id=person_id, today=timezone.localdate(now))


def scheme_answers(
    scheme: SchemeDescription | ComposedScheme, *, person_id: int, today: datetime.date
) -> list[EntitlementAnswer]:
    """The answers for the person's file on ``today``, without checking who asks (the callers do)."""
    family = family_of(person_id=person_id, on=today, careers_until=Period.of(today).previous())
    if isinstance(scheme, ComposedScheme):
        return [composed.answer(scheme, family, today)]
    return _answers(scheme, family, today)


def pension_estimate_source(
    *, actor: Actor, person_id: int, assumptions: PensionAssumptions | None, now: datetime.datetime
) -> Versioned[PensionEstimate] | None:
    """The old-age pension estimated from the person's record and ``assumptions`` (None: the
    defaults — retiring at the pension age, earning last year's wage until then), named by what
    it is computed from. None when the actor may not read the person's file; a read by anyone
    but the person is in their trail."""
    if not can_view_entitlements(actor=actor, person_id=person_id):
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what="pension simulation", now=now)
    return simulator.estimate_source(person_id=person_id, assumptions=assumptions, today=timezone.localdate(now))


def pension_estimate(
    *, actor: Actor, person_id: int, assumptions: PensionAssumptions | None, now: datetime.datetime
) -> PensionEstimate | None:
    """As ``pension_estimate_source``, the estimate itself."""
    source = pension_estimate_source(actor=actor, person_id=person_id, assumptions=assumptions, now=now)
    return None if source is None else source.load()


ESTIMATE_DISCLAIMER = gettext_lazy(
    "This is an estimate, not a decision: it assumes the rules in force today stay as they are, and the "
    "wage you entered until you retire. Your pension is decided on your claim, from your record as it "
    "then stands."
)


def proposals_offered(*, person_id: int) -> int:
    """How many benefits proposed to the person wait for their answer, for a reminder on other
    pages (the caller shows it only to who may read the person's file)."""
    return Proposal.objects.filter(person_id=person_id, status=ProposalStatus.OFFERED).count()
