"""Monthly declarations: one validation and one computation for every channel (form, API, file).

``declaration_submit`` checks every line (it never stops at the first error), and either rejects
the whole declaration — storing nothing — when there is a blocking error, or stores it with its
warnings. It comes into force by the rule every channel shares (``contributions.in_force``): a
replacing declaration becomes the version in force and the previous one is marked replaced in
the same transaction, so that there is no moment with both or neither in force.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import secrets
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.db.models.expressions import RawSQL
from django.utils import timezone

from contributions import notices
from contributions.computation import RateTable, branch_totals, cents, cents_text
from contributions.in_force import declaration_periods_lock, declarations_bring_into_force
from contributions.ledger import declaration_due_date
from contributions.models import (
    Channel,
    Declaration,
    DeclarationLine,
    DeclarationStatus,
    DeclarationWarning,
    Employment,
)
from contributions.policies import declaring_capacity
from contributions.reads import employed_during, rates_for_period
from contributions.types import Anomaly, LineInput, Severity, SubmissionResult, WorkerCategory
from core.actor import Actor
from core.db import int_array
from core.errors import NotFound
from core.money import amount_parse
from core.periods import Period
from identity.country_profiles import IdentifierScheme, country_profile
from identity.selectors import RegistryEntry, persons_by_national_numbers
from identity.types import InvalidIdentifier

# A wage more than this far (relative) from the average of the previous three months is flagged.
WAGE_DEVIATION = Decimal("0.5")
_CATEGORIES = frozenset(WorkerCategory.values)
# The largest monthly wage a line may declare (what the amounts' columns hold, with room to sum).
WAGE_MAX = Decimal("9999999.99")


def _error(code: str, line: int | None = None, field: str = "") -> Anomaly:
    return Anomaly(code=code, severity=Severity.ERROR, line_number=line, field=field)


def _warning(code: str, line: int | None = None, field: str = "") -> Anomaly:
    return Anomaly(code=code, severity=Severity.WARNING, line_number=line, field=field)


def declaration_submit(
    *,
    actor: Actor,
    enterprise_id: int,
    period: str,
    lines: list[LineInput],
    replace: bool,
    channel: str,
    now: datetime.datetime,
) -> SubmissionResult:
    """File a monthly declaration sent by form or API: accepted (stored and in force, the
    enterprise's representatives told — but the form's sender, who sees the receipt) or rejected
    with every anomaly (nothing stored). A rejection of the API is told to the representatives
    too, the client being software; the form's sender sees the anomalies on the form, and a
    declaration being corrected on screen is nobody else's news. NotFound when the actor may
    not declare for the enterprise (nothing is told)."""
    allowed, bureau_id = declaring_capacity(actor=actor, enterprise_id=enterprise_id, on=timezone.localdate(now))
    if not allowed:
        raise NotFound
    result = _submit(
        actor=actor,
        enterprise_id=enterprise_id,
        period=period,
        lines=lines,
        replace=replace,
        channel=channel,
        bureau_id=bureau_id,
        now=now,
    )
    if not result.accepted and channel == Channel.API:
        _tell_rejected(
            enterprise_id=enterprise_id, period=period, replace=replace, result=result, bureau_id=bureau_id, now=now
        )
    return result


def _tell_rejected(
    *,
    enterprise_id: int,
    period: str,
    replace: bool,
    result: SubmissionResult,
    bureau_id: int | None,
    now: datetime.datetime,
) -> None:
    due_on: datetime.date | None = None
    if not replace:  # a replacement's month is filed already: no filing date to recall
        with contextlib.suppress(ValueError):
            due_on = declaration_due_date(period=Period.parse(period), due_day=settings.DECLARATION_DUE_DAY)
    notices.declarations_rejected(
        rejected=[
            notices.Rejected(
                enterprise_id=enterprise_id,
                period=period.strip(),
                channel=Channel.API,
                replacement=replace,
                error_count=len(result.errors),
                errors=errors_summary((a.code, a.line_number, 1) for a in result.errors),
                due_on=due_on,
                overdue=due_on is not None and timezone.localdate(now) > due_on,
                bureau_id=bureau_id,
            )
        ],
        now=now,
    )


def errors_summary(errors: Iterable[tuple[str, int | None, int]]) -> tuple[tuple[str, int | None, int], ...]:
    """Blocking anomalies — (code, line number, how many) — as (code, first line, how many) per
    code, the most frequent first: what a rejection's message names."""
    counts: dict[str, tuple[int | None, int]] = {}
    for code, line, times in errors:
        first, count = counts.get(code, (line, 0))
        if first is None or (line is not None and line < first):
            first = line
        counts[code] = (first, count + times)
    return tuple(
        (code, first, count)
        for code, (first, count) in sorted(counts.items(), key=lambda item: (-item[1][1], item[1][0] or 0, item[0]))
    )


