"""The computation of contributions: one code path for the form, the API and bulk files.

Per line and per branch: ``round_half_up(min(wage, ceiling) × rate, 2)`` for the employee and
the employer shares; the totals of a declaration are the sums of its lines' amounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from contributions.types import BranchAmount, Rate
from portal.core.money import round_half_up


class RateTable:
    """The rates of one period, indexed by worker category, built once per declaration."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        self._by_category: dict[str, list[Rate]] = {}
        for rate in rates:
            self._by_category.setdefault(rate.worker_category, []).append(rate)

    def has_category(self, worker_category: str) -> bool:
        return worker_category in self._by_category

    def line(self, *, worker_category: str, gross_wage: Decimal) -> list[BranchAmount]:
        """The amounts of one declaration line, per branch (KeyError for an unknown category)."""
        amounts = []
        for rate in self._by_category[worker_category]:
            base = gross_wage if rate.monthly_ceiling is None else min(gross_wage, rate.monthly_ceiling)
            amounts.append(
                BranchAmount(
                    branch=rate.branch,
                    base=base,
                    employee=round_half_up(base * rate.employee_rate),
                    employer=round_half_up(base * rate.employer_rate),
                )
            )
        return amounts


def branch_totals(lines: Iterable[dict[str, list[str]]]) -> dict[str, list[str]]:
    """Per branch, the sums of the lines' stored amounts ``{branch: [employee, employer]}`` —
    sums of rounded line amounts, never a rounded sum — in the same form."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        for branch, (employee, employer) in line.items():
            total_employee, total_employer = sums.get(branch, (Decimal("0.00"), Decimal("0.00")))
            sums[branch] = (total_employee + Decimal(employee), total_employer + Decimal(employer))
    return {branch: [str(employee), str(employer)] for branch, (employee, employer) in sums.items()}
