"""Declaration periods: a month, written ``YYYY-MM``."""

from __future__ import annotations

import calendar
import datetime
import functools
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# The years a period may have (the API documents them in the pattern of a period).
FIRST_YEAR, LAST_YEAR = 1900, 9999


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise ValueError(f"not a period: {self.year}-{self.month}")

    @classmethod
    def parse(cls, value: str) -> Period:
        match = _PATTERN.match(value.strip())
        if match is None:
            raise ValueError(f"not a period (YYYY-MM): {value!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: datetime.date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def days(self) -> int:
        return _days_in(self.year, self.month)

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def shifted(self, months: int) -> Period:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def through(self, last: Period) -> list[Period]:
        """This month and each one after it up to ``last`` included (none when ``last`` is before)."""
        months = []
        month = self
        while month <= last:
            months.append(month)
            month = month.next()
        return months


@functools.cache
def _days_in(year: int, month: int) -> int:
    # Asked for every line of a declaration (a million for a bulk file): computed once a month.
    return calendar.monthrange(year, month)[1]
