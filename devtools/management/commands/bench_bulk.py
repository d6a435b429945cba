"""Benchmark: a bulk declaration file through the real upload and processing path, with a real
Celery worker (prefork, 2 processes) on PostgreSQL, against a bare ``COPY`` of the same rows.

Data (created once, kept for the next runs; marked by the enterprise numbers of serials
980001–981000): 1,000 employers, each with 1,000 employees hired (but one in 200, whose lines
get the "not hired" warning), and a payroll bureau they all mandated to declare; and, as in
life, ``--representatives`` people per employer (2 by default: its administrator and a
declarant, e-mail on), whom the processing tells of their employer's declaration. Each run
writes a file of ``--employers`` × ``--employees`` lines for a month that has ended (valid
national numbers, wages between 1,600 and 9,000 €, three worker categories), uploads it as the
bureau's declarant, and times from the acknowledgement to the report. ``--invalid-percent 5``
makes one line in twenty invalid: the file is rejected with its complete error report.

It prints one JSON line: {"lines", "seconds", "lines_per_second", "copy_lines_per_second",
"ratio", "peak_rss_mb", "status", "errors", "warnings"}. Everything a run wrote is deleted at
the start of the next run and at its end.
"""

from __future__ import annotations

import datetime
import io
import itertools
import json
import os
import random
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from contributions import bulk
from contributions.models import BulkUpload, Declaration, UploadStatus
from core.actor import ActingMode, Actor, LevelOfAssurance
from core.periods import Period
from devtools.rates import demo_rates_seed
from devtools.servers import CeleryWorker
from identity.country_profiles import country_profile
from identity.models import Enterprise, Person, Representation, User
from mandates.models import EnterpriseMandate

DOMAIN = "bulk-bench.guichet.example"
FIRST_SERIAL = 980001
EMPLOYERS = 1000
EMPLOYEES = 1000
NOT_HIRED_EVERY = 200
CATEGORIES = ("employee", "worker", "apprentice")


