"""The demo world: seeding twice changes nothing, and its published API key works as printed."""

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from devtools.management.commands.seed_demo import DEMO_API_KEY
from identity.models import ApiKey, Enterprise, User
from mandates.models import Mandate

pytestmark = pytest.mark.django_db


def test_seeding_twice_is_idempotent_and_the_demo_key_declares_for_the_bakery(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (User.objects.count(), Enterprise.objects.count(), ApiKey.objects.count())
    call_command("seed_demo", stdout=io.StringIO())

    assert (User.objects.count(), Enterprise.objects.count(), ApiKey.objects.count()) == counts
    assert DEMO_API_KEY in out.getvalue()
    employers = Client().get("/api/v1/employers/", headers={"Authorization": f"Bearer {DEMO_API_KEY}"}).json()
    assert {(e["name"], e["through_mandate"]) for e in employers} == {
        ("Secrétariat Social Horizon ASBL", False),
        ("Boulangerie Dupont SRL", True),
    }


@pytest.mark.time_machine(datetime.datetime(2028, 2, 29, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_seeding_on_29_february_gives_the_two_year_mandate_an_end_that_exists(settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=io.StringIO())

    assert list(Mandate.objects.values_list("starts_on", "ends_on")) == [
        (datetime.date(2028, 2, 29), datetime.date(2030, 2, 28))
    ]


def test_the_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()


@pytest.mark.time_machine(datetime.datetime(2027, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_the_pensioner_is_married_and_marie_has_a_baby_a_few_weeks_old_seeded_once(settings):
    from identity.models import FamilyLink, Person
    from identity.selectors import family_members, marriage_of

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    pensioner = Person.objects.get(first_name="Jean", last_name="Peeters")
    marie = Person.objects.get(first_name="Marie", last_name="Dubois")
    today = datetime.date(2027, 3, 10)
    marriage = marriage_of(person_id=pensioner.pk, on=today)
    assert marriage is not None
    assert (marriage.started_on, marriage.ended_on) == (datetime.date(1978, 9, 16), None)
    assert Person.objects.get(pk=marriage.spouse_id).first_name == "Maria"
    found = family_members(person_ids=[marie.pk], on=today)
    assert [born for born, child in zip(found.birth_date, found.child, strict=True) if child] == [
        datetime.date(2027, 2, 17)
    ]
    assert FamilyLink.objects.get(person=marie).started_on == datetime.date(2027, 2, 17)
    assert FamilyLink.objects.count() == 2

    # Seeded again weeks later, the baby is still a few weeks old (and still the only one).
    with time_machine.travel(datetime.datetime(2027, 6, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    found = family_members(person_ids=[marie.pk], on=datetime.date(2027, 6, 1))
    assert [born for born, child in zip(found.birth_date, found.child, strict=True) if child] == [
        datetime.date(2027, 5, 11)
    ]
    assert FamilyLink.objects.count() == 2


@pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_the_demo_careers_make_jean_a_pensioner_and_marie_entitled_to_the_birth_grant(settings):
    from django.utils import timezone, translation

    from benefits.selectors import entitlement_check
    from identity.models import Person
    from tests.helpers import citizen_actor

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # the careers are written once
    jean = User.objects.get(email="jean@demo.guichet.example")
    marie = User.objects.get(email="marie@demo.guichet.example")
    with translation.override("en"):
        (pension,) = entitlement_check(
            actor=citizen_actor(jean), person_id=jean.person_id, slug="old-age-pension", now=timezone.now()
        )
        (grant,) = entitlement_check(
            actor=citizen_actor(marie), person_id=marie.person_id, slug="birth-grant", now=timezone.now()
        )
    # 1990-01 to 2019-03: 351 months; born on 12 March 1954, he reached 65 in March 2019.
    assert pension.eligible and pension.amount > 0
    assert "351 months credited to the record" in " ".join(reason.text for reason in pension.reasons)
    assert "The pension age was reached on 1 April 2019." in pension.notes
    # Léa, 21 days old; Marie has 72 months (2019–2024 at the garage).
    assert grant.eligible and grant.amount == 1200
    assert grant.about.startswith("Léa, born on 14 November 2026")
    assert Person.objects.filter(first_name="Léa").count() == 1
    # The supervisor's crisis scheme, composed once, published and computed by the engine.
    from benefits.models import ComposedScheme

    assert ComposedScheme.objects.filter(slug="winter-support", published=True).count() == 1
    # Jean's pension is granted; the case workers' queues hold a claim in every state, once.
    from benefits.models import Claim, ClaimStatus, Entitlement

    assert Entitlement.objects.get(person=jean.person).scheme == "old_age_pension"
    states = set(Claim.objects.values_list("status", flat=True))
    assert states == set(ClaimStatus.values) - {"draft"}
    assert Claim.objects.filter(status="submitted", due_on__lt=timezone.localdate()).count() == 1
    page = Client().get("/benefits/winter-support/", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Winter support for people who lost their job" in page.content.decode()


def test_the_registry_reports_the_babys_birth_and_marie_is_offered_the_birth_grant_once(settings):
    from benefits.models import LifeEvent, Proposal

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # the event is acknowledged, nothing proposed twice

    marie = User.objects.get(email="marie@demo.guichet.example")
    assert LifeEvent.objects.get().state == "applied"
    proposals = {p.scheme: (p.person_id, p.status, p.amount) for p in Proposal.objects.all()}
    assert proposals["birth_grant"] == (marie.person_id, "offered", 1200)
    assert proposals["family_allowance"][:2] == (marie.person_id, "to_verify")
    assert Proposal.objects.count() == 2
