"""The engine: one OpenFisca simulation for a whole population (``evaluate``), the same with a
trace for one person (``explain``), and the version of the rules a decision stores.

Amounts come out in cents (int64): OpenFisca keeps floats in float32, exact to the cent below
131,072 €; the formulas sum careers in float64 and round each amount to the cent themselves.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, TypeVar

import numpy
import numpy.typing as npt
from openfisca_core.periods import DateUnit
from openfisca_core.simulations import Simulation, SimulationBuilder

from benefits.rules.arithmetic import round_to_cents
from benefits.rules.schemes import STATUTORY
from benefits.rules.system import GuichetTaxBenefitSystem
from benefits.rules.system import system as process_system
from benefits.rules.types import (
    Condition,
    Evaluation,
    Explained,
    Explanation,
    Fact,
    FactColumn,
    ParameterHistory,
    ParameterValue,
    Population,
    RulesInputError,
    RulesVersion,
    Scheme,
    Value,
)
from core.money import round_half_up
from core.periods import Period

T = TypeVar("T")

RULES_DIRECTORY = Path(__file__).resolve().parent
ROLES = ("parent", "child")


def _files_of_the_rules() -> Iterator[Path]:
    """The files whose content decides a result: the code of the rules and the parameters (not
    the YAML tests)."""
    for path in sorted(RULES_DIRECTORY.rglob("*")):
        relative = path.relative_to(RULES_DIRECTORY)
        if relative.parts[0] == "tests" or "__pycache__" in relative.parts or not path.is_file():
            continue
        if path.suffix in {".py", ".yaml"}:
            yield path


@functools.cache
def _baseline_version() -> RulesVersion:
    openfisca_core = package_version("openfisca-core")
    digest = hashlib.sha256(f"openfisca-core {openfisca_core}\0".encode())
    for path in _files_of_the_rules():
        digest.update(str(path.relative_to(RULES_DIRECTORY)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return RulesVersion(fingerprint=f"sha256:{digest.hexdigest()}", openfisca_core=openfisca_core)


def rules_version(scheme: Scheme | str | None = None) -> RulesVersion:
    """The version of the rules (and of a composed scheme's description) to store on a decision."""
    baseline = _baseline_version()
    resolved = _resolve(scheme) if scheme is not None else None
    if resolved is None or not resolved.description_fingerprint:
        return baseline
    digest = hashlib.sha256(f"{baseline.fingerprint}\0{resolved.description_fingerprint}".encode())
    return RulesVersion(fingerprint=f"sha256:{digest.hexdigest()}", openfisca_core=baseline.openfisca_core)


def _resolve(scheme: Scheme | str) -> Scheme:
    if isinstance(scheme, Scheme):
        return scheme
    try:
        return STATUTORY[scheme]
    except KeyError:
        raise RulesInputError("unknown_scheme", scheme) from None


def _array(values: npt.ArrayLike, count: int, subject: str) -> npt.NDArray[Any]:
    array = numpy.asarray(values)
    if array.shape != (count,):
        raise RulesInputError("wrong_length", subject)
    return array


def _simulation(
    rules: GuichetTaxBenefitSystem, population: Population, month: Period
) -> tuple[Simulation, npt.NDArray[numpy.int64]]:
    """A simulation of the population; with each person's family index (for family values)."""
    count = population.count
    families = _array(population.family, count, "family") if population.family is not None else numpy.arange(count)
    roles = _array(population.role, count, "role") if population.role is not None else numpy.full(count, "parent")
    if not numpy.isin(roles, ROLES).all():
        raise RulesInputError("unknown_role", "role")
    family_ids, family_index = numpy.unique(families, return_inverse=True)
    if (numpy.bincount(family_index, weights=roles == "parent") > 2).any():
        raise RulesInputError("more_than_two_parents", "role")

    builder = SimulationBuilder()
    builder.create_entities(rules)
    builder.declare_person_entity("person", numpy.arange(count))
    builder.join_with_persons(builder.declare_entity("family", family_ids), families, roles)
    simulation = builder.build(rules)

    for name, column in population.columns.items():
        variable = rules.get_variable(name)
        if variable is None or variable.formulas:
            raise RulesInputError("not_an_input", name)
        by_period = (
            column
            if isinstance(column, Mapping)
            else {"ETERNITY" if variable.definition_period == DateUnit.ETERNITY else str(month): column}
        )
        for period, values in by_period.items():
            array = _array(values, count, name)
            if variable.value_type is datetime.date:
                array = array.astype("datetime64[D]")
            simulation.set_input(name, period, array)
    return simulation, family_index.astype(numpy.int64)


def evaluate(
    scheme: Scheme | str, population: Population, month: Period, *, rules: GuichetTaxBenefitSystem | None = None
) -> Evaluation:
    """The scheme for every person of the population in one simulation (no loop per person)."""
    resolved = _resolve(scheme)
    simulation, _ = _simulation(rules or process_system(), population, month)
    period = str(month)
    amounts = round_to_cents(simulation.calculate(resolved.amount, period))
    return Evaluation(
        scheme=resolved.code,
        month=month,
        cents=numpy.rint(amounts * 100).astype(numpy.int64),
        eligible=simulation.calculate(resolved.eligible, period).astype(bool),
        conditions={name: simulation.calculate(name, period).astype(bool) for name in resolved.conditions},
        rules_version=rules_version(resolved),
    )


def evaluate_months(
    scheme: Scheme | str,
    population: Population,
    months: list[Period],
    *,
    rules: GuichetTaxBenefitSystem | None = None,
) -> list[Evaluation]:
    """The scheme for every person of the population in each of ``months``, from one simulation
    (OpenFisca computes each month on the same inputs: a simulator's retirement months). Columns
    without periods are inputs of the first month only: give a monthly input by period."""
    if not months:
        return []
    resolved = _resolve(scheme)
    simulation, _ = _simulation(rules or process_system(), population, months[0])
    version = rules_version(resolved)
    evaluations = []
    for month in months:
        period = str(month)
        amounts = round_to_cents(simulation.calculate(resolved.amount, period))
        evaluations.append(
            Evaluation(
                scheme=resolved.code,
                month=month,
                cents=numpy.rint(amounts * 100).astype(numpy.int64),
                eligible=simulation.calculate(resolved.eligible, period).astype(bool),
                conditions={name: simulation.calculate(name, period).astype(bool) for name in resolved.conditions},
                rules_version=version,
            )
        )
    return evaluations


def explain(
    scheme: Scheme | str,
    population: Population,
    month: Period,
    *,
    person: int = 0,
    rules: GuichetTaxBenefitSystem | None = None,
) -> Explanation:
    """One person's result and its reasons (the population holds the person and their family)."""
    return explain_each(scheme, population, month, persons=[person], rules=rules)[0]


def explain_each(
    scheme: Scheme | str,
    population: Population,
    month: Period,
    *,
    persons: Sequence[int],
    rules: GuichetTaxBenefitSystem | None = None,
) -> list[Explanation]:
    """The result and its reasons for each of ``persons`` (rows of the population), from one
    traced simulation of the whole population (``explain_columns``, read person by person)."""
    explained = explain_columns(scheme, population, month, persons=persons, rules=rules)
    return [explanation_at(explained, index) for index in range(explained.count)]


def explain_columns(
    scheme: Scheme | str,
    population: Population,
    month: Period,
    *,
    persons: Sequence[int],
    rules: GuichetTaxBenefitSystem | None = None,
) -> Explained:
    """The results and their reasons for ``persons`` (rows of the population), in columns: one
    traced simulation of the whole population, the formulas run once over arrays, and each value
    of the computation's tree read for the persons asked in one step (thousands of proposals
    explained without a loop per person)."""
    resolved = _resolve(scheme)
    rules = rules or process_system()
    simulation, family_index = _simulation(rules, population, month)
    rows = numpy.asarray(persons, dtype=numpy.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= population.count):
        bad = next(person for person in persons if not 0 <= person < population.count)
        raise RulesInputError("unknown_person", str(bad))
    simulation.trace = True
    period = str(month)
    amounts = round_to_cents(simulation.calculate(resolved.amount, period))
    eligibles = simulation.calculate(resolved.eligible, period)
    for name in (*resolved.conditions, *resolved.details):
        simulation.calculate(name, period)
    trace = _Columns(rules, simulation, _nodes(simulation), persons=rows, families=family_index[rows])

    def with_limits(fact: FactColumn) -> FactColumn:
        limits = resolved.limits.get(fact.code, ())
        if not limits:
            return fact
        extra = tuple(
            FactColumn(code=limit, kind="limit", period=period, values=None, value=value) for limit, value in limits
        )
        return dataclasses.replace(fact, inputs=fact.inputs + extra)

    selected = numpy.asarray(amounts)[rows]
    return Explained(
        scheme=resolved.code,
        month=month,
        amounts=tuple(mapped_values(selected, lambda amount: round_half_up(Decimal(str(amount))))),
        eligible=numpy.asarray(eligibles)[rows].astype(bool),
        conditions=tuple(with_limits(trace.fact(name, period)) for name in resolved.conditions),
        details=tuple(with_limits(trace.fact(name, period)) for name in resolved.details),
        computation=trace.fact(resolved.amount, period),
        rules_version=rules_version(resolved),
    )


def explanation_at(explained: Explained, index: int) -> Explanation:
    """The ``index``-th person's explanation of ``explain_columns``."""
    facts: dict[int, Fact] = {}

    def fact(column: FactColumn) -> Fact:
        known = facts.get(id(column))
        if known is None:
            value = column.value if column.values is None else plain_value(column.values[index])
            assert value is not None  # a parameter's or a limit's value is always set
            known = Fact(
                code=column.code,
                kind=column.kind,
                period=column.period,
                value=value,
                reference=column.reference,
                inputs=tuple(fact(one) for one in column.inputs),
            )
            facts[id(column)] = known
        return known

    conditions = tuple(fact(column) for column in explained.conditions)
    return Explanation(
        scheme=explained.scheme,
        month=explained.month,
        amount=explained.amounts[index],
        eligible=bool(explained.eligible[index]),
        conditions=tuple(Condition(code=one.code, met=bool(one.value), inputs=one.inputs) for one in conditions),
        details=tuple(fact(column) for column in explained.details),
        computation=fact(explained.computation),
        rules_version=explained.rules_version,
    )


def mapped_values(values: npt.NDArray[Any], convert: Callable[[Any], T]) -> list[T]:
    """``convert`` of each value of the array, called once per distinct value (a column of a
    hundred thousand persons holds a few distinct amounts, dates and thresholds)."""
    array = numpy.asarray(values)
    if array.ndim != 1 or array.dtype.kind not in "biufM" or not array.size:
        return [convert(value) for value in array]
    # Distinct by their bits: -0.0 and 0.0 stay apart, as converting each would keep them.
    bits = array.view(f"u{array.dtype.itemsize}") if array.dtype.itemsize in (1, 2, 4, 8) else array
    _distinct, first, inverse = numpy.unique(bits, return_index=True, return_inverse=True)
    converted = [convert(array[position]) for position in first.tolist()]
    return [converted[position] for position in inverse.tolist()]


def _nodes(simulation: Simulation) -> dict[tuple[str, str], Any]:
    """Each variable's node of OpenFisca's computation tree, the first computation of it (later
    calls hit the cache and have no children)."""
    computed: dict[tuple[str, str], Any] = {}
    stack = list(reversed(simulation.tracer.trees))
    while stack:
        node = stack.pop()
        computed.setdefault((node.name, str(node.period)), node)
        stack.extend(reversed(node.children))
    return computed


class _Columns:
    """OpenFisca's computation tree (``_nodes``), read for the persons asked (their rows and
    their families' rows), with the parameters each formula read."""

    def __init__(
        self,
        rules: GuichetTaxBenefitSystem,
        simulation: Simulation,
        nodes: dict[tuple[str, str], Any],
        *,
        persons: npt.NDArray[numpy.int64],
        families: npt.NDArray[numpy.int64],
    ) -> None:
        self._rules = rules
        self._simulation = simulation
        self._persons = persons
        self._families = families
        self._computed = nodes
        self._references: dict[tuple[str, str], str] = {}
        self._facts: dict[tuple[str, str], FactColumn] = {}

    def fact(self, name: str, period: str) -> FactColumn:
        key = (name, period)
        if key not in self._facts:
            node = self._computed.get(key)
            if node is None:  # read outside a formula: computed by the explanation itself
                self._facts[key] = self._variable(name, period, self._simulation.calculate(name, period), ())
            else:
                inputs = tuple(self.fact(child.name, str(child.period)) for child in node.children)
                parameters = tuple(self._parameter(parameter) for parameter in node.parameters)
                self._facts[key] = self._variable(name, period, node.value, _unique(inputs + parameters))
        return self._facts[key]

    def _variable(self, name: str, period: str, values: Any, inputs: tuple[FactColumn, ...]) -> FactColumn:
        variable = self._rules.get_variable(name)
        rows = self._families if variable.entity.key == "family" else self._persons
        return FactColumn(code=name, kind="variable", period=period, values=values[rows], inputs=inputs)

    def _parameter(self, node: Any) -> FactColumn:
        instant = str(node.period)
        key = (node.name, instant)
        if key not in self._references:
            self._references[key] = _reference(self._rules, node.name, instant)
        return FactColumn(
            code=node.name,
            kind="parameter",
            period=instant,
            values=None,
            value=plain_value(node.value),
            reference=self._references[key],
        )


def _unique(facts: tuple[FactColumn, ...]) -> tuple[FactColumn, ...]:
    seen: dict[tuple[str, str, str], FactColumn] = {}
    for fact in facts:
        seen.setdefault((fact.kind, fact.code, fact.period), fact)
    return tuple(seen.values())


def plain_value(value: Any) -> Value:
    """A value of the engine (a NumPy scalar) as plain Python: a bool, an int, a Decimal, a date."""
    if isinstance(value, bool | numpy.bool_):
        return bool(value)
    if isinstance(value, int | numpy.integer):
        return int(value)
    if isinstance(value, numpy.datetime64):
        return datetime.date.fromisoformat(str(value.astype("datetime64[D]")))
    if isinstance(value, numpy.floating):
        # str() of a float32 is its shortest decimal form: 0.015, not 0.014999999664…
        return Decimal(str(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"no explanation for a value of type {type(value).__name__}")


def _reference(rules: GuichetTaxBenefitSystem, name: str, instant: str) -> str:
    """The legal reference of the value in force at ``instant`` (or of the parameter)."""
    in_force = _history(rules, name).in_force(datetime.date.fromisoformat(instant))
    return (
        in_force.reference if in_force is not None else str(_parameter_node(rules, name).metadata.get("reference", ""))
    )


def _parameter_node(rules: GuichetTaxBenefitSystem, path: str) -> Any:
    node: Any = rules.parameters
    for part in path.split("."):
        node = node.children[part]
    return node


def _history(rules: GuichetTaxBenefitSystem, path: str) -> ParameterHistory:
    node = _parameter_node(rules, path)
    fallback = str(node.metadata.get("reference", ""))
    values = []
    for dated in node.values_list:  # the newest first
        if dated.value is None:  # the parameter ended on that day
            values.append(
                ParameterValue(since=datetime.date.fromisoformat(dated.instant_str), value=None, reference="")
            )
            continue
        raw = dated.value
        values.append(
            ParameterValue(
                since=datetime.date.fromisoformat(dated.instant_str),
                value=raw if isinstance(raw, int) else Decimal(str(raw)),
                reference=str((dated.metadata or {}).get("reference") or fallback),
            )
        )
    return ParameterHistory(unit=str(node.metadata.get("unit", "")), values=tuple(values))


@functools.cache
def parameter_history(path: str) -> ParameterHistory:
    """The dated values of the process's parameter ``path`` ("old_age.pension_age"), the newest
    first, each with its legal reference: for pages that show what is in force, and for
    computations that need a date a parameter changes on."""
    return _history(process_system(), path)