def _submit(
    *,
    actor: Actor,
    enterprise_id: int,
    period: str,
    lines: list[LineInput],
    replace: bool,
    channel: str,
    bureau_id: int | None,
    now: datetime.datetime,
) -> SubmissionResult:
    declared, anomalies = period_check(period, today=timezone.localdate(now))
    if declared is None:
        return SubmissionResult(accepted=False, anomalies=tuple(anomalies))
    if not lines:
        anomalies.append(_error("no_lines"))

    resolved = national_numbers_resolve(
        [(number, line.national_number) for number, line in enumerate(lines, start=1)],
        country_profile().person_number,
        anomalies,
    )
    table = RateTable(rates_for_period(period=declared))
    parsed: list[ParsedLine] = []
    seen: set[int] = set()
    for number, line in enumerate(lines, start=1):
        found, entry = resolved[number]
        checked = line_check(
            number,
            line,
            compact=found,
            entry=entry,
            declared=declared,
            table=table,
            seen=seen,
            anomalies=anomalies,
            decimal_comma=channel == "form",
        )
        if checked is not None:
            parsed.append(checked)

    with transaction.atomic():
        declaration_periods_lock([(enterprise_id, str(declared))])
        current = (
            Declaration.objects.select_for_update()
            .filter(enterprise_id=enterprise_id, period=str(declared), status=DeclarationStatus.IN_FORCE)
            .first()
        )
        if current is not None and not replace:
            anomalies.append(_error("period_declared", field="period"))
        if current is None and replace:
            anomalies.append(_error("nothing_to_replace", field="period"))
        if any(a.severity == Severity.ERROR for a in anomalies):
            return SubmissionResult(accepted=False, anomalies=tuple(anomalies))
        anomalies.extend(
            line_warnings(
                period=declared,
                lines=[(number, enterprise_id, person_id, wage) for number, person_id, _c, wage, _d in parsed],
            )
        )
        return _store(
            actor=actor,
            enterprise_id=enterprise_id,
            period=declared,
            parsed=parsed,
            table=table,
            bureau_id=bureau_id,
            channel=channel,
            anomalies=anomalies,
            now=now,
        )


ParsedLine = tuple[int, int, str, Decimal, int]  # (line number, person id, category, wage, days)


def period_check(period: str, *, today: datetime.date) -> tuple[Period | None, list[Anomaly]]:
    """The declared period, if it is written YYYY-MM; a period that has not ended is an error."""
    try:
        declared = Period.parse(period)
    except ValueError:
        return None, [_error("period_format", field="period")]
    if declared >= Period.of(today):
        return declared, [_error("period_future", field="period")]
    return declared, []


def national_number_check(number: int, value: str, scheme: IdentifierScheme, anomalies: list[Anomaly]) -> str | None:
    """The compact national number of a line, or None (and its anomaly) when it is malformed."""
    try:
        return scheme.validate(value)
    except InvalidIdentifier as error:
        anomalies.append(_error(f"national_number_{error.code}", number, "national_number"))
        return None


