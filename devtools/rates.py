"""Demo contribution rates that look like a real scheme (used by seed_demo; not legal values)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from contributions.models import ContributionRate
from contributions.types import Branch, WorkerCategory

D = Decimal
# (branch, employee rate, employer rate, monthly ceiling) for employees and workers.
_STANDARD_2026 = [
    (Branch.PENSION, D("0.06900"), D("0.08550"), D("4005.00")),
    (Branch.HEALTH, D("0.03550"), D("0.03800"), None),
    (Branch.UNEMPLOYMENT, D("0.00870"), D("0.01460"), None),
    (Branch.FAMILY, D("0.00000"), D("0.07000"), None),
    (Branch.WORK_INJURY, D("0.00000"), D("0.00300"), None),
]
_APPRENTICE_2026 = [
    (Branch.PENSION, D("0.00000"), D("0.02000"), D("4005.00")),
    (Branch.HEALTH, D("0.01000"), D("0.01500"), None),
    (Branch.UNEMPLOYMENT, D("0.00000"), D("0.00500"), None),
    (Branch.FAMILY, D("0.00000"), D("0.03500"), None),
    (Branch.WORK_INJURY, D("0.00000"), D("0.00300"), None),
]
START_2025 = datetime.date(2025, 1, 1)
START_2026 = datetime.date(2026, 1, 1)


def demo_rates_seed() -> None:
    """Idempotent: the 2025 table (pension slightly lower) and the 2026 table, open-ended."""
    if ContributionRate.objects.exists():
        return
    rows = []
    for category in WorkerCategory.values:
        table = _APPRENTICE_2026 if category == WorkerCategory.APPRENTICE else _STANDARD_2026
        for branch, employee, employer, ceiling in table:
            injury = branch == Branch.WORK_INJURY and category == WorkerCategory.WORKER
            employer_2026 = D("0.01000") if injury else employer
            rows.append(
                ContributionRate(
                    branch=branch,
                    worker_category=category,
                    employee_rate=employee,
                    employer_rate=employer_2026,
                    monthly_ceiling=ceiling,
                    valid_from=START_2026,
                )
            )
            rows.append(
                ContributionRate(
                    branch=branch,
                    worker_category=category,
                    employee_rate=employee - D("0.00050") if branch == Branch.PENSION and employee else employee,
                    employer_rate=employer_2026,
                    monthly_ceiling=D("3925.00") if ceiling else None,
                    valid_from=START_2025,
                    valid_until=START_2026 - datetime.timedelta(days=1),
                )
            )
    ContributionRate.objects.bulk_create(rows)
