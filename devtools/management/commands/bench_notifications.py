"""Benchmark: fan one information message out to N inboxes in one call of the notify service.

It creates N benchmark accounts once (not timed), then times ``notify`` over a streamed
recipient list, samples the process's resident memory during the fan-out, removes the
benchmark notifications, and prints one JSON line:
{"notifications": …, "seconds": …, "peak_rss_mb": …}
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.services import notify
from notifications.types import Recipient

DOMAIN = "bench.guichet.example"


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _PeakMemory:
    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            time.sleep(0.02)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


class Command(BaseCommand):
    help = "Time the fan-out of one notification to N inboxes (default 100,000)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=100_000)

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["count"]
        user_model = get_user_model()
        bench_users = user_model.objects.filter(email__endswith=f"@{DOMAIN}")
        existing = bench_users.count()
        if existing < count:
            password = make_password(None)
            for start in range(existing, count, 10_000):
                user_model.objects.bulk_create(
                    [
                        user_model(email=f"bench-{number}@{DOMAIN}", password=password, preferred_language="fr")
                        for number in range(start, min(start + 10_000, count))
                    ]
                )

        def recipients() -> Iterator[Recipient]:
            ids = bench_users.order_by("pk").values_list("pk", flat=True)[:count]
            for user_id in ids.iterator(chunk_size=5000):
                yield Recipient(user_id)

        context = {
            "title_fr": "Nouveau service en ligne",
            "title_en": "New online service",
            "body_fr": "Votre relevé de cotisations est désormais consultable en ligne.",
            "body_en": "Your contribution record can now be read online.",
        }
        with _PeakMemory() as memory:
            started = time.perf_counter()
            stored = notify(recipients=recipients(), event="service_notice", context=context, now=timezone.now())
            seconds = time.perf_counter() - started
        from notifications.models import Notification

        Notification.objects.filter(recipient__email__endswith=f"@{DOMAIN}", event_type="service_notice").delete()
        self.stdout.write(
            json.dumps({"notifications": stored, "seconds": round(seconds, 2), "peak_rss_mb": round(memory.peak, 1)})
        )
