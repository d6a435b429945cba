"""After an employer ends its bureau's mandate, the bureau keeps reading what it sent — an upload
is the bureau's own record of what it filed and what became of it — but files nothing more."""

import datetime

import pytest
import time_machine

from contributions import bulk
from contributions.models import Declaration
from core.actor import LevelOfAssurance
from mandates import services as mandate_services
from mandates.models import EnterpriseMandate
from tests.contributions.bulk_helpers import csv_bytes, process, receive, rows_for, world
from tests.helpers import citizen_actor

pytestmark = pytest.mark.django_db

FROZEN = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)  # the world hires for 2026-10


@pytest.fixture
def w():
    with time_machine.travel(FROZEN, tick=False):
        yield world()


def test_the_bureau_reads_its_own_upload_after_the_mandate_ends_and_files_nothing_more(w):
    with time_machine.travel(FROZEN, tick=False):
        sent = process(receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]))).upload)
        assert sent.status == "accepted"
        mandate = EnterpriseMandate.objects.get(principal=w["a"], revoked_at__isnull=True)
        mandate_services.enterprise_mandate_revoke(
            actor=citizen_actor(w["a_user"], level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({w["a"].pk})),
            enterprise_mandate_id=mandate.pk,
            now=FROZEN,
        )

        still = bulk.upload_get(actor=w["bureau_actor"], upload_id=sent.pk)
        totals = bulk.upload_totals(upload=still)
        again = process(
            receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk], period="2026-11"))).upload
        )

    assert [(t.enterprise_id, t.period, t.lines) for t in totals] == [(w["a"].pk, "2026-10", 3)]
    assert again.status == "rejected"
    assert {anomaly.code for anomaly in bulk.upload_anomalies(upload=again)} == {"employer_not_allowed"}
    assert Declaration.objects.filter(enterprise=w["a"], period="2026-11").count() == 0
