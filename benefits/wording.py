"""The engine's codes and numbers in the reader's language: parameters in force, each condition
with the figures it compared, and the steps of a pension's computation.

The engine answers in codes (``old_age_pension_months_met``) and values; the sentences are here,
translated, and written about "the person" so that they read right for the person and for a
proxy alike. Called with the language of the request (or of the letter) active.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from benefits.catalogue import ParameterLabel, Unit
from benefits.rules import Condition, Fact
from benefits.types import Reason
from core.money import amount_text


def euros(value: Decimal | float | int) -> str:
    return f"{amount_text(value)}\N{NO-BREAK SPACE}€"


def day(value: datetime.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def number(value: Decimal | int) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=False)


def percent(rate: Decimal | float) -> str:
    """0.015 as "1,5 %" / "1.5 %": the rate's own decimals, none added."""
    hundredths = (Decimal(str(rate)) * 100).normalize()
    if hundredths == hundredths.to_integral():
        hundredths = hundredths.quantize(Decimal(1))  # 60, not 6E+1
    text = formats.number_format(hundredths, use_l10n=True)
    return f"{text}\N{NO-BREAK SPACE}%"


def years(count: int) -> str:
    return ngettext("%(count)d year", "%(count)d years", count) % {"count": count}


def months(count: int) -> str:
    return ngettext("%(count)d month", "%(count)d months", count) % {"count": count}


def parameter_display(label: ParameterLabel, unit: str, value: Decimal | int) -> str:
    if label.kind == "calendar_year":
        return str(value)
    if label.kind == "coefficient":
        return number(Decimal(str(value)))
    if unit == Unit.CURRENCY:
        return euros(value)
    if unit == Unit.YEAR:
        return years(int(value))
    if unit == Unit.MONTH:
        return months(int(value))
    if unit == Unit.RATE:
        return percent(Decimal(str(value)))
    return number(value)


def _flatten(facts: tuple[Fact, ...]) -> Iterator[Fact]:
    for fact in facts:
        yield fact
        yield from _flatten(fact.inputs)


def values_of(facts: tuple[Fact, ...]) -> dict[str, Any]:
    """The values a condition compared, by variable code and by a parameter's last name."""
    found: dict[str, Any] = {}
    for fact in _flatten(facts):
        key = fact.code.rsplit(".", 1)[-1] if fact.kind == "parameter" else fact.code
        found.setdefault(key, fact.value)
    return found


def _date_or_none(value: Any) -> datetime.date | None:
    return value if isinstance(value, datetime.date) and value.year < 9999 else None


# Each condition: (met, the values it compared) -> a sentence, or None to leave it unsaid.
Wording = Callable[[bool, Mapping[str, Any]], str | None]


def _alive(met: bool, v: Mapping[str, Any]) -> str | None:
    return None if met else _("The person had died before this month.")


def _months_needed(count_key: str, minimum_key: str, text: str) -> Wording:
    def wording(met: bool, v: Mapping[str, Any]) -> str:
        return text % {"count": months(int(v.get(count_key, 0))), "minimum": months(int(v.get(minimum_key, 0)))}

    return wording


def _pension_age(met: bool, v: Mapping[str, Any]) -> str:
    return _("Age on the first day of the month: %(age)s; the pension age is %(pension_age)s.") % {
        "age": years(int(v.get("age", 0))),
        "pension_age": years(int(v.get("pension_age", 0))),
    }


def _spouse_deceased(met: bool, v: Mapping[str, Any]) -> str:
    death = _date_or_none(v.get("spouse_death_date"))
    if met and death:
        return _("The husband, wife or partner died on %(day)s.") % {"day": day(death)}
    return _("No husband, wife or partner of the person has died.")


def _marriage_long_enough(met: bool, v: Mapping[str, Any]) -> str:
    return _("Married or partners for %(count)s at the death; at least %(minimum)s are required.") % {
        "count": months(int(v.get("survivor_marriage_months", 0))),
        "minimum": months(int(v.get("minimum_marriage_months", 0))),
    }


def _survivor_age(met: bool, v: Mapping[str, Any]) -> str:
    return _("Age on the day of the death: %(age)s; at least %(minimum)s is required.") % {
        "age": years(int(v.get("survivor_age_at_spouse_death", 0))),
        "minimum": years(int(v.get("minimum_age", 0))),
    }


def _deceased_pension(met: bool, v: Mapping[str, Any]) -> str:
    if met:
        return _("The deceased had earned a pension of %(amount)s a month.") % {
            "amount": euros(v.get("deceased_spouse_pension", 0))
        }
    return _("The deceased had not earned an old-age pension.")


def _disability_recognised(met: bool, v: Mapping[str, Any]) -> str:
    onset = _date_or_none(v.get("disability_onset_date"))
    if met and onset:
        return _("A disability is recognised from %(day)s.") % {"day": day(onset)}
    return _("No disability is recognised yet: our medical officer assesses it when the claim is filed.")


def _below_pension_age(met: bool, v: Mapping[str, Any]) -> str:
    if met:
        return _("The pension age is not reached.")
    return _("The pension age is reached: the old-age pension applies instead.")


def _born_in_month(met: bool, v: Mapping[str, Any]) -> str:
    born = _date_or_none(v.get("birth_date"))
    if met and born:
        return _("Born on %(day)s.") % {"day": day(born)}
    return _("No child of the family was born in this month.")