def national_numbers_resolve(
    numbered: list[tuple[int, str]], scheme: IdentifierScheme, anomalies: list[Anomaly]
) -> dict[int, tuple[str | None, RegistryEntry | None]]:
    """Per line number, the line's compact national number and what the registry holds for it
    (None: no one has it); for a malformed number (None, None), and its anomaly is appended, in
    line order. The registry holds only numbers validated on the way in, in their compact form: a
    number written exactly as the registry keeps it is valid, so only the others go through the
    scheme's check (python-stdnum), which costs more than the registry lookup itself when a
    file brings a million of them. Two queries at most (one when every number is written
    compact)."""
    written = {value for _number, value in numbered if value.isascii() and value.isalnum()}
    registry = persons_by_national_numbers(compact_numbers=written) if written else {}
    resolved: dict[int, tuple[str | None, RegistryEntry | None]] = {}
    compact: dict[int, str] = {}
    for number, value in numbered:
        entry = registry.get(value)
        if entry is not None:
            resolved[number] = (value, entry)
        elif (valid := national_number_check(number, value, scheme, anomalies)) is not None:
            compact[number] = valid
        else:
            resolved[number] = (None, None)
    unseen = set(compact.values()) - written
    if unseen:
        registry.update(persons_by_national_numbers(compact_numbers=unseen))
    for number, valid in compact.items():
        resolved[number] = (valid, registry.get(valid))
    return resolved


def line_check(
    number: int,
    line: LineInput,
    *,
    compact: str | None,
    entry: RegistryEntry | None,
    declared: Period,
    table: RateTable,
    seen: set[int],
    anomalies: list[Anomaly],
    decimal_comma: bool = False,
) -> ParsedLine | None:
    """Every rule of one line, whatever the channel (form, API, bulk file): its anomalies are
    appended (all of them, not the first), and the parsed line is returned when it can be
    computed. ``compact`` is the line's valid national number (None when malformed), ``entry``
    what the register holds for it, ``seen`` the persons already on the declaration;
    ``decimal_comma``: the wage may be written with a decimal comma (the form)."""
    if entry is None:
        if compact is not None:
            anomalies.append(_error("person_unknown", number, "national_number"))
    else:
        if entry.death_date is not None and entry.death_date < declared.first_day:
            anomalies.append(_error("person_deceased", number, "national_number"))
        if entry.person_id in seen:
            anomalies.append(_error("line_duplicate", number, "national_number"))
        seen.add(entry.person_id)
    category = line.worker_category
    if category not in _CATEGORIES:
        anomalies.append(_error("category_unknown", number, "worker_category"))
    elif not table.has_category(category):
        anomalies.append(_error("rates_missing", number, "worker_category"))
    wage = amount_parse(line.gross_wage, decimal_comma=decimal_comma)
    if wage is None:
        anomalies.append(_error("wage_invalid", number, "gross_wage"))
    elif wage.is_signed():  # a minus, even on zero
        anomalies.append(_error("wage_negative", number, "gross_wage"))
    elif wage > WAGE_MAX:
        anomalies.append(_error("wage_too_large", number, "gross_wage"))
    days = _integer(line.days_worked)
    if days is None:
        anomalies.append(_error("days_invalid", number, "days_worked"))
    elif not 0 <= days <= declared.days:
        anomalies.append(_error("days_outside_month", number, "days_worked"))
    if entry is not None and wage is not None and days is not None:
        return (number, entry.person_id, category, wage, days)
    return None


def line_amounts(
    table: RateTable, worker_category: str, gross_wage: Decimal
) -> tuple[Decimal, Decimal, dict[str, list[str]]]:
    """A line's employee and employer contributions (as stored on the line) and their split per
    branch (summed into the declaration's totals)."""
    shares = table.line_cents(worker_category=worker_category, wage_cents=cents(gross_wage))
    return (
        Decimal(sum(employee for _b, _base, employee, _e in shares)).scaleb(-2),
        Decimal(sum(employer for _b, _base, _e, employer in shares)).scaleb(-2),
        {branch: [cents_text(employee), cents_text(employer)] for branch, _base, employee, employer in shares},
    )


_WHOLE = re.compile(r"[0-9]{1,6}")


def _integer(value: str) -> int | None:
    """A whole number in ASCII digits, without sign or grouping."""
    if not isinstance(value, str) or _WHOLE.fullmatch(value.strip()) is None:
        return None
    return int(value.strip())


