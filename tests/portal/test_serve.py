"""``manage.py serve``: the address it serves is the one its links name, and SIGTERM stops it
with every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from portal.management.commands.serve import site_url_apply, site_url_for
from tests.servers import TIMED_PROCESSES, test_database_url


def test_site_url_is_the_served_address() -> None:
    assert site_url_for("127.0.0.1:8614") == "http://127.0.0.1:8614"
    assert site_url_for("8614") == "http://127.0.0.1:8614"
    assert site_url_for("0.0.0.0:8614") == "http://127.0.0.1:8614"
    assert site_url_for("portal.example:80") == "http://portal.example:80"


def test_site_url_and_sandbox_follow_the_address_unless_set() -> None:
    environ: dict[str, str] = {}
    target = SimpleNamespace(
        SITE_URL="http://127.0.0.1:8000",
        PAYMENT_SANDBOX_URL="http://127.0.0.1:8000/sandbox-pay/",
        LIFE_CHECK_SANDBOX_URL="http://127.0.0.1:8000/sandbox-check/",
    )
    site_url_apply(address="127.0.0.1:8614", environ=environ, django_settings=target)
    assert environ == {"SITE_URL": "http://127.0.0.1:8614"}
    assert target.SITE_URL == "http://127.0.0.1:8614"
    assert target.PAYMENT_SANDBOX_URL == "http://127.0.0.1:8614/sandbox-pay/"
    assert target.LIFE_CHECK_SANDBOX_URL == "http://127.0.0.1:8614/sandbox-check/"


def test_explicit_site_url_and_sandbox_are_kept() -> None:
    environ = {"SITE_URL": "https://portal.example"}
    target = SimpleNamespace(
        SITE_URL="https://portal.example",
        PAYMENT_SANDBOX_URL="https://portal.example/sandbox-pay/",
        LIFE_CHECK_SANDBOX_URL="https://portal.example/sandbox-check/",
    )
    site_url_apply(address="127.0.0.1:8614", environ=environ, django_settings=target)
    assert environ == {"SITE_URL": "https://portal.example"}
    assert target.SITE_URL == "https://portal.example"
    assert target.LIFE_CHECK_SANDBOX_URL == "https://portal.example/sandbox-check/"

    environ = {"PAYMENT_SANDBOX_URL": "https://pay.example/", "LIFE_CHECK_SANDBOX_URL": "https://check.example/"}
    target = SimpleNamespace(
        SITE_URL="x", PAYMENT_SANDBOX_URL="https://pay.example/", LIFE_CHECK_SANDBOX_URL="https://check.example/"
    )
    site_url_apply(address="127.0.0.1:8614", environ=environ, django_settings=target)
    assert target.SITE_URL == "http://127.0.0.1:8614"
    assert target.PAYMENT_SANDBOX_URL == "https://pay.example/"
    assert target.LIFE_CHECK_SANDBOX_URL == "https://check.example/"


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> set[int]:
    tree = _children()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until(condition: Callable[[], bool], *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@TIMED_PROCESSES
@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_serve_with_its_workers(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    derived = {"SITE_URL", "PAYMENT_SANDBOX_URL", "LIFE_CHECK_SANDBOX_URL"}
    environment = {key: value for key, value in os.environ.items() if key not in derived}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # The test database: the machine's default one may not exist on a fresh machine.
        "DATABASE_URL": test_database_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "PYTHONUNBUFFERED": "1",
    }
    started_by_serve: set[int] = set()
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--address", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Two workers, each with its pool (1 + 2 processes) and the control worker's beat.
        started = _wait_until(lambda: _listening(port) and len(_descendants(serve.pid)) >= 6, seconds=90)
        assert started, (tmp_path / "serve.log").read_text()
        started_by_serve |= _descendants(serve.pid)
        workers = [
            pid for pid in _children().get(serve.pid, []) if b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(workers) == 2
        for worker in workers:
            assert b"SITE_URL=http://127.0.0.1:%d\0" % port in Path(f"/proc/{worker}/environ").read_bytes()

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=40) == 0
        assert _wait_until(lambda: not any(_alive(pid) for pid in started_by_serve), seconds=5), [
            pid for pid in started_by_serve if _alive(pid)
        ]
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        for pid in started_by_serve | _descendants(serve.pid):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        serve.wait()
