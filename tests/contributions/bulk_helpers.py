"""What the bulk-file tests share: a world of employers, a bureau and employees; files written
in each format; and the processing run step by step as the workers would."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from contributions import bulk, services
from contributions.models import BulkChunk, BulkUpload, ChunkStatus
from core.actor import LevelOfAssurance
from devtools.rates import demo_rates_seed
from identity.country_profiles import country_profile
from mandates import services as mandate_services
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

PERIOD = "2026-10"
# The world's employees are hired on fixed dates and the files declare PERIOD, while the services
# are given the clock's now (as the workers are) and the pages read it: the tests that process
# files in their own process run with the clock frozen on this day, after PERIOD was due. (The
# tests with real workers cannot freeze them: their files declare months relative to today.)
NOW = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)
HEADER = "employer_number,period,national_number,last_name,first_name,worker_category,gross_wage,days_worked"


def world(employees: int = 3) -> dict[str, Any]:
    """Two employers (A mandates the bureau to declare, B does not), each with hired employees;
    the bureau's declarant, and A's own declarant."""
    demo_rates_seed()
    now = timezone.now()
    bureau, mandated, unmandated = EnterpriseFactory(), EnterpriseFactory(), EnterpriseFactory()
    bureau_user, a_user = UserFactory(), UserFactory()
    representation(bureau_user, bureau, "declarant")
    representation(a_user, mandated, "administrator")
    a_admin = citizen_actor(a_user, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({mandated.pk}))
    mandate_services.enterprise_mandate_grant(
        actor=a_admin,
        enterprise_id=mandated.pk,
        bureau_enterprise_number=bureau.enterprise_number,
        scopes=["declare"],
        starts_on=timezone.localdate(),
        now=now,
    )
    staff: dict[int, list[Any]] = {}
    for enterprise in (mandated, unmandated):
        owner = UserFactory()
        representation(owner, enterprise, "declarant")
        actor = citizen_actor(owner, enterprise_ids=frozenset({enterprise.pk}))
        staff[enterprise.pk] = [PersonFactory() for _ in range(employees)]
        for person in staff[enterprise.pk]:
            services.employment_hire(
                actor=actor,
                enterprise_id=enterprise.pk,
                national_number=person.national_number,
                worker_category="employee",
                start_date=datetime.date(2026, 10, 1),
                now=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC),
            )
    return {
        "bureau": bureau,
        "bureau_user": bureau_user,
        "bureau_actor": citizen_actor(bureau_user, enterprise_ids=frozenset({bureau.pk})),
        "a": mandated,
        "a_user": a_user,
        "a_actor": citizen_actor(a_user, enterprise_ids=frozenset({mandated.pk})),
        "b": unmandated,
        "staff": staff,
    }


def rows_for(enterprise: Any, people: list[Any], *, wage: str = "3000.00", period: str = PERIOD) -> list[list[str]]:
    number = country_profile().enterprise_number.format(enterprise.enterprise_number)
    return [
        [number, period, person.national_number, person.last_name, person.first_name, "employee", wage, "22"]
        for person in people
    ]


def csv_bytes(rows: list[list[str]], *, separator: str = ",", bom: bool = False, crlf: bool = False) -> bytes:
    ending = "\r\n" if crlf else "\n"
    header = HEADER.replace(",", separator)
    text = ending.join([header, *(separator.join(row) for row in rows)]) + ending
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def receive(actor: Any, content: bytes, *, name: str = "paie.csv", channel: str = "form") -> bulk.Receipt:
    return bulk.upload_receive(
        actor=actor,
        name=name,
        chunks=[content[i : i + 65536] for i in range(0, len(content), 65536)],
        size=len(content),
        channel=channel,
        now=timezone.now(),
    )


def process(upload: BulkUpload) -> BulkUpload:
    """What the workers do, in order, in this process."""
    now = timezone.now()
    bulk.upload_plan(upload_id=upload.pk, now=now)
    for chunk_id in BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING).values_list("pk", flat=True):
        bulk.chunk_process(chunk_id=chunk_id, now=now)
    bulk.upload_finalize(upload_id=upload.pk, now=now)
    upload.refresh_from_db()
    return upload
