"""Life certificate tests' shared pieces: the day the year's request is asked, a frozen day,
and a certificate (a small PNG) sent through the domain."""

from __future__ import annotations

import datetime

import time_machine

from benefits.life import answers
from core.actor import Actor
from tests.benefits.claim_helpers import png_bytes
from tests.benefits.payment_helpers import aware

ASKED = aware(datetime.date(2026, 2, 2))  # due 3 May 2026 (90 days)


def at(day: datetime.date, hour: int = 9) -> time_machine.travel:
    return time_machine.travel(aware(day, hour), tick=False)


def certificate_send(actor: Actor, person_id: int, day: datetime.date, content: bytes | None = None) -> int:
    """A certificate sent on ``day`` (a PNG unless ``content`` is given)."""
    content = png_bytes() if content is None else content
    return answers.certificate_send(
        actor=actor,
        person_id=person_id,
        name="certificat de vie.png",
        size=len(content),
        read=lambda: content,
        now=aware(day),
    )
