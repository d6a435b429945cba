"""Benchmark: the citizen's contribution record, their pension estimate (the simulator, on the
same 40-year record) and the employer's account page, served by
gunicorn as in production (metrics counted in files, as with PROMETHEUS_MULTIPROC_DIR in the
image), under 16 concurrent connections (wrk), against a bare Django view on the same server.

Data (created once, kept for the next runs; marked by the enterprise numbers of serials
990001–990014): a citizen with 40 years of monthly history across four employers, each month
declared and paid; an employer with 5,000 employees and 10 years of monthly declarations
(600,000 lines), every period debited and all but the last two paid. It prints one JSON line:
{"record": {"rps", "p50_ms", "p99_ms", "fraction_of_bare"}, "simulator": {…}, "account": {…}, "bare": {…}}
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from core.periods import Period
from devtools.history import paid_history
from devtools.rates import demo_rates_seed
from identity.country_profiles import country_profile
from identity.models import Enterprise, Person, Representation, User

DOMAIN = "bench.guichet.example"
EMPLOYER_SERIAL = 990001
CITIZEN_EMPLOYER_SERIALS = (990011, 990012, 990013, 990014)
EMPLOYEES = 5000
YEARS = 10
_DURATION = re.compile(r"^([\d.]+)(us|ms|s)$")


def _periods(first: Period, count: int) -> list[Period]:
    periods = [first]
    while len(periods) < count:
        periods.append(periods[-1].next())
    return periods


def _ms(value: str) -> float:
    match = _DURATION.match(value)
    if match is None:
        raise CommandError(f"unreadable wrk duration: {value}")
    number, unit = float(match.group(1)), match.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


class Command(BaseCommand):
    help = (
        "Requests per second and latency of the record, pension estimate and account pages under gunicorn"
        " (wrk, 16 connections)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (as in the Dockerfile)")
        parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: gthread, keep-alive)")

    def handle(self, *args: Any, **options: Any) -> None:
        if shutil.which("wrk") is None:
            raise CommandError("wrk is missing: scripts/system-packages.sh wrk")
        started = time.monotonic()
        self.metrics_directory = tempfile.mkdtemp(prefix="guichet-bench-metrics-")
        citizen, declarant, employer = self._data()
        # What autovacuum would have done by now, whatever other benchmarks wrote and deleted in
        # the same tables (bench_bulk's millions of lines), so that plans are those of a live
        # database, not of a bloated one.
        with connection.cursor() as cursor:
            for table in (
                "contributions_declaration",
                "contributions_declarationline",
                "contributions_ledgerentry",
                "contributions_allocation",
                "contributions_employment",
                "contributions_employmentevent",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stderr.write(f"data ready in {time.monotonic() - started:.1f} s")
        cookies = {name: self._session(user) for name, user in (("citizen", citizen), ("employer", declarant))}
        self.stderr.write("collecting static files for the production storage…")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            env=self._production_environment(),
            check=True,
        )
        port = self._free_port()
        server = self._gunicorn(port, options["workers"], options["threads"])
        try:
            base = f"http://127.0.0.1:{port}"
            self._wait(base)
            pages = {
                "bare": (f"{base}/healthz", None),
                "record": (f"{base}/my-file/contributions/", cookies["citizen"]),
                # Retiring at the pension age with last year's wage: the page's own defaults.
                "simulator": (f"{base}/my-file/pension-estimate/", cookies["citizen"]),
                "account": (f"{base}/enterprises/{employer.pk}/account/", cookies["employer"]),
            }
            for url, cookie in pages.values():
                for _ in range(5):  # every worker imports, connects and fills its caches
                    self._check(url, cookie)
            for url, cookie in pages.values():
                self._wrk(url, cookie, 3, options["connections"], warm_up=True)
            results = {
                name: self._wrk(url, cookie, options["duration"], options["connections"])
                for name, (url, cookie) in pages.items()
            }
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            shutil.rmtree(self.metrics_directory, ignore_errors=True)
        bare = results["bare"]["rps"]
        for name in ("record", "simulator", "account"):
            results[name]["fraction_of_bare"] = round(results[name]["rps"] / bare, 3) if bare else 0.0
        self.stdout.write(json.dumps(results))

    # --- data ------------------------------------------------------------------------------

    def _data(self) -> tuple[User, User, Enterprise]:
        profile = country_profile()
        demo_rates_seed()
        employer_number = profile.synthetic_enterprise_number(EMPLOYER_SERIAL)
        employer = Enterprise.objects.filter(enterprise_number=employer_number).first()
        citizen = User.objects.filter(email=f"citizen@{DOMAIN}").first()
        declarant = User.objects.filter(email=f"employer@{DOMAIN}").first()
        if employer is not None and citizen is not None and declarant is not None:
            return citizen, declarant, employer
        self.stderr.write("creating the benchmark data (once)…")
        now = timezone.now()
        this_month = Period.of(timezone.localdate())
        with transaction.atomic():
            employer = Enterprise.objects.create(enterprise_number=employer_number, name="Bench Industries SA")
            declarant = User.objects.create(email=f"employer@{DOMAIN}", password=make_password(None))
            Representation.objects.create(user=declarant, enterprise=employer, role="declarant", granted_at=now)
            staff = Person.objects.bulk_create(
                [
                    Person(
                        national_number=profile.synthetic_person_number(
                            datetime.date(1950, 1, 1) + datetime.timedelta(days=index), 991
                        ),
                        first_name=f"Employee{index}",
                        last_name="Bench",
                        birth_date=datetime.date(1950, 1, 1) + datetime.timedelta(days=index),
                    )
                    for index in range(EMPLOYEES)
                ]
            )
            first = this_month
            for _ in range(YEARS * 12):
                first = first.previous()
            paid_history(employer, [p.pk for p in staff], _periods(first, YEARS * 12), declarant, now, unpaid=2)

            person = Person.objects.create(
                national_number=profile.synthetic_person_number(datetime.date(1964, 5, 17), 992),
                first_name="Carla",
                last_name="Bench",
                birth_date=datetime.date(1964, 5, 17),
            )
            citizen = User.objects.create(email=f"citizen@{DOMAIN}", password=make_password(None), person=person)
            start = this_month
            for _ in range(40 * 12):
                start = start.previous()
            months = _periods(start, 40 * 12)
            for index, serial in enumerate(CITIZEN_EMPLOYER_SERIALS):
                other = Enterprise.objects.create(
                    enterprise_number=profile.synthetic_enterprise_number(serial), name=f"Bench employer {index + 1}"
                )
                paid_history(other, [person.pk], months[index * 120 : (index + 1) * 120], declarant, now, unpaid=0)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after such a load
        return citizen, declarant, employer

    # --- the server and the load ---------------------------------------------------------------

    def _session(self, user: User) -> str:
        """A signed-in session, as allauth leaves it after a password sign-in."""
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "identity.backends.AuthenticationBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store["account_authentication_methods"] = [{"method": "password", "at": time.time(), "email": user.email}]
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def _production_environment(self) -> dict[str, str]:
        """The portal as in production (DEBUG off, manifest static files, metrics counted in
        files by every worker), on the same database."""
        return {
            **os.environ,
            "PROMETHEUS_MULTIPROC_DIR": self.metrics_directory,
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }

    def _gunicorn(self, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 — fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--access-logfile",
                "/dev/null",
                "--log-level",
                "warning",
            ],
            env=self._production_environment(),
            start_new_session=True,
        )

    @staticmethod
    def _wait(base: str) -> None:
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310 — our own server
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not start")

    @staticmethod
    def _check(url: str, cookie: str | None) -> None:
        import urllib.request

        request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — our own server
            if response.status != 200 or response.url != url:
                raise CommandError(f"{url} answered {response.status} at {response.url}")

    @staticmethod
    def _wrk(url: str, cookie: str | None, seconds: int, connections: int, warm_up: bool = False) -> dict[str, float]:
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(  # noqa: S603 — fixed arguments
            [*command, url], capture_output=True, text=True, check=True
        ).stdout
        if warm_up:
            return {}
        if "Non-2xx or 3xx responses" in output or re.search(r"^\s+0 requests", output, re.MULTILINE):
            raise CommandError(f"errors while loading {url}:\n{output}")
        rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
        p50 = re.search(r"^\s+50%\s+(\S+)\s*$", output, re.MULTILINE)
        p99 = re.search(r"^\s+99%\s+(\S+)\s*$", output, re.MULTILINE)
        if rps is None or p50 is None or p99 is None:
            raise CommandError(f"unreadable wrk output for {url}:\n{output}")
        return {
            "rps": round(float(rps.group(1)), 1),
            "p50_ms": round(_ms(p50.group(1)), 2),
            "p99_ms": round(_ms(p99.group(1)), 2),
        }
