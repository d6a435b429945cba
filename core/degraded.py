"""What the portal did without a dependency: counted for the operators.

``guichet_degraded_operations_total{part, operation}`` counts each operation served in a
degraded way — a cache read that missed or a write dropped because Redis did not answer
(``part="cache"``), a message not handed to the broker and left to its reconciler
(``part="broker"``). A rising count while every page answers is the sign of an outage that the
people using the portal do not see.
"""

from __future__ import annotations

from prometheus_client import Counter

DEGRADED_OPERATIONS = Counter(
    "guichet_degraded_operations_total",
    "Operations served without a dependency that did not answer, by part and operation.",
    ["part", "operation"],
)


def degraded_operation(part: str, operation: str) -> None:
    DEGRADED_OPERATIONS.labels(part=part, operation=operation).inc()
