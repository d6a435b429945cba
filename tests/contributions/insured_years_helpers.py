"""Careers declared by form (an employer and its declarant), and the insured years kept against
the same figures computed from the lines in force (the definition the fold keeps to)."""

from __future__ import annotations

import datetime

from django.db import connection

from contributions.careers import MONTHS
from contributions.declarations import declaration_submit
from contributions.models import InsuredYear
from contributions.types import LineInput
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, UserFactory, representation

NOW = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC)


def employer(name: str = "Employer"):
    """An enterprise and its declarant, acting for it."""
    enterprise = EnterpriseFactory(name=name)
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    return enterprise, citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))


def declare(employer, period: str, wages, *, replace: bool = False) -> None:
    """The employer declares the period by form: (person, gross wage) each."""
    enterprise, actor = employer
    result = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=period,
        lines=[
            LineInput(
                national_number=person.national_number, worker_category="employee", gross_wage=wage, days_worked="20"
            )
            for person, wage in wages
        ],
        replace=replace,
        channel="form",
        now=NOW,
    )
    assert result.accepted, result.anomalies


_FROM_LINES = """
SELECT l.person_id, substr(d.period, 1, 4)::int, substr(d.period, 6, 2)::int, COUNT(*), SUM(l.gross_wage)
FROM contributions_declarationline l JOIN contributions_declaration d ON d.id = l.declaration_id
WHERE d.status = 'in_force' AND l.gross_wage > 0
GROUP BY 1, 2, 3
"""


def years_kept() -> dict[tuple[int, int], dict[int, tuple[int, object]]]:
    """(person, year) → {month: (lines, wages)} as kept, the months at zero left out."""
    kept: dict[tuple[int, int], dict[int, tuple[int, object]]] = {}
    for row in InsuredYear.objects.all():
        months = {
            month: (getattr(row, f"m{month:02}"), getattr(row, f"w{month:02}"))
            for month in MONTHS
            if getattr(row, f"m{month:02}") or getattr(row, f"w{month:02}")
        }
        if months:
            kept[row.person_id, row.year] = months
    return kept


def years_from_lines() -> dict[tuple[int, int], dict[int, tuple[int, object]]]:
    """The same, computed from the lines in force."""
    computed: dict[tuple[int, int], dict[int, tuple[int, object]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_FROM_LINES)
        for person_id, year, month, lines, wages in cursor.fetchall():
            computed.setdefault((person_id, year), {})[month] = (lines, wages)
    return computed
