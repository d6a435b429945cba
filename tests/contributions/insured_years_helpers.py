"""The insured years the database keeps, against the same figures computed from the lines in
force (the definition the triggers must keep to)."""

from __future__ import annotations

from django.db import connection

from contributions.models import InsuredYear

MONTHS = range(1, 13)

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
