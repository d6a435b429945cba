"""Fixtures shared by every test: a local SMTP sink, a clean cache, factories' helpers; and the
session's clock, moved by ``GUICHET_TEST_CLOCK_SHIFT_DAYS`` days when set (tests/clock.py)."""

from __future__ import annotations

import datetime
import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.cache import cache

from tests import clock

_MOVED_CLOCK = pytest.StashKey[time_machine.travel]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Move the clock before anything reads it; tests that freeze time nest inside."""
    moved = clock.travel()
    if moved is not None:
        moved.start()
        config.stash[_MOVED_CLOCK] = moved


def pytest_unconfigure(config: pytest.Config) -> None:
    moved = config.stash.get(_MOVED_CLOCK, None)
    if moved is not None:
        moved.stop()
        del config.stash[_MOVED_CLOCK]


def pytest_report_header(config: pytest.Config) -> str:
    days = clock.shift_days()
    if not days:
        return "clock: the real date"
    return f"clock: moved {days:+d} days, to {datetime.date.today().isoformat()} ({clock.SHIFT_VARIABLE})"


@dataclass
class SmtpSink:
    """A real SMTP server on localhost that keeps what it receives."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        texts = []
        for message in self.messages:
            part = message.get_body(preferencelist=("plain",))
            texts.append(part.get_content() if part is not None else "")
        return texts


@pytest.fixture(scope="session")
def _smtp_controller() -> Iterator[tuple[Controller, SmtpSink]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink(port=port)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, sink
    controller.stop()


@pytest.fixture(autouse=True)
def smtp_sink(_smtp_controller: tuple[Controller, SmtpSink], settings: Any) -> SmtpSink:
    _controller, sink = _smtp_controller
    sink.messages.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return sink


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()
