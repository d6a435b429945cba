"""The tests' clock: run the suite, and the processes it starts, at another date.

``GUICHET_TEST_CLOCK_SHIFT_DAYS=365`` (or ``-365``) moves the clock of the test process that many
days from the real date for the whole session (``tests/conftest.py``), still ticking. A test that
gives a service a fixed date while a page, task or factory reads the clock fails then, instead of
on the day its fixed window ends on the real calendar (``make test-clock``).

The processes the tests start — real Celery workers, ``manage.py`` — go through this module to
see the same date: ``python -m tests.clock <what python would have been given>``, built with
:func:`command`. It moves its own clock by the same shift from the real date, then runs the
program in its process; a prefork worker's pool inherits the moved clock through fork.

Test-only: nothing outside ``tests/`` imports it.
"""

from __future__ import annotations

import os
import runpy
import sys
import time

import time_machine

SHIFT_VARIABLE = "GUICHET_TEST_CLOCK_SHIFT_DAYS"
SECONDS_PER_DAY = 86_400


def shift_days() -> int:
    """The days the clock is moved by (0 when the variable is unset or empty)."""
    value = os.environ.get(SHIFT_VARIABLE, "").strip()
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{SHIFT_VARIABLE} must be a whole number of days, not {value!r}.") from None


def travel() -> time_machine.travel | None:
    """The moved clock, not started yet; None when the clock is not moved."""
    days = shift_days()
    if not days:
        return None
    # A timestamp rather than an aware datetime: given one in UTC, time-machine would also set TZ
    # to UTC, and local times (Europe/Brussels) would change with the date.
    return time_machine.travel(time.time() + days * SECONDS_PER_DAY, tick=True)


def command(python_command: list[str]) -> list[str]:
    """The same ``[sys.executable, ...]`` command line, run through this launcher."""
    if not python_command or python_command[0] != sys.executable:
        raise ValueError(f"not a command of this Python: {python_command!r}")
    return [sys.executable, "-m", "tests.clock", *python_command[1:]]


def main(arguments: list[str]) -> None:
    """Run ``python <arguments>`` (``-m module …``, ``-c code …`` or ``script …``) in this process."""
    moved = travel()
    if moved is not None:
        moved.start()  # for the life of the process: its exit is the only stop
    if len(arguments) >= 2 and arguments[0] == "-m":
        sys.argv = [arguments[1], *arguments[2:]]
        runpy.run_module(arguments[1], run_name="__main__", alter_sys=True)
    elif len(arguments) >= 2 and arguments[0] == "-c":
        sys.argv = ["-c", *arguments[2:]]
        # What ``python -c`` does, with code a test wrote.
        exec(compile(arguments[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
    elif arguments and not arguments[0].startswith("-"):
        sys.argv = list(arguments)
        sys.path[0] = os.path.dirname(os.path.abspath(arguments[0]))
        runpy.run_path(arguments[0], run_name="__main__")
    else:
        raise SystemExit(
            f"usage: python -m tests.clock (-m module | -c code | script) [argument ...], not {arguments!r}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
