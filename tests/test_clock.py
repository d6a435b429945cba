"""The tests' clock (tests/clock.py): a process started through it sees the tests' date, and the
shift moves that date by whole days from the real one."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import clock

ROOT = Path(__file__).resolve().parents[1]
PRINT_TIME = "import time; print(time.time())"
# Each process moves its clock from the real time when it starts: they agree within microseconds.
SLACK = 1.0


def _time_in_a_started_process(**environment: str) -> float:
    result = subprocess.run(
        clock.command([sys.executable, "-c", PRINT_TIME]),
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(result.stdout)


def test_a_process_started_through_the_clock_sees_the_tests_time():
    before = time.time()
    seen = _time_in_a_started_process()
    after = time.time()

    assert before - SLACK <= seen <= after + SLACK


def test_the_shift_moves_a_started_process_by_that_many_days():
    before = time.time()
    seen = _time_in_a_started_process(**{clock.SHIFT_VARIABLE: str(clock.shift_days() + 365)})
    after = time.time()

    assert before + 365 * 86_400 - SLACK <= seen <= after + 365 * 86_400 + SLACK


def test_the_launcher_runs_a_script_with_its_arguments(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import sys; print(sys.argv[1:])")

    result = subprocess.run(
        clock.command([sys.executable, str(script), "one", "two"]), cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.stdout == "['one', 'two']\n"


@pytest.mark.parametrize("value", ["a year", "1.5"])
def test_a_shift_that_is_not_a_whole_number_of_days_is_refused(monkeypatch, value):
    monkeypatch.setenv(clock.SHIFT_VARIABLE, value)

    with pytest.raises(ValueError, match=f"must be a whole number of days, not '{value}'"):
        clock.shift_days()
