"""Vectorised date and money arithmetic shared by the formulas (numpy arrays, one cell per person)."""

from __future__ import annotations

import datetime
from typing import Any

import numpy
import numpy.typing as npt

# A date that stands for "never" (no death, no onset of incapacity): far past any period computed.
NEVER = datetime.date(9999, 12, 31)

DateArray = npt.NDArray[numpy.datetime64]
Array = npt.NDArray[Any]


def _parts(days: DateArray) -> tuple[Array, Array, Array]:
    years = days.astype("datetime64[Y]").astype(numpy.int64) + 1970
    months = days.astype("datetime64[M]").astype(numpy.int64) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(numpy.int64) + 1
    return years, months, day_of_month


def as_dates(value: DateArray | datetime.date) -> DateArray:
    return numpy.asarray(numpy.datetime64(value, "D") if isinstance(value, datetime.date) else value, "datetime64[D]")


def age_on(birth: DateArray, day: DateArray | datetime.date) -> Array:
    """Completed years on ``day`` (a birthday counts from its own day; 29 February from 1 March)."""
    birth_year, birth_month, birth_day = _parts(as_dates(birth))
    year, month, day_of_month = _parts(as_dates(day))
    before_birthday = (month < birth_month) | ((month == birth_month) & (day_of_month < birth_day))
    return year - birth_year - before_birthday.astype(numpy.int64)


def whole_months_between(start: DateArray, end: DateArray) -> Array:
    """Completed months from ``start`` to ``end`` (12 March → 11 March next year: 11 months)."""
    start_year, start_month, start_day = _parts(as_dates(start))
    end_year, end_month, end_day = _parts(as_dates(end))
    months = (end_year - start_year) * 12 + (end_month - start_month)
    return months - (end_day < start_day).astype(numpy.int64)


def round_to_cents(amounts: Array) -> Array:
    """Round to the cent, halves away from zero, as ``core.money.round_half_up`` does for Decimals.

    The small epsilon absorbs the binary error of a product such as 0.6 × 1234.175 so that an
    exact half cent on paper is rounded up here too."""
    values = numpy.asarray(amounts, dtype=numpy.float64)
    return numpy.sign(values) * numpy.floor(numpy.abs(values) * 100 + 0.5 + 1e-7) / 100
