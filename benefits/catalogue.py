"""The statutory schemes as people read them: title, who is entitled (in words, with the numbers
in force), the documents a claim needs, how long a decision takes, and the parameters shown.

The rules themselves live in ``benefits.rules`` (OpenFisca); this module only words them. Every
number in a sentence comes from a dated parameter, read for the month the reader asks about.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from benefits.models import Periodicity


class Subject(enum.StrEnum):
    """Whose row of the family the engine computes the benefit on."""

    SELF = "self"  # the claimant: pensions, marriage grant
    CHILD = "child"  # each child of the claimant: birth grant, family allowance
    DECEASED_SPOUSE = "deceased_spouse"  # the spouse who died: funeral grant


class Unit(enum.StrEnum):
    CURRENCY = "currency-EUR"
    YEAR = "year"
    MONTH = "month"
    RATE = "/1"


@dataclass(frozen=True)
class ParameterLabel:
    path: str  # "old_age.pension_age"
    label: Promise
    kind: str = ""  # "calendar_year" (1990, not "1990 years") or "coefficient" (1.041, not 104.1 %)


@dataclass(frozen=True)
class SchemeDescription:
    code: str  # the engine's scheme
    slug: str  # its address: /benefits/<slug>/
    title: Promise
    summary: Promise
    # "Who is entitled", one sentence each, with {names} of the parameters in force filled in for
    # the month read: a parameter's path after the scheme's part, dots as underscores
    # ("family_allowance.amount.first_band" is {amount_first_band}).
    who: tuple[Promise, ...]
    documents: tuple[Promise, ...]
    decision_days: int
    periodicity: Periodicity
    subject: Subject
    parameters: tuple[ParameterLabel, ...]
    legal_basis: str


def _p(path: str, label: Promise, kind: str = "") -> ParameterLabel:
    return ParameterLabel(path, label, kind)


IDENTITY_DOCUMENT = _("a copy of your identity card or passport, if you live abroad")

SCHEMES: tuple[SchemeDescription, ...] = (
    SchemeDescription(
        code="old_age_pension",
        slug="old-age-pension",
        title=_("Old-age pension"),
        summary=_("A monthly pension from the pension age, computed from your whole career."),
        who=(
            _("You have reached the pension age, {pension_age}, on the first day of the month."),
            _("At least {minimum_insured_months} are credited to your contribution record."),
            _(
                "The pension is {accrual_rate} of your average yearly wage for each year of insurance "
                "(at most {maximum_counted_months} counted), each year's wage revalued into today's money."
            ),
            _("It is at least {minimum_monthly_amount} and at most {maximum_monthly_amount} a month."),
        ),
        documents=(IDENTITY_DOCUMENT, _("the bank account the pension is paid to")),
        decision_days=60,
        periodicity=Periodicity.MONTHLY,
        subject=Subject.SELF,
        parameters=(
            _p("old_age.pension_age", _("Pension age")),
            _p("old_age.minimum_insured_months", _("Minimum credited months")),
            _p("old_age.accrual_rate", _("Accrual rate per year of insurance")),
            _p("old_age.maximum_counted_months", _("Most months counted")),
            _p("old_age.minimum_monthly_amount", _("Minimum monthly pension")),
            _p("old_age.maximum_monthly_amount", _("Maximum monthly pension")),
            _p("old_age.first_wage_year", _("First year whose wages count"), "calendar_year"),
            _p("old_age.wage_revaluation_coefficient", _("Revaluation of last year's wages"), "coefficient"),
        ),
        legal_basis="SIA art. 21–26",
    ),
    SchemeDescription(
        code="survivor_pension",
        slug="survivor-pension",
        title=_("Survivor's pension"),
        summary=_("A monthly pension for the husband, wife or registered partner of an insured person who died."),
        who=(
            _("Your husband, wife or registered partner has died and had earned an old-age pension."),
            _("You had been married or partners for at least {minimum_marriage_months} when they died."),
            _("You were aged at least {minimum_age} on the day of the death."),
            _("The pension is {share} of the pension the deceased had earned."),
        ),
        documents=(
            _("the death certificate, if the death was not registered in the country"),
            _("the bank account the pension is paid to"),
        ),
        decision_days=45,
        periodicity=Periodicity.MONTHLY,
        subject=Subject.SELF,
        parameters=(
            _p("survivor.share", _("Share of the deceased's pension")),
            _p("survivor.minimum_marriage_months", _("Minimum length of the marriage")),
            _p("survivor.minimum_age", _("Minimum age of the survivor")),
        ),
        legal_basis="SIA art. 31–34",
    ),
    SchemeDescription(
        code="disability_pension",
        slug="disability-pension",
        title=_("Disability pension"),
        summary=_("A monthly income when illness or an accident stops you from working before the pension age."),
        who=(
            _("Our medical officer recognises that you can no longer work, from the onset of your disability."),
            _("At least {minimum_insured_months_before_onset} were credited to your record before the onset."),
            _("You have not reached the pension age."),
            _(
                "The pension is {share} of your average monthly wage of the last twelve months before the onset, "
                "counted up to {reference_wage_ceiling}."
            ),
        ),
        documents=(
            _("a medical certificate from your doctor stating the onset of the disability"),
            _("the bank account the pension is paid to"),
        ),
        decision_days=90,
        periodicity=Periodicity.MONTHLY,
        subject=Subject.SELF,
        parameters=(
            _p("disability.share", _("Share of the reference wage")),
            _p("disability.minimum_insured_months_before_onset", _("Minimum months before the onset")),
            _p("disability.reference_wage_ceiling", _("Ceiling of the reference wage")),
        ),
        legal_basis="SIA art. 41–45",
    ),
    SchemeDescription(
        code="birth_grant",
        slug="birth-grant",
        title=_("Birth grant"),
        summary=_("A lump sum at the birth or adoption of a child."),
        who=(
            _("A child of yours was born or adopted; the grant is due once per child."),
            _("You or the other parent have at least {minimum_insured_months} credited to your record."),
            _("The grant is {amount}."),
        ),
        documents=(_("the birth certificate, if the birth was not registered in the country"),),
        decision_days=30,
        periodicity=Periodicity.ONCE,
        subject=Subject.CHILD,
        parameters=(
            _p("birth_grant.amount", _("Amount of the grant")),
            _p("birth_grant.minimum_insured_months", _("Minimum credited months of a parent")),
        ),
        legal_basis="SIA art. 51",
    ),
    SchemeDescription(
        code="family_allowance",
        slug="family-allowance",
        title=_("Family allowance"),
        summary=_("A monthly allowance for each child you raise, by the child's age."),
        who=(
            _("You raise a child who lives in the country and has not reached the age of {age_limit_end}."),
            _(
                "The allowance is {amount_first_band} a month until the age of {age_limit_second_band}, "
                "then {amount_second_band} until the age of {age_limit_third_band}, then {amount_third_band}."
            ),
        ),
        documents=(_("the birth certificate of each child not registered in the country"),),
        decision_days=30,
        periodicity=Periodicity.MONTHLY,
        subject=Subject.CHILD,
        parameters=(
            _p("family_allowance.amount.first_band", _("Allowance, first age band")),
            _p("family_allowance.amount.second_band", _("Allowance, second age band")),
            _p("family_allowance.amount.third_band", _("Allowance, third age band")),
            _p("family_allowance.age_limit.second_band", _("Age of the second band")),
            _p("family_allowance.age_limit.third_band", _("Age of the third band")),
            _p("family_allowance.age_limit.end", _("Age at which the allowance ends")),
        ),
        legal_basis="SIA art. 61–62",
    ),
    SchemeDescription(
        code="marriage_grant",
        slug="marriage-grant",
        title=_("Marriage grant"),
        summary=_("A lump sum when you marry, for each insured spouse."),
        who=(
            _("You married this month or recently; the grant is due for the month of the marriage."),
            _("At least {minimum_insured_months} are credited to your record."),
            _("The grant is {amount}."),
        ),
        documents=(_("the marriage certificate, if the marriage took place abroad"),),
        decision_days=30,
        periodicity=Periodicity.ONCE,
        subject=Subject.SELF,
        parameters=(
            _p("marriage_grant.amount", _("Amount of the grant")),
            _p("marriage_grant.minimum_insured_months", _("Minimum credited months")),
        ),
        legal_basis="SIA art. 53",
    ),
    SchemeDescription(
        code="funeral_grant",
        slug="funeral-grant",
        title=_("Funeral grant"),
        summary=_("A lump sum towards the funeral of an insured person, paid to whoever bore the costs."),
        who=(
            _("The deceased had at least {minimum_insured_months} credited to their record."),
            _("The grant is {amount}, paid once."),
        ),
        documents=(
            _("the funeral director's invoice in your name"),
            _("the death certificate, if the death was not registered in the country"),
        ),
        decision_days=15,
        periodicity=Periodicity.ONCE,
        subject=Subject.DECEASED_SPOUSE,
        parameters=(
            _p("funeral_grant.amount", _("Amount of the grant")),
            _p("funeral_grant.minimum_insured_months", _("Minimum credited months of the deceased")),
        ),
        legal_basis="SIA art. 55",
    ),
)

BY_SLUG = {scheme.slug: scheme for scheme in SCHEMES}
BY_CODE = {scheme.code: scheme for scheme in SCHEMES}

PERIODICITY_LABELS = dict(Periodicity.choices)
