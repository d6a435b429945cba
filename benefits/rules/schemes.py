"""The statutory schemes: for each, the variables of its amount, eligibility and conditions."""

from __future__ import annotations

from benefits.rules.types import Scheme

STATUTORY: dict[str, Scheme] = {
    scheme.code: scheme
    for scheme in (
        Scheme(
            code="old_age_pension",
            amount="old_age_pension",
            eligible="old_age_pension_eligible",
            conditions=("alive", "old_age_pension_age_reached", "old_age_pension_months_met"),
            details=(
                "age",
                "insured_months",
                "average_revalued_yearly_wage",
                "old_age_pension_rate",
                "old_age_pension_computed_amount",
                "old_age_pension_minimum_applied",
                "old_age_pension_maximum_applied",
            ),
        ),
        Scheme(
            code="survivor_pension",
            amount="survivor_pension",
            eligible="survivor_pension_eligible",
            conditions=(
                "alive",
                "survivor_spouse_deceased",
                "survivor_marriage_long_enough",
                "survivor_old_enough",
                "survivor_deceased_pension_earned",
            ),
            details=(
                "spouse_death_date",
                "survivor_marriage_months",
                "survivor_age_at_spouse_death",
                "deceased_spouse_pension",
            ),
        ),
        Scheme(
            code="disability_pension",
            amount="disability_pension",
            eligible="disability_pension_eligible",
            conditions=("alive", "disability_recognised", "disability_months_met", "disability_below_pension_age"),
            details=(
                "disability_onset_date",
                "insured_months_before_onset",
                "disability_counted_wage",
                "disability_ceiling_applied",
            ),
        ),
        Scheme(
            code="birth_grant",
            amount="birth_grant",
            eligible="birth_grant_eligible",
            conditions=("born_in_month", "birth_grant_months_met"),
            details=("parents_most_insured_months",),
        ),
        Scheme(
            code="marriage_grant",
            amount="marriage_grant",
            eligible="marriage_grant_eligible",
            conditions=("alive", "married_in_month", "marriage_grant_months_met"),
            details=("insured_months",),
        ),
        Scheme(
            code="funeral_grant",
            amount="funeral_grant",
            eligible="funeral_grant_eligible",
            conditions=("died_in_month", "funeral_grant_months_met"),
            details=("insured_months",),
        ),
        Scheme(
            code="family_allowance",
            amount="family_allowance",
            eligible="family_allowance_eligible",
            conditions=(
                "alive",
                "family_allowance_child",
                "family_allowance_resident",
                "family_allowance_below_end_age",
            ),
            details=("age", "family_allowance_band"),
        ),
    )
}
