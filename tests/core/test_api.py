"""The API's shared inputs: a period is read by ``core.periods.Period`` and documented with a
pattern that says exactly what it accepts; every validation code is a documented one."""

import re

import pytest
from rest_framework import serializers

from core.api import _DRF_CODES, PERIOD_PATTERN, VALIDATION_CODES, PeriodField, validation_code
from core.periods import FIRST_YEAR, LAST_YEAR, Period


def _accepted(value):
    try:
        PeriodField().run_validation(value)
    except serializers.ValidationError as error:
        assert [detail.code for detail in error.detail] == ["null" if value is None else "period_format"]
        return False
    return True


def _is_period(value):
    try:
        Period.parse(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("year", [0, FIRST_YEAR - 1, FIRST_YEAR, 1999, 2000, 2026, LAST_YEAR])
@pytest.mark.parametrize("month", [0, 1, 9, 10, 12, 13])
def test_the_field_the_pattern_and_the_period_agree_on_every_year_and_month_at_the_bounds(year, month):
    value = f"{year:04d}-{month:02d}"
    expected = FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12
    assert _is_period(value) is expected
    assert _accepted(value) is expected
    assert bool(re.fullmatch(PERIOD_PATTERN, value)) is expected


@pytest.mark.parametrize(
    "value", ["", " 2026-10", "2026-10 ", "2026-10\n", "２０２６-10", "2026-1", "202610", None, 202610]
)
def test_the_field_refuses_what_the_pattern_refuses_though_period_parse_is_more_lenient(value):
    assert _accepted(value) is False
    assert not (isinstance(value, str) and re.fullmatch(PERIOD_PATTERN, value))


def test_the_field_answers_a_period():
    assert PeriodField().run_validation("2026-10") == Period(2026, 10)
    assert PeriodField().to_representation(Period(2026, 10)) == "2026-10"


def test_every_validation_code_answered_is_documented():
    assert {validation_code(code) for code in _DRF_CODES} <= set(VALIDATION_CODES)
    assert validation_code("null_characters_not_allowed") == "invalid"
    assert validation_code("max_string_length") == "max_value"
    assert validation_code("a_code_drf_adds_tomorrow") == "invalid"
    assert validation_code("required") == "required"
