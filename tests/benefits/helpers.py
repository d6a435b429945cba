"""Small builders of populations for the rules' tests."""

from __future__ import annotations

from typing import Any

import numpy

from benefits.rules import Population


def column(*values: Any) -> numpy.ndarray:
    if values and isinstance(values[0], str) and values[0][:1].isdigit() and "-" in values[0]:
        return numpy.array(values, dtype="datetime64[D]")
    return numpy.array(values)


def population(
    rows: list[dict[str, Any]], *, family: list[int] | None = None, role: list[str] | None = None
) -> Population:
    """Columns from rows (one dict a person); a dict value is {period: value}."""
    names = sorted({name for row in rows for name in row})
    columns: dict[str, Any] = {}
    defaults = {
        "birth_date": "1970-01-01",
        "death_date": "9999-12-31",
        "marriage_date": "9999-12-31",
        "employment_end_date": "9999-12-31",
        "disability_onset_date": "9999-12-31",
    }
    for name in names:
        if any(isinstance(row.get(name), dict) for row in rows):
            periods = sorted({period for row in rows for period in row.get(name, {})})
            columns[name] = {
                period: column(*(float(row.get(name, {}).get(period, 0)) for row in rows)) for period in periods
            }
        else:
            columns[name] = column(*(row.get(name, defaults.get(name, 0)) for row in rows))
    return Population(
        columns=columns,
        family=numpy.array(family) if family is not None else None,
        role=numpy.array(role) if role is not None else None,
    )