def _married_in_month(met: bool, v: Mapping[str, Any]) -> str:
    married = _date_or_none(v.get("marriage_date"))
    if met and married:
        return _("Married on %(day)s.") % {"day": day(married)}
    return _("No marriage in this month.")


def _died_in_month(met: bool, v: Mapping[str, Any]) -> str:
    died = _date_or_none(v.get("death_date"))
    if met and died:
        return _("Died on %(day)s.") % {"day": day(died)}
    return _("No death in this month.")


def _child(met: bool, v: Mapping[str, Any]) -> str | None:
    return None if met else _("Not a child of the family.")


def _resident(met: bool, v: Mapping[str, Any]) -> str:
    return _("Lives in the country.") if met else _("Does not live in the country.")


def _below_end_age(met: bool, v: Mapping[str, Any]) -> str:
    end = years(int(v.get("end", 0)))
    age = int(v.get("age", 0))
    if age < 0:
        # Born after the first day of the month, the day the rules count the age on (-1 then):
        # the month of the birth falls in the first band.
        born = _date_or_none(v.get("birth_date"))
        if born:
            return _("Born during the month, on %(day)s; the allowance ends at %(end)s.") % {
                "day": day(born),
                "end": end,
            }
        return _("Born during the month; the allowance ends at %(end)s.") % {"end": end}
    return _("Age on the first day of the month: %(age)s; the allowance ends at %(end)s.") % {
        "age": years(age),
        "end": end,
    }


def _wordings() -> dict[str, Wording]:
    return {
        "alive": _alive,
        "old_age_pension_age_reached": _pension_age,
        "old_age_pension_months_met": _months_needed(
            "insured_months", "minimum_insured_months", _("%(count)s credited to the record; %(minimum)s are required.")
        ),
        "survivor_spouse_deceased": _spouse_deceased,
        "survivor_marriage_long_enough": _marriage_long_enough,
        "survivor_old_enough": _survivor_age,
        "survivor_deceased_pension_earned": _deceased_pension,
        "disability_recognised": _disability_recognised,
        "disability_months_met": _months_needed(
            "insured_months_before_onset",
            "minimum_insured_months_before_onset",
            _("%(count)s credited before the onset; %(minimum)s are required."),
        ),
        "disability_below_pension_age": _below_pension_age,
        "born_in_month": _born_in_month,
        "birth_grant_months_met": _months_needed(
            "parents_most_insured_months",
            "minimum_insured_months",
            _("A parent has %(count)s credited to their record; %(minimum)s are required."),
        ),
        "married_in_month": _married_in_month,
        "marriage_grant_months_met": _months_needed(
            "insured_months", "minimum_insured_months", _("%(count)s credited to the record; %(minimum)s are required.")
        ),
        "died_in_month": _died_in_month,
        "funeral_grant_months_met": _months_needed(
            "insured_months",
            "minimum_insured_months",
            _("The deceased had %(count)s credited to their record; %(minimum)s are required."),
        ),
        "family_allowance_child": _child,
        "family_allowance_resident": _resident,
        "family_allowance_below_end_age": _below_end_age,
    }


def _composed_age(met: bool, v: Mapping[str, Any]) -> str:
    return _("Age on the first day of the month: %(age)s; from %(minimum)s to %(maximum)s.") % {
        "age": years(int(v.get("age", 0))),
        "minimum": years(int(v.get("minimum_age", 0))),
        "maximum": years(int(v.get("maximum_age", 0))),
    }


def _composed_contributed(met: bool, v: Mapping[str, Any]) -> str:
    return _("At least %(minimum)s contributed in the %(window)s before the month.") % {
        "minimum": months(int(v.get("minimum_months", 0))),
        "window": months(int(v.get("window_months", 0))),
    }


def _composed_employment_ended(met: bool, v: Mapping[str, Any]) -> str:
    within = months(int(v.get("within_months", 0)))
    if met:
        return _("An employment ended in the %(within)s before the month, or during it.") % {"within": within}
    return _("No employment ended in the %(within)s before the month, nor during it.") % {"within": within}


def _composed_child(met: bool, v: Mapping[str, Any]) -> str:
    age = years(int(v.get("child_age_below", 0)))
    return (_("Parent of a child under %(age)s.") if met else _("No child under %(age)s in the family.")) % {"age": age}


# The conditions of a composed scheme are named after their kind (``…__2_age_range``).
_COMPOSED_KIND = re.compile(r"__\d+_([a-z_]+)$")


def _composed_wordings() -> dict[str, Wording]:
    return {
        "age_range": _composed_age,
        "contributed_months": _composed_contributed,
        "employment_ended": _composed_employment_ended,
        "residence": _resident,
        "parent_of_child_under": _composed_child,
    }


def reasons(conditions: tuple[Condition, ...]) -> tuple[Reason, ...]:
    """Each condition in words, in the scheme's order; a condition with no wording is a defect
    of this module (a test walks every statutory scheme)."""
    wordings = _wordings()
    composed = _composed_wordings()
    found = []
    for condition in conditions:
        kind = _COMPOSED_KIND.search(condition.code)
        wording = composed[kind.group(1)] if kind else wordings[condition.code]
        text = wording(condition.met, values_of(condition.inputs))
        if text is not None:
            found.append(Reason(code=condition.code, met=condition.met, text=text))
    return tuple(found)
