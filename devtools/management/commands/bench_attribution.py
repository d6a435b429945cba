"""Benchmark: proactive attribution.

Data (created once, kept for the next runs; marked by the first name "BENCHATT", with valid
national numbers):
``--persons`` persons (1,000,000 by default) born from 1941 to 1985, a few thousand a month;
those born in the months around the scan's window (who reach the pension age within the horizon)
have a 40-year record: one declaration line a month from their 22nd birthday to last year,
written in SQL (the scan reads the records of the persons concerned only: the others' records
would change nothing it reads but the table's size).

Measured, each printed as one JSON line with its counts, ``seconds`` and ``peak_rss_mb``:
- ``dry_run``: the old-age rule run over the whole registry, writing nothing (per month: the
  proposals and amount it would create);
- ``scan``: the nightly pension-age scan (rule switched on): the registry read set-based, one
  simulation per month for everyone concerned, the proposals written in one insert; then run
  again at once (0 created: each right once). Its proposals are deleted at the end;
- ``events`` (``--events N``, 0 to skip): N births sent through the partner API (signed, a
  thousand a request, in-process through the WSGI stack), applied to the registry and turned
  into proposals by a real Celery worker on the ``attribution`` queue (two processes, as the
  portal runs it: each request queues the events' application, each batch applied queues
  their proposals), from the first request to the last proposal; ``peak_rss_mb`` is the
  largest of this process's and the worker's processes'. The events, children and proposals
  are deleted at the end, and the tables vacuumed (autovacuum is off on the CI's PostgreSQL; a
  run's dead rows would slow the next).
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from benefits import services
from benefits.models import AttributionRule, LifeEvent, LifeEventState, Proposal
from contributions import services as contributions_services
from core.periods import Period
from core.signatures import sign
from devtools.servers import CeleryWorker

MARK = "BENCHATT"
FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR = 1941, 1985
FIRST = datetime.date(FIRST_BIRTH_YEAR, 1, 1)
# The tables a run writes and deletes from.
_CHURNED = (
    "benefits_proposal",
    "benefits_lifeevent",
    "benefits_partnerrequest",
    "identity_person",
    "identity_personevent",
    "identity_familylink",
    "identity_familylinkevent",
    "notifications_notification",
)


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Command(BaseCommand):
    help = "Time the pension-age scan and its dry run over a million persons, and life events in."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--persons", type=int, default=1_000_000)
        parser.add_argument("--events", type=int, default=100_000)

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DEBUG = False
        now = timezone.now()
        started = time.monotonic()
        self._data(options["persons"], now)
        self._tidy()
        self.stderr.write(f"data ready in {time.monotonic() - started:.1f} s")
        self._scan(options["persons"], now)
        if options["events"]:
            self._events(options["events"], now)

    # --- Data ---------------------------------------------------------------------------------

    def _data(self, count: int, now: datetime.datetime) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM identity_person WHERE first_name = %s", [MARK])
            if cursor.fetchone()[0] == count:
                return
        today = timezone.localdate(now)
        # Born in the months whose 65th birthday falls from two months back to six ahead.
        band_from = datetime.date(today.year - 65, today.month, 1) - datetime.timedelta(days=62)
        band_until = datetime.date(today.year - 65, today.month, 1) + datetime.timedelta(days=190)
        days = (datetime.date(LAST_BIRTH_YEAR, 12, 31) - datetime.date(FIRST_BIRTH_YEAR, 1, 1)).days
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "DELETE FROM contributions_insuredyear WHERE person_id IN"
                " (SELECT id FROM identity_person WHERE first_name = %s OR national_number LIKE %s)",
                [MARK, MARK + "%"],
            )
            cursor.execute(
                "DELETE FROM contributions_declarationline WHERE person_id IN"
                " (SELECT id FROM identity_person WHERE first_name = %s OR national_number LIKE %s)",
                [MARK, MARK + "%"],
            )
            cursor.execute("DELETE FROM contributions_declaration WHERE reference LIKE %s", [MARK + "%"])
            cursor.execute(
                "DELETE FROM identity_person WHERE first_name = %s OR national_number LIKE %s", [MARK, MARK + "%"]
            )
            # Valid Belgian national numbers (born before 2000): YYMMDD, a serial unique for the
            # day from 300 (clear of the demo's persons), and 97 minus the first nine digits
            # modulo 97.
            cursor.execute(
                "INSERT INTO identity_person (national_number, first_name, last_name, birth_date, street, postal_code,"
                " city, country, preferred_language)"
                " SELECT base || lpad((97 - (base::bigint %% 97))::text, 2, '0'), %s, 'Number ' || i, born,"
                " 'Rue ' || i, '1000', 'Bruxelles', 'BE', 'fr'"
                " FROM (SELECT i, date %s + ((i::bigint * 7919) %% %s)::int AS born,"
                "       to_char(date %s + ((i::bigint * 7919) %% %s)::int, 'YYMMDD')"
                "       || lpad((300 + i / %s)::text, 3, '0') AS base"
                "       FROM generate_series(1, %s) AS i) AS g",
                [MARK, FIRST, days, FIRST, days, days, count],
            )
            # One enterprise declares everyone of the band, every month of their career.
            cursor.execute("SELECT id FROM identity_enterprise ORDER BY id LIMIT 1")
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    "INSERT INTO identity_enterprise (enterprise_number, name, street, postal_code, city, country)"
                    " VALUES ('0000000097', 'Bench employer', '', '', '', 'BE') RETURNING id"
                )
                row = cursor.fetchone()
            enterprise = row[0]
            cursor.execute("SELECT id FROM identity_user ORDER BY id LIMIT 1")
            user = cursor.fetchone()
            if user is None:
                raise SystemExit("Create a user first (make run seeds the demo).")
            last = Period(today.year - 1, 12)
            first = Period(band_from.year + 22, 1)
            cursor.execute(
                "INSERT INTO contributions_declaration (enterprise_id, period, version, status, reference, channel,"
                " submitted_at, submitted_by_id, line_count, total_wages, totals)"
                " SELECT %s, to_char(m, 'YYYY-MM'), 1, 'in_force', %s || to_char(m, 'YYYYMM'), 'file', %s, %s, 0, 0,"
                " '{}'::jsonb FROM generate_series(%s::date, %s::date, interval '1 month') AS m",
                [enterprise, MARK, now, user[0], first.first_day, last.first_day],
            )
            cursor.execute(
                "INSERT INTO contributions_declarationline (declaration_id, line_number, person_id, worker_category,"
                " gross_wage, days_worked, employee_amount, employer_amount)"
                " SELECT d.id, row_number() OVER (PARTITION BY d.id ORDER BY p.id), p.id, 'employee',"
                " 2000 + (p.id %% 2000), 20, 0, 0"
                " FROM identity_person p JOIN contributions_declaration d ON d.reference LIKE %s"
                " AND d.period >= to_char(p.birth_date + interval '22 years', 'YYYY-MM')"
                " WHERE p.first_name = %s AND p.birth_date BETWEEN %s AND %s",
                [MARK + "%", MARK, band_from, band_until],
            )
        # Forty-year records counted in the insured years, as the fold does after declarations
        # come into force.
        contributions_services.insured_years_fold()
        with connection.cursor() as cursor:
            # What autovacuum would do after such a load: the planner's counts of every table
            # written (without them it plans the reads of records and careers badly).
            cursor.execute("ANALYZE identity_person")
            cursor.execute("ANALYZE contributions_declaration")
            cursor.execute("ANALYZE contributions_declarationline")
            cursor.execute("ANALYZE contributions_insuredyear")

    # --- The scan and its dry run ----------------------------------------------------------------

    def _scan(self, persons: int, now: datetime.datetime) -> None:
        rule = AttributionRule.objects.get(trigger="pension_age")
        Proposal.objects.filter(trigger="pension_age", person__first_name=MARK).delete()
        started = time.monotonic()
        dry = services.pension_age_dry_run(now=now)
        seconds = time.monotonic() - started
        self.stdout.write(
            json.dumps(
                {
                    "part": "dry_run",
                    "persons": persons,
                    "persons_concerned": dry.persons_read,
                    "proposals": dry.proposals,
                    "amount": str(dry.amount),
                    "months": [[str(line.month), line.proposals, str(line.amount)] for line in dry.lines],
                    "seconds": round(seconds, 2),
                    "peak_rss_mb": _peak_mb(),
                }
            )
        )
        AttributionRule.objects.filter(pk=rule.pk).update(enabled=True)
        try:
            started = time.monotonic()
            scanned = services.pension_age_scan(now=now)
            seconds = time.monotonic() - started
            again = services.pension_age_scan(now=now)
            self.stdout.write(
                json.dumps(
                    {
                        "part": "scan",
                        "persons": persons,
                        "persons_concerned": scanned.persons_read,
                        "proposals_created": scanned.created,
                        "proposals_created_second_run": again.created,
                        "seconds": round(seconds, 2),
                        "peak_rss_mb": _peak_mb(),
                    }
                )
            )
        finally:
            AttributionRule.objects.filter(pk=rule.pk).update(enabled=rule.enabled)
            Proposal.objects.filter(trigger="pension_age", person__first_name=MARK).delete()

    # --- Life events in --------------------------------------------------------------------------

    def _events(self, count: int, now: datetime.datetime) -> None:
        """Births of children of the band's persons (parents with a record: the birth grant and
        the family allowance are computed for each), sent by a partner a thousand at a time."""
        from identity.country_profiles import country_profile

        rules = list(AttributionRule.objects.filter(trigger="birth").values_list("pk", "enabled", "auto_verify"))
        AttributionRule.objects.filter(trigger="birth").update(enabled=True, auto_verify=True, sample_share=0)
        partner_id, key, secret = services.partner_create(
            name=f"Bench registry {now.timestamp()}", scopes=["birth"], user_id=None, now=now
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.national_number FROM identity_person p WHERE p.first_name = %s"
                " AND EXISTS (SELECT 1 FROM contributions_declarationline l WHERE l.person_id = p.id) LIMIT %s",
                [MARK, count],
            )
            parents = [row[0] for row in cursor.fetchall()]
        profile = country_profile()
        today = timezone.localdate(now)
        # A national number holds a birth day and a serial: 396 children a day (serials 600 to
        # 995, clear of the demo's), born on the days before today.
        births = [(today - datetime.timedelta(days=1 + index // 396), 600 + index % 396) for index in range(count)]
        children = [profile.synthetic_person_number(born, serial) for born, serial in births]

        def events(start: int, end: int) -> list[dict[str, Any]]:
            """A request's events, made when it is sent (a partner does not hold a day's births
            in memory, and the peak measured is the portal's)."""
            return [
                {
                    "id": f"BENCH-{index}",
                    "type": "birth",
                    "occurred_on": births[index][0].isoformat(),
                    "data": {
                        "child": {"national_number": children[index], "first_name": "Child", "last_name": str(index)},
                        "parents": [parents[index % len(parents)]],
                    },
                }
                for index in range(start, min(end, count))
            ]

        client = Client(SERVER_NAME=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost")
        self._tidy()
        worker = CeleryWorker(queues=("attribution",), concurrency=2, name=f"bench-attribution-{os.getpid()}")
        started = time.monotonic()
        try:
            for start in range(0, count, settings.LIFE_EVENTS_PER_REQUEST):
                body = json.dumps({"events": events(start, start + settings.LIFE_EVENTS_PER_REQUEST)}).encode()
                response = client.post(
                    "/api/v1/civil-registry/events/",
                    body,
                    content_type="application/json",
                    headers={
                        "Authorization": f"Partner {key}",
                        "X-Guichet-Signature": sign(body=body, secret=secret, at=int(time.time())),
                    },
                )
                if response.status_code != 202:
                    raise SystemExit(f"refused: {response.status_code} {response.content[:300]!r}")
            received = time.monotonic() - started
            seconds_applied, seconds = self._worked(partner_id, started)
            worker_peak = worker.peak_rss_mb()
            sent = LifeEvent.objects.filter(partner_id=partner_id)
            proposals = Proposal.objects.filter(event__partner_id=partner_id).count()
            self.stdout.write(
                json.dumps(
                    {
                        "part": "events",
                        "events": count,
                        "seconds_received": round(received, 2),
                        "applied": sent.filter(state=LifeEventState.APPLIED).count(),
                        "seconds_applied": round(seconds_applied, 2),
                        "proposals": proposals,
                        "seconds": round(seconds, 2),
                        "peak_rss_mb": round(max(_peak_mb(), worker_peak), 1),
                        "peak_rss_mb_portal": _peak_mb(),
                        "peak_rss_mb_worker": round(worker_peak, 1),
                    }
                )
            )
        finally:
            worker.stop()
            for pk, enabled, auto_verify in rules:
                AttributionRule.objects.filter(pk=pk).update(enabled=enabled, auto_verify=auto_verify)
            self._forget(partner_id, children)
            self._tidy()

    @staticmethod
    def _worked(partner_id: int, started: float, *, timeout: float = 1800) -> tuple[float, float]:
        """The seconds from ``started`` until the partner's events were all applied, and until all
        were proposed (the worker's batches mark them as they commit their proposals). Asked ten
        times a second through the indexes of the work (events to apply, to propose): the only
        events on their way are the partner's."""
        events = LifeEvent.objects.filter(partner_id=partner_id)
        applied = None
        while time.monotonic() - started < timeout:
            if applied is None and not services.life_events_to_apply(limit=1):
                applied = time.monotonic() - started
            if (
                applied is not None
                and not events.filter(state=LifeEventState.APPLIED, proposed_at__isnull=True).exists()
            ):
                return applied, time.monotonic() - started
            time.sleep(0.1)
        raise SystemExit(f"events not proposed after {timeout} s")

    def _tidy(self) -> None:
        """What autovacuum would do for the tables a run churns (it is off on the CI's
        PostgreSQL): a run's deleted rows would otherwise slow the next run's reads."""
        with connection.cursor() as cursor:
            for table in _CHURNED:
                cursor.execute(f"VACUUM (ANALYZE) {table}")

    def _forget(self, partner_id: int, children: list[str]) -> None:
        """The events, their proposals, the children, their links and the history of both: gone."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "DELETE FROM benefits_proposal WHERE event_id IN (SELECT id FROM benefits_lifeevent"
                " WHERE partner_id = %s)",
                [partner_id],
            )
            cursor.execute("DELETE FROM benefits_lifeevent WHERE partner_id = %s", [partner_id])
            cursor.execute("DELETE FROM benefits_partnerrequest WHERE partner_id = %s", [partner_id])
            cursor.execute("DELETE FROM benefits_registrypartner WHERE id = %s", [partner_id])
            cursor.execute(
                "DELETE FROM identity_familylink WHERE relative_id IN"
                " (SELECT id FROM identity_person WHERE national_number = ANY(%s))",
                [children],
            )
            cursor.execute(
                "DELETE FROM identity_personevent WHERE pgh_obj_id IN"
                " (SELECT id FROM identity_person WHERE national_number = ANY(%s))",
                [children],
            )
            cursor.execute(
                "DELETE FROM identity_familylinkevent WHERE relative_id IN"
                " (SELECT id FROM identity_person WHERE national_number = ANY(%s))",
                [children],
            )
            cursor.execute("DELETE FROM identity_person WHERE national_number = ANY(%s)", [children])
