"""The public table of contribution rates, for any period (no sign-in needed)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.views.decorators.http import require_GET

from contributions.computation import RateTable
from contributions.selectors import rates_for_period
from contributions.types import Branch, WorkerCategory
from portal.core.periods import Period


def _percent(rate: Decimal) -> str:
    """0.07500 → "7.5" in English, "7,5" in French (the template adds the percent sign)."""
    return formats.number_format((rate * 100).normalize())


@require_GET
def rates(request: HttpRequest) -> HttpResponse:
    current = Period.of(timezone.localdate())
    error = False
    try:
        period = Period.parse(request.GET["period"]) if request.GET.get("period") else current
    except ValueError:
        period, error = current, True
    in_force = rates_for_period(period=period)
    table = RateTable(in_force)
    branch_labels = dict(Branch.choices)
    branch_order = {branch: index for index, branch in enumerate(Branch.values)}
    categories = [
        (
            label,
            [
                {
                    "branch": branch_labels[rate.branch],
                    "employee_percent": _percent(rate.employee_rate),
                    "employer_percent": _percent(rate.employer_rate),
                    "ceiling": rate.monthly_ceiling,
                    "since": rate.valid_from,
                }
                for rate in sorted(in_force, key=lambda rate: branch_order[rate.branch])
                if rate.worker_category == code
            ],
        )
        for code, label in WorkerCategory.choices
        if table.has_category(code)
    ]
    return render(
        request,
        "contributions/rates.html",
        {"period": period, "categories": categories, "period_error": error},
        status=400 if error else 200,
    )