def line_warnings(*, period: Period, lines: list[tuple[int, int, int, Decimal]]) -> list[Anomaly]:
    """The warnings of a period's valid lines — (line number, enterprise id, person id, wage),
    for one enterprise or many: not in the hire register for the period, or a wage far from the
    average of the previous three months. Two queries, whatever the number of lines."""
    # The ids go as one array each (a bulk file's chunk has tens of thousands of persons),
    # written as the array's text: cheaper to send than a list parameter.
    enterprise_ids = RawSQL("SELECT unnest(%s::bigint[])", [int_array({e for _n, e, _p, _w in lines})])
    person_ids = RawSQL("SELECT unnest(%s::bigint[])", [int_array({p for _n, _e, p, _w in lines})])
    hired = set(
        Employment.objects.filter(
            employed_during(period), enterprise_id__in=enterprise_ids, person_id__in=person_ids
        ).values_list("enterprise_id", "person_id")
    )
    earlier = [str(period.previous()), str(period.previous().previous()), str(period.previous().previous().previous())]
    averages = {
        (enterprise_id, person_id): average
        for enterprise_id, person_id, average in DeclarationLine.objects.filter(
            declaration__enterprise_id__in=enterprise_ids,
            declaration__period__in=earlier,
            declaration__status=DeclarationStatus.IN_FORCE,
            person_id__in=person_ids,
        )
        .values_list("declaration__enterprise_id", "person_id")
        .annotate(average=Avg("gross_wage"))
        .values_list("declaration__enterprise_id", "person_id", "average")
    }
    warnings = []
    for number, enterprise_id, person_id, wage in lines:
        if (enterprise_id, person_id) not in hired:
            warnings.append(_warning("not_hired", number, "national_number"))
        average = averages.get((enterprise_id, person_id))
        if average and abs(wage - average) > average * WAGE_DEVIATION:
            warnings.append(_warning("wage_deviation", number, "gross_wage"))
    return warnings


def _store(
    *,
    actor: Actor,
    enterprise_id: int,
    period: Period,
    parsed: list[ParsedLine],
    table: RateTable,
    bureau_id: int | None,
    channel: str,
    anomalies: list[Anomaly],
    now: datetime.datetime,
) -> SubmissionResult:
    """The declaration with its lines, brought into force as a bulk file's are."""
    computed = [line_amounts(table, category, wage) for _n, _p, category, wage, _d in parsed]
    try:
        with transaction.atomic():
            declaration = Declaration.objects.create(
                enterprise_id=enterprise_id,
                period=str(period),
                version=0,  # numbered when it comes into force
                status=DeclarationStatus.PENDING,
                reference=f"D{period.year}{period.month:02d}-{secrets.token_hex(5).upper()}",
                channel=channel,
                submitted_at=now,
                submitted_by_id=actor.user_id,
                submitted_with_key_id=actor.api_key_id,
                line_count=len(parsed),
                total_wages=sum((wage for *_x, wage, _d in parsed), Decimal("0.00")),
                totals=branch_totals(amounts for _employee, _employer, amounts in computed),
            )
            DeclarationLine.objects.bulk_create(
                [
                    DeclarationLine(
                        declaration=declaration,
                        line_number=number,
                        person_id=person_id,
                        worker_category=category,
                        gross_wage=wage,
                        days_worked=days,
                        employee_amount=employee,
                        employer_amount=employer,
                    )
                    for (number, person_id, category, wage, days), (employee, employer, _amounts) in zip(
                        parsed, computed, strict=True
                    )
                ]
            )
            declarations_bring_into_force(
                declaration_ids=[declaration.pk],
                bureaus={enterprise_id: bureau_id},
                now=now,
                # The form's sender sees the receipt at once; software does not read it.
                told_user_id=actor.user_id if channel == Channel.FORM else None,
            )
    except IntegrityError:
        # A concurrent submission for the same period won: undo everything (the previous version
        # stays in force) and report the period as already declared.
        transaction.set_rollback(True)
        return SubmissionResult(accepted=False, anomalies=(_error("period_declared", field="period"),))
    DeclarationWarning.objects.bulk_create(
        [
            DeclarationWarning(declaration=declaration, line_number=a.line_number, field=a.field, code=a.code)
            for a in anomalies
        ]
    )
    return SubmissionResult(
        accepted=True, anomalies=tuple(anomalies), declaration_id=declaration.pk, reference=declaration.reference
    )
