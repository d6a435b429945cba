"""Benchmark: the old-age pension for N persons (default 1,000,000) in one OpenFisca simulation.

Each person has a date of birth, credited months and a yearly wage for every year since the first
year counted (36 columns up to 2025), drawn at random with a fixed seed. The command times
``evaluate`` (building the simulation, setting the inputs, computing) and prints one JSON line:
{"persons": …, "month": …, "wage_years": …, "seconds": …, "persons_per_second": …,
 "eligible": …, "inputs_mb": …, "rss_before_mb": …, "peak_rss_mb": …}
``peak_rss_mb`` is the process's high-water mark (inputs included); ``rss_before_mb`` its size
with the inputs built, before the evaluation.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy
from django.core.management.base import BaseCommand

from benefits.rules import Population, evaluate, system
from core.periods import Period


def _memory_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Command(BaseCommand):
    help = "Time the old-age pension for N persons in one simulation (default 1,000,000)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=1_000_000)
        parser.add_argument("--month", default="2026-07", help="the month computed, YYYY-MM")
        parser.add_argument("--seed", type=int, default=20260701)

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["count"]
        month = Period.parse(options["month"])
        system()  # built once per process, as in a worker: not part of the timing
        population, wage_years = self._population(count, month, numpy.random.default_rng(options["seed"]))
        inputs_mb = sum(self._bytes(column) for column in population.columns.values()) / 2**20
        rss_before = _memory_mb("VmRSS")

        started = time.perf_counter()
        result = evaluate("old_age_pension", population, month)
        seconds = time.perf_counter() - started

        self.stdout.write(
            json.dumps(
                {
                    "persons": count,
                    "month": str(month),
                    "wage_years": wage_years,
                    "seconds": round(seconds, 2),
                    "persons_per_second": round(count / seconds),
                    "eligible": int(result.eligible.sum()),
                    "inputs_mb": round(inputs_mb, 1),
                    "rss_before_mb": round(rss_before, 1),
                    "peak_rss_mb": round(_memory_mb("VmHWM"), 1),
                }
            )
        )

    @staticmethod
    def _bytes(column: Any) -> int:
        if isinstance(column, dict):
            return sum(numpy.asarray(values).nbytes for values in column.values())
        return int(numpy.asarray(column).nbytes)

    @staticmethod
    def _population(count: int, month: Period, random: numpy.random.Generator) -> tuple[Population, int]:
        first_year = int(system().parameters(month.first_day.isoformat()).old_age.first_wage_year)
        years = range(first_year, month.year)
        # Ages 40 to 80 on the month, so that about a third has reached the pension age.
        birth = numpy.datetime64(month.first_day, "D") - random.integers(40 * 365, 80 * 365, count).astype(
            "timedelta64[D]"
        )
        months = random.integers(0, 541, count, dtype=numpy.int32)
        base = random.uniform(12_000, 90_000, count).astype(numpy.float32)
        wages = {
            str(year): numpy.where(
                random.random(count) < 0.85, base * (0.6 + 0.4 * (year - first_year) / len(years)), 0
            ).astype(numpy.float32)
            for year in years
        }
        return Population(columns={"birth_date": birth, "insured_months": months, "yearly_wage": wages}), len(years)