class Command(BaseCommand):
    help = "Time a million-line declaration file from upload to report, with a real worker, against a bare COPY."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--employers", type=int, default=EMPLOYERS)
        parser.add_argument("--employees", type=int, default=EMPLOYEES, help="lines per employer")
        parser.add_argument("--invalid-percent", type=float, default=0.0)
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
        parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for the report")
        parser.add_argument("--representatives", type=int, default=2, help="people told of each employer's declaration")

    def handle(self, *args: Any, **options: Any) -> None:
        employers, employees = options["employers"], options["employees"]
        if not (0 < employers <= EMPLOYERS and 0 < employees <= EMPLOYEES):
            raise CommandError(f"at most {EMPLOYERS} employers × {EMPLOYEES} employees")
        started = time.monotonic()
        bureau_user, enterprises, people = self._data()
        self._representatives(enterprises, options["representatives"])
        self.stderr.write(f"data ready in {time.monotonic() - started:.1f} s")
        self._clean(bureau_user)
        # What autovacuum does between two such loads: each run inserts and deletes millions of
        # lines, and a bloated table would slow the next run and its reference COPY alike.
        with connection.cursor() as cursor:
            for table in ("contributions_declarationline", "contributions_declaration", "contributions_bulkanomaly"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        period = Period.of(timezone.localdate()).previous()
        directory = Path(tempfile.mkdtemp(prefix="guichet-bench-bulk-"))
        try:
            path = directory / "declarations.csv"
            lines = self._file(path, enterprises[:employers], people, employees, period, options["invalid_percent"])
            self.stderr.write(f"file of {lines} lines, {path.stat().st_size / 1e6:.1f} MB")
            os.environ["BULK_UPLOAD_DIR"] = str(directory / "uploads")
            settings.BULK_UPLOAD_DIR = directory / "uploads"
            worker = CeleryWorker(
                queues=("bulk", "default"), concurrency=options["concurrency"], name=f"bench-bulk-{os.getpid()}"
            )
            try:
                upload, seconds = self._run(bureau_user, path, options["timeout"])
                peak_rss_mb = worker.peak_rss_mb()
            finally:
                worker.stop()
            self.stderr.write(f"{upload.status}: {upload.errors} errors, {upload.warnings} warnings")
            copy_seconds = self._bare_copy(upload, lines) if upload.status == UploadStatus.ACCEPTED else None
        finally:
            shutil.rmtree(directory, ignore_errors=True)
            self._clean(bureau_user)
        result = {
            "lines": lines,
            "seconds": round(seconds, 2),
            "lines_per_second": round(lines / seconds),
            "copy_lines_per_second": round(lines / copy_seconds) if copy_seconds else None,
            "ratio": round(copy_seconds / seconds, 3) if copy_seconds else None,
            "peak_rss_mb": round(peak_rss_mb, 1),
            "status": upload.status,
            "errors": upload.errors,
            "warnings": upload.warnings,
        }
        self.stdout.write(json.dumps(result))

    # --- data ----------------------------------------------------------------------------------

    def _data(self) -> tuple[User, list[Enterprise], list[list[tuple[int, str]]]]:
        """The employers (in serial order), the bureau's declarant, and per employer its
        employees as (person id, national number)."""
        profile = country_profile()
        numbers = [profile.synthetic_enterprise_number(FIRST_SERIAL + index) for index in range(EMPLOYERS)]
        user = User.objects.filter(email=f"bureau@{DOMAIN}").first()
        if user is None or Enterprise.objects.filter(enterprise_number__in=numbers).count() != EMPLOYERS:
            self.stderr.write("creating the benchmark data (once)…")
            user = self._create(numbers)
        by_number = {e.enterprise_number: e for e in Enterprise.objects.filter(enterprise_number__in=numbers)}
        enterprises = [by_number[number] for number in numbers]
        rows = list(Person.objects.filter(last_name="Bulkbench").order_by("pk").values_list("pk", "national_number"))
        people = [rows[index * EMPLOYEES : (index + 1) * EMPLOYEES] for index in range(EMPLOYERS)]
        return user, enterprises, people

    def _create(self, numbers: list[str]) -> User:
        profile = country_profile()
        demo_rates_seed()
        now = timezone.now()
        start = datetime.date(2000, 1, 1)
        with transaction.atomic():
            bureau = Enterprise.objects.create(
                enterprise_number=profile.synthetic_enterprise_number(FIRST_SERIAL + EMPLOYERS),
                name="Bench Payroll Bureau",
            )
            user = User.objects.create(email=f"bureau@{DOMAIN}", password=make_password(None))
            Representation.objects.create(user=user, enterprise=bureau, role="declarant", granted_at=now)
            enterprises = Enterprise.objects.bulk_create(
                [
                    Enterprise(enterprise_number=number, name=f"Bench employer {index + 1:04d}")
                    for index, number in enumerate(numbers)
                ]
            )
            EnterpriseMandate.objects.bulk_create(
                [
                    EnterpriseMandate(
                        principal=enterprise,
                        bureau=bureau,
                        scopes=["declare"],
                        starts_on=start,
                        created_at=now,
                        created_by=user,
                    )
                    for enterprise in enterprises
                ]
            )
            buffer = io.StringIO()
            # 800 workers born a day from 1970, skipping the numbers the registry holds already
            # (the demo's persons are born in those years).
            first_day = datetime.date(1970, 1, 1)
            taken = set(
                Person.objects.filter(
                    birth_date__range=(first_day, first_day + datetime.timedelta(days=EMPLOYERS * EMPLOYEES // 700))
                ).values_list("national_number", flat=True)
            )
            slots = ((first_day + datetime.timedelta(days=slot // 800), 1 + slot % 800) for slot in itertools.count())
            workers = (
                (born, number)
                for born, serial in slots
                for number in (profile.synthetic_person_number(born, serial),)
                if number not in taken
            )
            for index, (born, number) in enumerate(itertools.islice(workers, EMPLOYERS * EMPLOYEES)):
                buffer.write(f"{number}\tWorker{index}\tBulkbench\t{born.isoformat()}\t\t\t\tBE\tfr\n")
            with connection.cursor() as cursor:
                with cursor.cursor.copy(
                    "COPY identity_person (national_number, first_name, last_name, birth_date, street,"
                    " postal_code, city, country, preferred_language) FROM STDIN"
                ) as copy:
                    copy.write(buffer.getvalue())
                person_ids = list(
                    Person.objects.filter(last_name="Bulkbench").order_by("pk").values_list("pk", flat=True)
                )
                hired = io.StringIO()
                for index, person_id in enumerate(person_ids):
                    if index % NOT_HIRED_EVERY == NOT_HIRED_EVERY - 1:
                        continue
                    enterprise_id = enterprises[index // EMPLOYEES].pk
                    hired.write(
                        f"{enterprise_id}\t{person_id}\temployee\t{start.isoformat()}\t\\N\t{now.isoformat()}\n"
                    )
                with cursor.cursor.copy(
                    "COPY contributions_employment (enterprise_id, person_id, worker_category, start_date,"
                    " end_date, declared_at) FROM STDIN"
                ) as copy:
                    copy.write(hired.getvalue())
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return user

    def _representatives(self, enterprises: list[Enterprise], count: int) -> None:
        """``count`` representatives per employer (an administrator, then declarants), created
        once; those beyond ``count`` of an earlier run are revoked, those within it restored."""
        now = timezone.now()
        emails = {
            f"rep{rank}-{index}@{DOMAIN}": (enterprise, rank)
            for index, enterprise in enumerate(enterprises)
            for rank in range(max(count, 0))
        }
        existing = set(User.objects.filter(email__in=list(emails)).values_list("email", flat=True))
        missing = [email for email in emails if email not in existing]
        if missing:
            with transaction.atomic():
                users = User.objects.bulk_create(
                    [User(email=email, password=make_password(None), preferred_language="fr") for email in missing]
                )
                Representation.objects.bulk_create(
                    [
                        Representation(
                            user=user,
                            enterprise=emails[user.email][0],
                            role="administrator" if emails[user.email][1] == 0 else "declarant",
                            granted_at=now,
                        )
                        for user in users
                    ]
                )
        representatives = Representation.objects.filter(
            user__email__startswith="rep", user__email__endswith=f"@{DOMAIN}"
        )
        representatives.exclude(user__email__in=list(emails)).filter(revoked_at__isnull=True).update(revoked_at=now)
        representatives.filter(user__email__in=list(emails)).update(revoked_at=None)

    def _file(
        self,
        path: Path,
        enterprises: list[Enterprise],
        people: list[list[tuple[int, str]]],
        employees: int,
        period: Period,
        invalid_percent: float,
    ) -> int:
        profile = country_profile()
        chooser = random.Random(20261122)  # noqa: S311 — synthetic wages, not secrets
        every = round(100 / invalid_percent) if invalid_percent else 0
        count = 0
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(",".join(bulk.COLUMNS) + "\n")
            for enterprise, staff in zip(enterprises, people, strict=False):
                employer = profile.enterprise_number.format(enterprise.enterprise_number)
                block = []
                for index, (_person_id, national_number) in enumerate(staff[:employees]):
                    count += 1
                    category = CATEGORIES[index % 3] if index % 10 == 0 else "employee"
                    wage = f"{chooser.randint(160000, 900000) / 100:.2f}"
                    days = "20"
                    if every and count % every == 7 % every:  # not the not-hired lines (1 in 200)
                        category = "pilot"  # not a worker category: a blocking error
                    block.append(f"{employer},{period},{national_number},Bulkbench,Worker,{category},{wage},{days}\n")
                file.write("".join(block))
        return count

    # --- the run -------------------------------------------------------------------------------

    def _run(self, user: User, path: Path, timeout: int) -> tuple[BulkUpload, float]:
        bureau_id = Representation.objects.filter(user=user).values_list("enterprise_id", flat=True).get()
        actor = Actor(
            user_id=user.pk,
            level_of_assurance=LevelOfAssurance.LOW,
            mode=ActingMode.SELF,
            enterprise_ids=frozenset({bureau_id}),
        )

        def blocks() -> Any:
            with path.open("rb") as file:
                while block := file.read(1 << 20):
                    yield block

        receiving = time.monotonic()
        receipt = bulk.upload_receive(
            actor=actor, name=path.name, chunks=blocks(), size=path.stat().st_size, channel="form", now=timezone.now()
        )
        accepted = time.monotonic()
        self.stderr.write(f"received and acknowledged in {accepted - receiving:.2f} s (upload {receipt.upload.pk})")
        upload = receipt.upload
        seen = ""
        while time.monotonic() - accepted < timeout:
            upload.refresh_from_db()
            if upload.status != seen:
                seen = upload.status
                self.stderr.write(f"{time.monotonic() - accepted:6.2f} s  {seen}")
            if upload.is_finished:
                return upload, time.monotonic() - accepted
            time.sleep(0.05)
        raise CommandError(f"no report after {timeout} s (upload {upload.pk} is {upload.status})")

    def _bare_copy(self, upload: BulkUpload, lines: int) -> float:
        """The same rows (read back from the accepted declarations) copied again by one bare
        ``COPY`` into the same table, under declarations of their own; returns its seconds."""
        accepted = list(Declaration.objects.filter(bulk_upload=upload).values_list("pk", "enterprise_id", "period"))
        with connection.cursor() as cursor:
            buffer = io.BytesIO()
            with cursor.cursor.copy(
                sql.SQL(
                    f"COPY (SELECT {bulk.LINE_COLUMNS} FROM contributions_declarationline"  # noqa: S608 — constants
                    " WHERE declaration_id IN (SELECT id FROM contributions_declaration WHERE bulk_upload_id = {}))"
                    " TO STDOUT"
                ).format(sql.Literal(upload.pk))
            ) as copy:
                for data in copy:
                    buffer.write(data)
        with transaction.atomic():
            twins = {}
            for pk, enterprise_id, period in accepted:
                twin = Declaration.objects.create(
                    enterprise_id=enterprise_id,
                    period=period,
                    version=0,
                    status="pending",
                    reference=f"BENCH-COPY-{pk}",
                    channel="file",
                    submitted_at=timezone.now(),
                    submitted_by_id=upload.uploaded_by_id,
                    line_count=0,
                    total_wages=Decimal("0.00"),
                )
                twins[str(pk)] = str(twin.pk)
            rows = buffer.getvalue().decode().splitlines(keepends=True)
            text = "".join(twins[row[: row.index("\t")]] + row[row.index("\t") :] for row in rows)
            if len(rows) != lines:
                raise CommandError(f"{len(rows)} lines stored for {lines} in the file")
        started = time.monotonic()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY contributions_declarationline ({bulk.LINE_COLUMNS}) FROM STDIN") as copy,
        ):
            for offset in range(0, len(text), 1 << 20):
                copy.write(text[offset : offset + (1 << 20)])
        seconds = time.monotonic() - started
        self.stderr.write(f"bare COPY of the same {lines} rows: {seconds:.2f} s")
        return seconds

    def _clean(self, user: User) -> None:
        """Delete what earlier runs wrote: the bureau's uploads and everything they made."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM contributions_declaration WHERE bulk_upload_id IN"
                " (SELECT id FROM contributions_bulkupload WHERE uploaded_by_id = %s) OR reference LIKE 'BENCH-COPY-%%'",
                [user.pk],
            )
            declarations = [row[0] for row in cursor.fetchall()]
            if declarations:
                cursor.execute(
                    "DELETE FROM contributions_allocation WHERE debit_id IN (SELECT id FROM contributions_ledgerentry"
                    " WHERE declaration_id = ANY(%s))",
                    [declarations],
                )
                cursor.execute("DELETE FROM contributions_ledgerentry WHERE declaration_id = ANY(%s)", [declarations])
                cursor.execute(
                    "DELETE FROM contributions_declarationwarning WHERE declaration_id = ANY(%s)", [declarations]
                )
                cursor.execute(
                    "DELETE FROM contributions_declarationline WHERE declaration_id = ANY(%s)", [declarations]
                )
                cursor.execute("DELETE FROM contributions_bulktotal WHERE declaration_id = ANY(%s)", [declarations])
                cursor.execute("DELETE FROM contributions_declaration WHERE id = ANY(%s)", [declarations])
                # The insured years counted those lines (the benchmark's workers have no others).
                cursor.execute(
                    "DELETE FROM contributions_insuredyear WHERE person_id IN"
                    " (SELECT id FROM identity_person WHERE last_name = 'Bulkbench')"
                )
            cursor.execute(
                "DELETE FROM contributions_bulkanomaly WHERE upload_id IN"
                " (SELECT id FROM contributions_bulkupload WHERE uploaded_by_id = %s)",
                [user.pk],
            )
            cursor.execute(
                "DELETE FROM contributions_bulktotal WHERE chunk_id IN (SELECT c.id FROM contributions_bulkchunk c"
                " JOIN contributions_bulkupload u ON u.id = c.upload_id WHERE u.uploaded_by_id = %s)",
                [user.pk],
            )
            cursor.execute(
                "DELETE FROM contributions_bulkchunk WHERE upload_id IN"
                " (SELECT id FROM contributions_bulkupload WHERE uploaded_by_id = %s)",
                [user.pk],
            )
            # What the runs told the bureau's sender and the employers' representatives.
            told = [f"%@{DOMAIN}"]
            cursor.execute(
                "DELETE FROM notifications_deliveryattempt WHERE delivery_id IN (SELECT d.id FROM"
                " notifications_delivery d JOIN notifications_notification n ON n.id = d.notification_id"
                " JOIN identity_user u ON u.id = n.recipient_id WHERE u.email LIKE %s)",
                told,
            )
            cursor.execute(
                "DELETE FROM notifications_delivery WHERE notification_id IN (SELECT n.id FROM"
                " notifications_notification n JOIN identity_user u ON u.id = n.recipient_id WHERE u.email LIKE %s)",
                told,
            )
            cursor.execute(
                "DELETE FROM notifications_notification WHERE recipient_id IN"
                " (SELECT id FROM identity_user WHERE email LIKE %s)",
                told,
            )
            cursor.execute("DELETE FROM contributions_bulkupload WHERE uploaded_by_id = %s", [user.pk])
