"""What the status page shows: shares over three windows per online service, and the state of
the dependencies at the last check."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal


@dataclass(frozen=True)
class Share:
    """``part`` out of ``whole``: requests answered in under a second out of requests, or minutes
    available out of minutes observed."""

    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        """Rounded down to two decimals (99.996 % shows 99.99 %, never 100 %); None without any
        measurement."""
        if self.whole == 0:
            return None
        return (Decimal(self.part * 100) / Decimal(self.whole)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


@dataclass(frozen=True)
class ServiceFigures:
    service: str  # a key of portal.status.catalogue.SERVICES
    fast: Share  # requests answered in under 1 s, out of the requests measured
    available: Share  # minutes available, out of the minutes observed


@dataclass(frozen=True)
class WindowFigures:
    key: str  # "day", "week", "month"
    start: datetime.datetime
    end: datetime.datetime
    services: tuple[ServiceFigures, ...]


@dataclass(frozen=True)
class DependencyState:
    """The last check, if there is one; ``is_recent`` when it is less than a few minutes old
    (else the checks are not running and the current state is unknown)."""

    checked_at: datetime.datetime | None
    is_recent: bool
    cache_up: bool | None
    broker_up: bool | None
    work_on_time: bool | None
    work_waiting: int | None
    oldest_work_seconds: int | None

    @property
    def oldest_work_minutes(self) -> int | None:
        """The oldest work has waited less than this many minutes."""
        return None if self.oldest_work_seconds is None else self.oldest_work_seconds // 60 + 1


@dataclass(frozen=True)
class StatusReport:
    computed_at: datetime.datetime
    # The first minute checked (measurements start there); None before the first check.
    measured_since: datetime.datetime | None
    windows: tuple[WindowFigures, ...]
    state: DependencyState
