"""The computation of contributions: one code path for the form, the API and bulk files.

Per line and per branch: ``round_half_up(min(wage, ceiling) × rate, 2)`` for the employee and
the employer shares; the totals of a declaration are the sums of its lines' amounts.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from decimal import Decimal

from contributions.types import BranchAmount, Rate


def _scaled(rate: Decimal) -> tuple[int, int]:
    """A rate as an integer and its power of ten: 0.0690 → (690, 10000)."""
    sign, digits, exponent = rate.as_tuple()
    value = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite rate: {rate}")
    if exponent >= 0:
        return value * 10**exponent, 1
    return value, 10**-exponent


def _share(base_cents: int, rate: int, scale: int) -> int:
    """round_half_up(base × rate) in cents, exactly, with integers (halves away from zero)."""
    product = base_cents * rate
    magnitude = (2 * abs(product) + scale) // (2 * scale)
    return magnitude if product >= 0 else -magnitude


class RateTable:
    """The rates of one period, indexed by worker category, built once per declaration.

    The arithmetic is exact and done in integer cents: ``round_half_up(min(wage, ceiling) ×
    rate)`` equals ``(2 × base × rate + scale) // (2 × scale)`` for a rate with ``log10(scale)``
    decimals — a million lines are computed in seconds, to the same cent as with Decimal."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        self._by_category: dict[str, list[Rate]] = {}
        for rate in rates:
            self._by_category.setdefault(rate.worker_category, []).append(rate)
        self._cents: dict[str, list[tuple[str, int | None, int, int, int, int]]] = {
            category: [
                (
                    rate.branch,
                    None if rate.monthly_ceiling is None else int(rate.monthly_ceiling * 100),
                    *_scaled(rate.employee_rate),
                    *_scaled(rate.employer_rate),
                )
                for rate in rates
            ]
            for category, rates in self._by_category.items()
        }

    def has_category(self, worker_category: str) -> bool:
        return worker_category in self._by_category

    def line_cents(self, *, worker_category: str, wage_cents: int) -> list[tuple[str, int, int, int]]:
        """(branch, base, employee share, employer share) of one line, in cents (KeyError for
        an unknown category)."""
        shares = []
        for branch, ceiling, employee, employee_scale, employer, employer_scale in self._cents[worker_category]:
            base = wage_cents if ceiling is None or wage_cents < ceiling else ceiling
            shares.append(
                (branch, base, _share(base, employee, employee_scale), _share(base, employer, employer_scale))
            )
        return shares

    def lines_cents(
        self, *, worker_category: str, wages_cents: Sequence[int]
    ) -> tuple[list[int], list[int], dict[str, list[int]]]:
        """The contributions of many lines of one category at once, in cents: each line's
        employee and employer totals, and per branch the sums ``[employee, employer]`` of the
        lines' shares — to the cent what ``line_cents`` gives line by line, computed a branch at
        a time over all the lines (a bulk file's million lines in seconds). Wages and rates are
        never negative (a line's wage is checked so; the rates table's constraint), so halves
        up is ``(2 × base × rate + scale) // (2 × scale)``. KeyError for an unknown category."""
        if any(wage < 0 for wage in wages_cents):
            raise ValueError("a negative wage has no contributions")
        employee_totals = [0] * len(wages_cents)
        employer_totals = [0] * len(wages_cents)
        sums: dict[str, list[int]] = {}
        for branch, ceiling, employee, employee_scale, employer, employer_scale in self._cents[worker_category]:
            bases = wages_cents if ceiling is None else [wage if wage < ceiling else ceiling for wage in wages_cents]
            shares = []
            for rate, scale, totals in (
                (employee, employee_scale, employee_totals),
                (employer, employer_scale, employer_totals),
            ):
                if rate < 0:
                    raise ValueError(f"a negative rate: {branch}")
                twice_rate, twice_scale = 2 * rate, 2 * scale
                branch_shares = [(twice_rate * base + scale) // twice_scale for base in bases]
                totals[:] = map(operator.add, totals, branch_shares)
                shares.append(sum(branch_shares))
            sums[branch] = shares
        return employee_totals, employer_totals, sums

    def line(self, *, worker_category: str, gross_wage: Decimal) -> list[BranchAmount]:
        """The amounts of one declaration line, per branch (KeyError for an unknown category)."""
        return [
            BranchAmount(branch=branch, base=_money(base), employee=_money(employee), employer=_money(employer))
            for branch, base, employee, employer in self.line_cents(
                worker_category=worker_category, wage_cents=cents(gross_wage)
            )
        ]


def cents(amount: Decimal) -> int:
    """An amount of at most two decimals as whole cents."""
    return int(amount.scaleb(2).to_integral_value())


def _money(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def cents_text(value: int) -> str:
    """Cents as the amount's text with two decimals: 20703 → "207.03", -5 → "-0.05"."""
    if value >= 0:
        return "%d.%02d" % divmod(value, 100)  # noqa: UP031 — the fastest form, called per branch and line
    return "-%d.%02d" % divmod(-value, 100)  # noqa: UP031


def branch_totals(lines: Iterable[dict[str, list[str]]]) -> dict[str, list[str]]:
    """Per branch, the sums of the lines' stored amounts ``{branch: [employee, employer]}`` —
    sums of rounded line amounts, never a rounded sum — in the same form."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        for branch, (employee, employer) in line.items():
            total_employee, total_employer = sums.get(branch, (Decimal("0.00"), Decimal("0.00")))
            sums[branch] = (total_employee + Decimal(employee), total_employer + Decimal(employer))
    return {branch: [str(employee), str(employer)] for branch, (employee, employer) in sums.items()}
