"""Births proposed in batches: a registry's day of births becomes proposals in a few queries and
one simulation per benefit and month, each the same as the engine computes it for the one
family (amount and every condition with its values), to the first parent entitled, once."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from benefits import services
from benefits.attribution.proposals import proposal_explain
from benefits.attribution.together import Birth, birth_candidates, candidates_propose
from benefits.attribution.writing import NewProposal, explanation_template_of, proposals_write
from benefits.claims.computation import conditions_of
from benefits.models import (
    AttributionDryRun,
    AttributionRule,
    ExplanationTemplate,
    LifeEvent,
    LifeEventState,
    Proposal,
    ProposalStatus,
)
from core.periods import Period
from identity.country_profiles import country_profile
from identity.models import FamilyLink, Person
from notifications.models import Notification
from tests.benefits.career_helpers import career
from tests.concurrency import InAnotherSession
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _rules_on(*, auto_verify: bool = True) -> None:
    for scheme in ("birth_grant", "family_allowance"):
        AttributionRule.objects.update_or_create(
            trigger="birth",
            scheme=scheme,
            defaults={"enabled": True, "auto_verify": auto_verify, "sample_share": Decimal(0)},
        )


def _births(partner_id: int, parents_of_each: list[list[Person]], *, first_serial: int = 101) -> list[str]:
    """One birth event a child, on the 2nd and the 20th of February and March (two months in
    one batch), applied to the registry."""
    days = [D(2026, 2, 2), D(2026, 2, 20), D(2026, 3, 2)]
    numbers = []
    events = []
    for index, parents in enumerate(parents_of_each):
        born = days[index % len(days)]
        number = country_profile().synthetic_person_number(born, first_serial + index)
        numbers.append(number)
        events.append(
            services.EventInput(
                partner_event_id=f"N-{first_serial + index}",
                kind="birth",
                occurred_on=born,
                data={
                    "child": {"national_number": number, "first_name": "Child", "last_name": str(index)},
                    "parents": [parent.national_number for parent in parents],
                },
            )
        )
    services.life_events_receive(partner_id=partner_id, events=events, now=NOW)
    assert services.life_events_apply(now=NOW) == len(events)
    return numbers


def _partner(name: str = "Registre") -> int:
    return services.partner_create(name=name, scopes=["birth"], user_id=None, now=NOW)[0]


PARENT_BORN = D(1990, 5, 5)


def _insured(first_name: str, *, born: datetime.date = PARENT_BORN, since: str = "2015-01") -> Person:
    person = PersonFactory(first_name=first_name, birth_date=born)
    career(person, since, "2025-12", "2400.00")
    return person


def test_a_batch_proposes_what_the_engine_computes_for_each_family_to_the_first_parent_entitled():
    _rules_on()
    ana, dana = _insured("Ana"), _insured("Dana")
    bea = PersonFactory(first_name="Bea", birth_date=D(1992, 1, 1))  # never insured
    carl = PersonFactory(first_name="Carl", birth_date=D(1991, 1, 1))  # never insured
    UserFactory(person=ana)
    numbers = _births(_partner(), [[ana], [bea], [carl, dana], [ana]])

    assert services.life_events_propose_all(now=NOW) > 0

    proposals = {
        (proposal.scheme, Person.objects.get(pk=proposal.subject_id).national_number): proposal
        for proposal in Proposal.objects.all()
    }
    # The birth grant asks insured months of a parent: not Bea's child; Carl and Dana's child to
    # Dana, the first parent entitled. The family allowance to the first parent, resident.
    assert {key for key in proposals if key[0] == "birth_grant"} == {
        ("birth_grant", numbers[0]),
        ("birth_grant", numbers[2]),
        ("birth_grant", numbers[3]),
    }
    assert proposals["birth_grant", numbers[2]].person_id == dana.pk
    assert proposals["family_allowance", numbers[1]].person_id == bea.pk
    assert proposals["family_allowance", numbers[2]].person_id == carl.pk
    # Each as the engine computes it for the one family: amount, conditions and their values.
    assert {proposal.amount for proposal in proposals.values() if proposal.scheme == "birth_grant"} == {
        Decimal("1200.00")  # the grant's amount in force (benefits/rules/parameters)
    }
    for proposal in proposals.values():
        assert proposal.month == Period.of(Person.objects.get(pk=proposal.subject_id).birth_date).first_day
        single = proposal_explain(proposal, now=NOW)
        assert single is not None
        assert proposal.amount == single.amount > 0
        assert conditions_of(proposal.explanation) == conditions_of(single.computation)
        assert proposal.explanation["amount"] == str(single.amount)
        assert proposal.rules_fingerprint == single.rules_fingerprint
        assert proposal.data_version.startswith("sha256:")
        assert proposal.reference == f"PRO-2026-{proposal.pk:06d}"
        assert proposal.status == ProposalStatus.OFFERED and proposal.verified_automatically
    # Ana (the one with an account) is told of each of hers, in one go.
    assert Notification.objects.filter(event_type="benefit_proposed").count() == sum(
        1 for proposal in proposals.values() if proposal.person_id == ana.pk
    )
    assert not LifeEvent.objects.filter(proposed_at__isnull=True).exists()


def test_a_batchs_explanations_are_kept_as_one_template_a_benefit_and_month_and_each_ones_values():
    """A batch writes each explanation's values only (a few hundred bytes, not kilobytes); the
    template is stored once for the same text, and each proposal reads back its whole
    explanation."""
    _rules_on()
    ana, dana = _insured("Ana"), _insured("Dana")
    _births(_partner(), [[ana], [dana]])  # both in February
    services.life_events_propose_all(now=NOW)
    first = list(Proposal.objects.select_related("explanation_template"))
    assert len(first) == 4
    assert all(proposal.computation is None and proposal.explanation_values for proposal in first)
    assert ExplanationTemplate.objects.count() == 2  # the grant's and the allowance's for February
    for proposal in first:
        whole = json.dumps(proposal.explanation)
        assert proposal.explanation["scheme"] == proposal.scheme and proposal.explanation["month"] == "2026-02"
        assert sum(map(len, proposal.explanation_values)) * 3 < len(whole)

    eve = _insured("Eve")
    _births(_partner("Registre 2"), [[eve]], first_serial=150)
    services.life_events_propose_all(now=NOW)
    assert Proposal.objects.filter(person=eve).count() == 2
    assert ExplanationTemplate.objects.count() == 2  # the same texts: the templates stored before


def test_a_batch_run_twice_proposes_each_right_once_and_a_rule_off_proposes_nothing():
    ana = _insured("Ana")
    _births(_partner(), [[ana], [ana]])
    assert services.life_events_propose_all(now=NOW) == 0  # the rules are off
    assert not Proposal.objects.exists()

    _rules_on(auto_verify=False)
    LifeEvent.objects.update(proposed_at=None)
    created = services.life_events_propose_all(now=NOW)
    LifeEvent.objects.update(proposed_at=None)
    again = services.life_events_propose_all(now=NOW)

    assert created == 4 and again == 0
    assert Proposal.objects.count() == 4
    assert set(Proposal.objects.values_list("status", flat=True)) == {ProposalStatus.TO_VERIFY}
    assert not Notification.objects.exists()  # to verify: nobody told yet


def _queries_for(births: int, serial: int) -> int:
    parents = [_insured(f"P{serial + index}") for index in range(births)]
    _births(_partner(f"Registre {serial}"), [[parent] for parent in parents], first_serial=serial)
    events = LifeEvent.objects.filter(partner_event_id__startswith="N-", proposed_at__isnull=True)
    batch = [
        Birth(
            event_id=event.pk,
            child_id=event.person_id,
            month=Period.of(event.occurred_on),
            parent_ids=(Person.objects.get(national_number=event.data["parents"][0]).pk,),
        )
        for event in events
    ]
    with CaptureQueriesContext(connection) as queries:
        created = candidates_propose(candidates=birth_candidates(batch), now=NOW)
    assert len(created) == 2 * births
    LifeEvent.objects.filter(pk__in=[event.pk for event in events]).update(proposed_at=NOW)
    return len(queries)


def test_the_queries_of_a_batch_do_not_grow_with_the_births():
    _rules_on()
    assert _queries_for(3, serial=201) == _queries_for(12, serial=301)


def test_the_bank_account_and_the_children_are_read_for_the_family_of_each_parent():
    """A parent's older child is in the family the engine reads (the allowance's bands count
    the children): the batch sees the family as the single computation does."""
    _rules_on()
    ana = _insured("Ana")
    older = PersonFactory(first_name="Older", birth_date=D(2020, 6, 1))
    FamilyLink.objects.create(kind="parent_child", person=ana, relative=older, started_on=older.birth_date)
    _births(_partner(), [[ana]])
    services.life_events_propose_all(now=NOW)
    allowance = Proposal.objects.get(scheme="family_allowance")
    single = proposal_explain(allowance, now=NOW)
    assert single is not None and allowance.amount == single.amount
    assert allowance.explanation["subject_index"] == 2  # Ana, her older child, the baby
    assert LifeEvent.objects.get().state == LifeEventState.APPLIED


def test_a_move_recorded_by_the_registry_computes_again_the_proposals_about_the_person(monkeypatch):
    """The child's move abroad reported after the proposals: the family allowance about the child
    is computed again at once (no longer due: withdrawn), not at the next hourly check."""
    _rules_on(auto_verify=False)
    ana = _insured("Ana")
    (child,) = _births(_partner(), [[ana]])
    services.life_events_propose_all(now=NOW)
    assert Proposal.objects.filter(scheme="family_allowance", status=ProposalStatus.TO_VERIFY).exists()
    queued: list[tuple[str, dict]] = []
    monkeypatch.setattr("benefits.attribution.events.enqueue", lambda task, **kwargs: queued.append((task, kwargs)))
    partner = services.partner_create(name="Registre adresses", scopes=["address"], user_id=None, now=NOW)[0]
    services.life_events_receive(
        partner_id=partner,
        events=[services.EventInput("A-1", "address", D(2026, 3, 5), {"person": child, "country": "FR"})],
        now=NOW,
    )
    services.life_events_apply(now=NOW)

    child_id = Person.objects.get(national_number=child).pk
    assert ("benefits.proposals_reevaluate_about", {"person_ids": [child_id]}) in queued
    assert services.proposals_reevaluate_about(person_ids=[child_id], now=NOW) == 1
    allowance = Proposal.objects.get(scheme="family_allowance")
    assert allowance.status == ProposalStatus.WITHDRAWN and "no longer due" in allowance.note


def _counts() -> tuple[int, int, int]:
    return Proposal.objects.count(), Notification.objects.count(), LifeEvent.objects.count()


def test_the_dry_run_of_each_event_rule_replays_the_registry_of_the_last_months_and_writes_nothing():
    """Rules off: what the birth, marriage and death rules would have proposed for the registry's
    events of the last twelve months, per month, as the proposals would be computed."""
    ana, ben, dana = _insured("Ana"), _insured("Ben"), _insured("Dana")
    _births(_partner(), [[ana], [ana], [dana]])  # February, February, March
    FamilyLink.objects.create(kind="marriage", person=ben, relative=dana, started_on=D(2026, 1, 10))
    widow, husband = _insured("Wanda", born=D(1960, 4, 4)), _insured("Hugo", born=D(1958, 8, 8), since="1980-01")
    FamilyLink.objects.create(kind="marriage", person=widow, relative=husband, started_on=D(1995, 6, 1))
    from identity import services as identity_services

    identity_services.registry_death_record(person_id=husband.pk, death_date=D(2026, 2, 14), now=NOW)
    # Ten months before the window: not replayed.
    old = PersonFactory(first_name="Old", birth_date=D(2024, 12, 1))
    FamilyLink.objects.create(kind="parent_child", person=ben, relative=old, started_on=old.birth_date)
    before = _counts()

    grant = services.life_events_dry_run(trigger="birth", scheme="birth_grant", now=NOW)
    allowance = services.life_events_dry_run(trigger="birth", scheme="family_allowance", now=NOW)
    marriage = services.life_events_dry_run(trigger="marriage", scheme="marriage_grant", now=NOW)
    survivor = services.life_events_dry_run(trigger="death", scheme="survivor_pension", now=NOW)
    funeral = services.life_events_dry_run(trigger="death", scheme="funeral_grant", now=NOW)

    assert _counts() == before
    assert grant.persons_read == 3 and [(str(line.month), line.proposals) for line in grant.lines] == [
        ("2026-02", 2),
        ("2026-03", 1),
    ]
    assert allowance.proposals == 3 and allowance.amount > 0
    # Ben and Dana, both insured: the grant to each.
    assert marriage.persons_read == 1 and marriage.proposals == 2
    assert [(str(line.month), line.proposals) for line in survivor.lines] == [("2026-03", 1)]
    assert [(str(line.month), line.proposals) for line in funeral.lines] == [("2026-02", 1)]
    # The same amounts the proposals get once the rule is on and the events come.
    _rules_on()
    LifeEvent.objects.update(proposed_at=None)
    services.life_events_propose_all(now=NOW)
    assert grant.amount == sum(p.amount for p in Proposal.objects.filter(scheme="birth_grant"))
    assert allowance.amount == sum(p.amount for p in Proposal.objects.filter(scheme="family_allowance"))
    # A right proposed already is not counted again.
    assert services.life_events_dry_run(trigger="birth", scheme="birth_grant", now=NOW).proposals == 0


def test_a_supervisor_runs_the_birth_rule_dry_from_its_page(client):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from tests.helpers import sign_in
    from tests.identity.factories import with_totp

    _births(_partner(), [[_insured("Ana")]])
    supervisor = with_totp(UserFactory(is_staff=True))
    supervisor.groups.add(Group.objects.get(name="Supervisor"))
    sign_in(client, supervisor, mfa=True)
    rule = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")
    before = _counts()

    page = client.get(
        reverse("admin:benefits_attributionrule_change", args=[rule.pk]), headers={"Accept-Language": "fr"}
    )
    asked = client.post(reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk]))
    # The worker's part (a real one computes it in tests/benefits/test_dry_runs.py).
    assert services.attribution_dry_run_perform(run_id=AttributionDryRun.objects.get().pk, now=NOW)
    dry = client.get(
        reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk]), headers={"Accept-Language": "en"}
    )

    assert asked.status_code == 302
    assert "12 derniers mois" in page.content.decode()
    text = dry.content.decode()
    assert dry.status_code == 200
    assert "The registry recorded 1 such event in the last 12 months" in text
    assert "Amount in total" in text and "Monthly amount" not in text
    assert [line.proposals for line in dry.context["result"].lines] == [1]
    assert _counts() == before


def test_the_other_parents_declaration_in_a_later_batch_proposes_the_childs_benefits_to_nobody_else():
    """The mother's declaration proposes the birth grant and the allowance to her; the father's,
    for the same child, arriving in a later batch, links him and proposes nothing more."""
    _rules_on()
    mother, father = _insured("Mère"), _insured("Père")
    partner = _partner()
    (child,) = _births(partner, [[mother]])
    services.life_events_propose_all(now=NOW)
    born = Person.objects.get(national_number=child).birth_date
    services.life_events_receive(
        partner_id=partner,
        events=[
            services.EventInput(
                "N-father",
                "birth",
                born,
                {
                    "child": {"national_number": child, "first_name": "Child", "last_name": "0"},
                    "parents": [father.national_number, mother.national_number],
                },
            )
        ],
        now=NOW,
    )
    services.life_events_apply(now=NOW)

    assert services.life_events_propose_all(now=NOW) == 0
    assert FamilyLink.objects.filter(person=father, relative__national_number=child).exists()
    assert set(Proposal.objects.values_list("person_id", flat=True)) == {mother.pk}


def test_the_database_keeps_a_childs_benefit_proposed_once_whoever_it_is_proposed_to():
    """Two batches racing past the check in code: the constraint keeps the first proposal about
    the child, the writer skips the other, and an insert of its own is refused."""
    _rules_on()
    mother, father = _insured("Mère"), _insured("Père")
    (child,) = _births(_partner(), [[mother]])
    services.life_events_propose_all(now=NOW)
    grant = Proposal.objects.get(scheme="birth_grant")
    racing = NewProposal(
        person_id=father.pk,
        subject_id=grant.subject_id,
        scheme="birth_grant",
        periodicity=grant.periodicity,
        trigger="birth",
        event_id=None,
        month=grant.month,
        amount=grant.amount,
        computation="{}",
        rules_fingerprint=grant.rules_fingerprint,
        openfisca_core=grant.openfisca_core,
        data_version=grant.data_version,
        status=ProposalStatus.TO_VERIFY,
        created_at=NOW,
    )
    assert proposals_write([racing], today=NOW.date()) == []
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(
            person=father, subject_id=grant.subject_id, scheme="birth_grant", month=grant.month, amount=grant.amount,
            periodicity=grant.periodicity, trigger="birth", created_at=NOW,
        )  # fmt: skip
    assert list(Proposal.objects.filter(subject__national_number=child).values_list("person_id", flat=True)) == [
        mother.pk,
        mother.pk,
    ]


def test_a_batch_applies_its_events_in_the_order_they_arrived():
    """A death, then a marriage dated after it, in one batch: the death is recorded and the
    marriage refused (the spouse had died), as one after the other."""
    xavier, yvonne = _insured("Xavier", born=D(1950, 1, 1)), _insured("Yvonne", born=D(1952, 1, 1))
    partner = services.partner_create(name="Registre état civil", scopes=["death", "marriage"], user_id=None, now=NOW)[
        0
    ]
    services.life_events_receive(
        partner_id=partner,
        events=[
            services.EventInput("D-1", "death", D(2026, 2, 1), {"person": xavier.national_number}),
            services.EventInput(
                "M-1", "marriage", D(2026, 2, 10), {"spouses": [xavier.national_number, yvonne.national_number]}
            ),
        ],
        now=NOW,
    )
    services.life_events_apply(now=NOW)

    death, marriage = LifeEvent.objects.get(partner_event_id="D-1"), LifeEvent.objects.get(partner_event_id="M-1")
    assert death.state == LifeEventState.APPLIED
    assert (marriage.state, marriage.failure_code) == (LifeEventState.FAILED, "spouse_dead")
    xavier.refresh_from_db()
    assert xavier.death_date == D(2026, 2, 1)


def test_a_registry_change_whose_message_was_lost_is_caught_by_the_hourly_check():
    """The data version names the registry's entries of the family too: a move written with no
    message queued (a lost one) is found by the hourly comparison of versions."""
    from identity import services as identity_services

    _rules_on(auto_verify=False)
    ana = _insured("Ana")
    (child,) = _births(_partner(), [[ana]])
    services.life_events_propose_all(now=NOW)
    assert services.proposals_reevaluate_changed(now=NOW) == 0  # nothing changed since

    child_id = Person.objects.get(national_number=child).pk
    identity_services.registry_address_change(
        person_id=child_id, street="", postal_code="59000", city="Lille", country="FR", now=NOW
    )

    assert services.proposals_reevaluate_changed(now=NOW) == 1
    assert Proposal.objects.get(scheme="family_allowance").status == ProposalStatus.WITHDRAWN
    assert Proposal.objects.get(scheme="birth_grant").status == ProposalStatus.TO_VERIFY


def test_the_registrys_history_names_the_life_events_that_changed_it():
    partner = _partner()
    (child,) = _births(partner, [[_insured("Ana")]])
    event = LifeEvent.objects.get(partner_event_id="N-101")

    inserted = Person.objects.get(national_number=child).history.get(pgh_label="insert")
    link = FamilyLink.objects.get(relative__national_number=child)
    link_inserted = link.events.get(pgh_label="insert")

    assert inserted.pgh_context is not None
    assert inserted.pgh_context.metadata["source"] == "civil registry"
    metadata = inserted.pgh_context.metadata
    assert metadata["life_events_from"] <= event.pk <= metadata["life_events_to"]
    assert link_inserted.pgh_context_id == inserted.pgh_context_id


def test_moves_and_marriages_of_a_batch_are_applied_together_as_one_after_the_other():
    paul, quentin, rose, sam, tina, ugo = (PersonFactory(first_name=name) for name in ("Paul", "Q", "R", "S", "T", "U"))
    partner = services.partner_create(
        name="Registre population", scopes=["address", "marriage"], user_id=None, now=NOW
    )[0]
    services.life_events_receive(
        partner_id=partner,
        events=[
            services.EventInput("A-1", "address", D(2026, 3, 1), {"person": paul.national_number, "country": "FR"}),
            # Paul's older move, arriving late: changes nothing.
            services.EventInput("A-2", "address", D(2026, 2, 1), {"person": paul.national_number, "country": "NL"}),
            services.EventInput(
                "A-3", "address", D(2026, 2, 1), {"person": quentin.national_number, "city": "Gent", "country": "be"}
            ),
            services.EventInput("A-4", "address", D(2026, 2, 1), {"person": sam.national_number, "country": "ZZ"}),
            services.EventInput(
                "M-1", "marriage", D(2026, 2, 14), {"spouses": [rose.national_number, sam.national_number]}
            ),
            services.EventInput(
                "M-2",
                "marriage",
                D(2026, 2, 20),
                {"spouses": [tina.national_number, ugo.national_number], "kind": "partnership"},
            ),
        ],
        now=NOW,
    )
    services.life_events_apply(now=NOW)

    states = {
        event.partner_event_id: (event.state, event.failure_code)
        for event in LifeEvent.objects.filter(partner_id=partner)
    }
    assert states == {
        "A-1": ("applied", ""),
        "A-2": ("applied", "superseded"),
        "A-3": ("applied", ""),
        "A-4": ("failed", "country_unknown"),
        "M-1": ("applied", ""),
        "M-2": ("applied", ""),
    }
    paul.refresh_from_db()
    quentin.refresh_from_db()
    assert paul.country == "FR" and (quentin.city, quentin.country) == ("Gent", "BE")
    assert FamilyLink.objects.filter(kind="marriage", person=rose, relative=sam, started_on=D(2026, 2, 14)).exists()
    assert FamilyLink.objects.filter(kind="partnership", person=tina, relative=ugo).exists()
    # Quentin's older move, in a later batch: changes nothing either.
    services.life_events_receive(
        partner_id=partner,
        events=[
            services.EventInput("A-5", "address", D(2026, 1, 5), {"person": quentin.national_number, "country": "LU"})
        ],
        now=NOW,
    )
    services.life_events_apply(now=NOW)
    late = LifeEvent.objects.get(partner_event_id="A-5")
    quentin.refresh_from_db()
    assert (late.state, late.failure_code, quentin.country) == ("applied", "superseded", "BE")


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_proposes_the_events_the_first_does_not_hold():
    """Two workers share the proposing: while one holds the oldest events (its batch), the other
    takes the next ones instead of stopping; the held events are left for the first."""
    _rules_on()
    parents = [_insured(f"P{index}") for index in range(4)]
    _births(_partner(), [[parent] for parent in parents])
    events = list(LifeEvent.objects.order_by("pk").values_list("pk", flat=True))

    def hold_the_oldest() -> list[int]:
        return list(LifeEvent.objects.select_for_update().filter(pk__in=events[:2]).values_list("pk", flat=True))

    first_worker = InAnotherSession(hold_the_oldest, hold=True).start().wait_done()
    try:
        created = services.life_events_propose_all(now=NOW, chunk=2)
    finally:
        held = first_worker.join()
    assert sorted(held) == events[:2]
    assert created == 4  # the grant and the allowance of the two births not held
    proposed = set(LifeEvent.objects.filter(proposed_at__isnull=False).values_list("pk", flat=True))
    assert proposed == set(events[2:])
    assert services.life_events_propose_all(now=NOW, chunk=2) == 4  # the first worker's, once free


def test_an_explanations_values_are_written_and_read_back_as_they_were():
    """Values holding quotes, backslashes, braces, commas or the word NULL come back unchanged,
    and fill the template into the explanation."""
    ana = _insured("Ana")
    values = ('"a \\"quoted\\" name"', "C:\\\\dir", "{1,2}", "NULL", "", "é, ü")
    form = '{"scheme":"birth_grant","month":"2026-02","values":[%s,"%s","%s","%s","%s","%s"],"rate":"5 %%"}'
    template_id = explanation_template_of(form)
    assert explanation_template_of(form) == template_id  # stored once
    (written,) = proposals_write(
        [
            NewProposal(
                person_id=ana.pk,
                subject_id=None,
                scheme="birth_grant",
                periodicity="once",
                trigger="birth",
                event_id=None,
                month=D(2026, 2, 1),
                amount=Decimal("1200.00"),
                computation=None,
                explanation_template_id=template_id,
                explanation_values=values,
                rules_fingerprint="f",
                openfisca_core="44",
                data_version="v",
                status=ProposalStatus.TO_VERIFY,
                created_at=NOW,
            )
        ],
        today=NOW.date(),
    )
    proposal = Proposal.objects.get(pk=written.pk)
    assert tuple(proposal.explanation_values) == values
    assert proposal.explanation == {
        "scheme": "birth_grant",
        "month": "2026-02",
        "values": ['a "quoted" name', "C:\\dir", "{1,2}", "NULL", "", "é, ü"],
        "rate": "5 %",
    }


def test_a_run_of_batches_reads_each_persons_career_once(monkeypatch):
    """The parents of a day's births come back batch after batch: a run reads a person's career
    in the first batch that meets them (their facts come with their family, read every time),
    and the same proposals are made."""
    from benefits import inputs

    asked: list[int] = []
    careers = inputs.insured_careers

    def careers_read(*, person_ids, until):
        asked.extend(person_ids)
        return careers(person_ids=person_ids, until=until)

    monkeypatch.setattr(inputs, "insured_careers", careers_read)
    _rules_on()
    ana, dana = _insured("Ana"), _insured("Dana")
    _births(_partner(), [[ana], [dana], [ana], [dana]])

    created = services.life_events_propose_all(now=NOW, chunk=1)  # four batches of one event

    assert created == 8
    family = {ana.pk, dana.pk, *FamilyLink.objects.filter(person__in=[ana, dana]).values_list("relative_id", flat=True)}
    assert sorted(asked) == sorted(family)  # each once
