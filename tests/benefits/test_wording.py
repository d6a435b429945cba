"""The family allowance's age condition in words: the age on the first day of the month, or — for
a child born after that day, whose age the rules count as -1 — when it was born, never a
negative age; in English and French."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from benefits.rules import Condition, Fact
from benefits.wording import reasons

END = Fact(code="family_allowance.age_limit.end", kind="parameter", period="2026-11-01", value=18)


def _below_end_age(age: int, born: datetime.date | None) -> Condition:
    birth = () if born is None else (Fact(code="birth_date", kind="variable", period="eternity", value=born),)
    return Condition(
        code="family_allowance_below_end_age",
        met=True,
        inputs=(Fact(code="age", kind="variable", period="2026-11", value=age, inputs=birth), END),
    )


@pytest.mark.parametrize(
    ("age", "born", "language", "text"),
    [
        (
            -1,
            datetime.date(2026, 11, 15),
            "en",
            "Born during the month, on 15 November 2026; the allowance ends at 18 years.",
        ),
        (
            -1,
            datetime.date(2026, 11, 15),
            "fr",
            "Né(e) au cours du mois, le 15 novembre 2026\N{NO-BREAK SPACE};"
            " l’allocation prend fin à 18\N{NO-BREAK SPACE}ans.",
        ),
        (-1, None, "en", "Born during the month; the allowance ends at 18 years."),
        (
            -1,
            None,
            "fr",
            "Né(e) au cours du mois\N{NO-BREAK SPACE}; l’allocation prend fin à 18\N{NO-BREAK SPACE}ans.",
        ),
        (
            0,
            datetime.date(2026, 11, 1),
            "en",
            "Age on the first day of the month: 0 years; the allowance ends at 18 years.",
        ),
        (
            3,
            datetime.date(2023, 5, 2),
            "fr",
            "Âge le premier jour du mois\N{NO-BREAK SPACE}: 3\N{NO-BREAK SPACE}ans\N{NO-BREAK SPACE};"
            " l’allocation prend fin à 18\N{NO-BREAK SPACE}ans.",
        ),
    ],
)
def test_the_age_condition_says_born_during_the_month_rather_than_a_negative_age(age, born, language, text):
    with translation.override(language):
        (reason,) = reasons((_below_end_age(age, born),))

    assert (reason.code, reason.met, reason.text) == ("family_allowance_below_end_age", True, text)
