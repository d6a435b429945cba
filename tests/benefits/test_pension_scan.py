"""Reaching the pension age: the daily scan reads the registry set-based, computes every person
concerned in one simulation and proposes the old-age pension a few months ahead — to whoever is
entitled, once, only when the rule is on; the dry run shows the same figures and writes nothing;
a case worker's verification computes the person's proposal in full."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from benefits import services
from benefits.claims.computation import compute
from benefits.models import AttributionDryRun, AttributionRule, Entitlement, Proposal, ProposalStatus
from core.periods import Period
from tests.benefits.career_helpers import career
from tests.benefits.claim_helpers import case_worker
from tests.identity.factories import PersonFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _world() -> dict:
    """Pension age 65; the scan looks at April, May and June 2026.
    - Ana, 65 on 1 May 2026 (due from May), 30 years credited: entitled.
    - Bob, 65 on 14 May 2026 (due from June), 25 years credited: entitled.
    - Cleo, 65 on 2 May 2026 (due from June), 5 years credited: not entitled (180 months asked).
    - Dan, 65 in September 2026: beyond the horizon.
    - Eve, 65 on 1 April 2026 but dead.
    - Fay, 65 on 1 June 2026, already granted her pension (claimed).
    """
    people = {
        "ana": (D(1961, 5, 1), ("1990-01", "2019-12")),
        "bob": (D(1961, 5, 14), ("1995-01", "2019-12")),
        "cleo": (D(1961, 5, 2), ("2015-01", "2019-12")),
        "dan": (D(1961, 9, 3), ("1990-01", "2019-12")),
        "eve": (D(1961, 4, 1), ("1990-01", "2019-12")),
        "fay": (D(1961, 6, 1), ("1990-01", "2019-12")),
    }
    world = {}
    for name, (born, (first, last)) in people.items():
        person = PersonFactory(first_name=name.title(), birth_date=born)
        career(person, first, last, "3000.00")
        world[name] = person
    world["eve"].death_date = D(2026, 1, 5)
    world["eve"].save(update_fields=["death_date"])
    Entitlement.objects.create(
        person=world["fay"],
        scheme="old_age_pension",
        periodicity="monthly",
        amount=900,
        start_on=D(2026, 6, 1),
        opened_at=NOW,
    )
    return world


def _counts() -> tuple[int, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM benefits_proposal), (SELECT count(*) FROM benefits_entitlement),"
            " (SELECT count(*) FROM notifications_notification)"
        )
        return cursor.fetchone()


def test_the_scan_proposes_the_pension_to_whoever_reaches_the_age_within_the_horizon_once():
    world = _world()
    AttributionRule.objects.filter(trigger="pension_age").update(enabled=True)

    scanned = services.pension_age_scan(now=NOW)
    again = services.pension_age_scan(now=NOW)

    proposals = {p.person_id: p for p in Proposal.objects.all()}
    assert set(proposals) == {world["ana"].pk, world["bob"].pk}
    ana = proposals[world["ana"].pk]
    assert (ana.month, ana.status, ana.trigger, ana.periodicity) == (
        D(2026, 5, 1),
        "to_verify",
        "pension_age",
        "monthly",
    )
    assert proposals[world["bob"].pk].month == D(2026, 6, 1)
    assert ana.reference == f"PRO-2026-{ana.pk:06d}"
    # The same amount as the claims' computation for that person and month.
    expected = compute(
        scheme_code="old_age_pension",
        scheme=None,
        person_id=world["ana"].pk,
        subject_person_id=0,
        month=Period(2026, 5),
        today=D(2026, 3, 10),
    ).explanation.amount
    assert ana.amount == expected > 0
    # Cleo was read, not proposed; the dead, the granted and those beyond the horizon not read.
    assert scanned.persons_read == 3 and scanned.created == 2
    assert [(line.month, line.proposals) for line in scanned.lines] == [(Period(2026, 5), 1), (Period(2026, 6), 1)]
    assert again.created == 0 and Proposal.objects.count() == 2


def test_the_scan_does_nothing_while_the_rule_is_off_and_the_dry_run_writes_nothing():
    _world()
    before = _counts()

    assert services.pension_age_scan(now=NOW).created == 0
    dry = services.pension_age_dry_run(now=NOW)

    assert _counts() == before
    assert dry.proposals == 2 and dry.persons_read == 3
    AttributionRule.objects.filter(trigger="pension_age").update(enabled=True)
    scanned = services.pension_age_scan(now=NOW)
    # The dry run said what the scan then did, month by month.
    assert [(line.month, line.proposals, line.amount) for line in dry.lines] == [
        (line.month, line.proposals, line.amount) for line in scanned.lines
    ]
    assert dry.amount == sum(p.amount for p in Proposal.objects.all())


def test_verifying_a_scanned_proposal_computes_it_in_full_for_the_person_and_offers_it():
    world = _world()
    AttributionRule.objects.filter(trigger="pension_age").update(enabled=True)
    services.pension_age_scan(now=NOW)
    proposal = Proposal.objects.get(person=world["ana"])
    assert proposal.explanation["summary"] is True

    services.proposal_verify(proposal_id=proposal.pk, user_id=case_worker()[0].pk, approve=True, note="", now=NOW)

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OFFERED
    assert "summary" not in proposal.explanation
    codes = [condition["code"] for condition in proposal.explanation["conditions"]]
    assert codes == ["alive", "old_age_pension_age_reached", "old_age_pension_months_met"]
    assert proposal.amount > Decimal(0) and proposal.data_version


def test_a_supervisor_runs_the_pension_rule_dry_from_its_page_and_nothing_is_written(client):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests.helpers import sign_in
    from tests.identity.factories import UserFactory, with_totp

    _world()
    supervisor = with_totp(UserFactory(is_staff=True))
    supervisor.groups.add(Group.objects.get(name="Supervisor"))
    sign_in(client, supervisor, mfa=True)
    rule = AttributionRule.objects.get(trigger="pension_age")
    before = _counts()

    page = client.get(
        reverse("admin:benefits_attributionrule_change", args=[rule.pk]), headers={"Accept-Language": "en"}
    )
    asked = client.post(reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk]))
    # The worker's part (a real one computes it in tests/benefits/test_dry_runs.py).
    assert services.attribution_dry_run_perform(run_id=AttributionDryRun.objects.get().pk, now=NOW)
    dry = client.get(
        reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk]), headers={"Accept-Language": "en"}
    )

    assert asked.status_code == 302
    assert "Dry run" in page.content.decode()
    text = dry.content.decode()
    assert dry.status_code == 200 and "Nothing was written. 3 persons reach the pension age" in text
    assert [line.proposals for line in dry.context["result"].lines] == [1, 1]
    assert _counts() == before
    assert client.get(reverse("admin:benefits_attributionrule_dry_run", args=[999_999])).status_code == 404
