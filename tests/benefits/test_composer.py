"""A benefit composed by staff in the back office, without a deployment: its form refuses what the
engine cannot compute, and once published its page and "am I entitled?" work at once, through the
same engine as the statutory schemes."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from benefits.models import ComposedScheme, ComposedSchemeEvent
from contributions import services
from tests.benefits.career_helpers import career
from tests.benefits.test_scheme_pages import _text
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC), tick=False),
]

# Winter support for those who lost their job: 18 to 64, 6 months contributed in the last 12, an
# employment ended within 3 months, living in the country; 40 % of the last 3 months' average wage,
# between 300 and 1,200 a month.
FORM = {
    "slug": "winter-support",
    "title_fr": "Aide d’hiver",
    "title_en": "Winter support",
    "summary_fr": "Une aide mensuelle pour qui a perdu son emploi cet automne.",
    "summary_en": "A monthly support for those who lost their job this autumn.",
    "legal_basis": "Arrêté du 2 décembre 2026, art. 1",
    "valid_from": "2026-12-01",
    "valid_until": "2027-03-31",
    "periodicity": "monthly",
    "decision_days": "10",
    "documents_fr": "la lettre de licenciement",
    "documents_en": "the dismissal letter",
    "age_minimum": "18",
    "age_maximum": "64",
    "contributed_months": "6",
    "contributed_window": "12",
    "employment_ended_within": "3",
    "residence": "on",
    "amount_kind": "wage_based",
    "wage_rate": "0.40",
    "wage_months": "3",
    "wage_minimum": "300.00",
    "wage_maximum": "1200.00",
    "published": "on",
}


@pytest.fixture
def supervisor(client):
    user = with_totp(UserFactory(is_staff=True, email="supervisor@example.org"))
    user.groups.add(Group.objects.get(name="Supervisor"))
    sign_in(client, user, mfa=True)
    return user


def _dismissed():
    """Hired in January 2026 at 2,000.00 a month, declared January–October, dismissed on 31
    October 2026 (within the three months before December)."""
    person = PersonFactory(first_name="Nadia", birth_date=datetime.date(1990, 4, 2), country="BE")
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    with time_machine.travel(datetime.datetime(2025, 12, 20, 9, tzinfo=datetime.UTC), tick=False):
        services.employment_hire(
            actor=actor,
            enterprise_id=enterprise.pk,
            national_number=person.national_number,
            worker_category="employee",
            start_date=datetime.date(2026, 1, 1),
            now=datetime.datetime(2025, 12, 20, 9, tzinfo=datetime.UTC),
        )
    services.employment_terminate(
        actor=actor,
        enterprise_id=enterprise.pk,
        employment_id=services_employment_id(person),
        end_date=datetime.date(2026, 10, 31),
        now=datetime.datetime(2026, 10, 31, 9, tzinfo=datetime.UTC),
    )
    career(person, "2026-01", "2026-10", "2000.00", enterprise=enterprise)
    return person


def services_employment_id(person):
    from contributions.selectors import employment_list_for_person

    return employment_list_for_person(person_id=person.pk)[0].id


def test_staff_compose_a_benefit_and_it_works_at_once(client, supervisor):
    add = reverse("admin:benefits_composedscheme_add")
    assert client.post(add, FORM).status_code == 302
    scheme = ComposedScheme.objects.get()
    assert scheme.conditions == [
        {"kind": "age_range", "minimum": 18, "maximum": 64},
        {"kind": "contributed_months", "months": 6, "window": 12},
        {"kind": "employment_ended", "within_months": 3},
        {"kind": "residence"},
    ]
    assert scheme.amount == {
        "kind": "wage_based",
        "rate": "0.40",
        "months": 3,
        "minimum": "300.00",
        "maximum": "1200.00",
    }
    assert scheme.composed_by == supervisor
    event = ComposedSchemeEvent.objects.get(pgh_obj_id=scheme.pk)
    assert (event.pgh_label, event.pgh_context.metadata["user"]) == ("insert", supervisor.pk)

    # Its page, public: listed with the statutory ones, its numbers as parameters in force.
    client.logout()
    assert (
        reverse("benefits:scheme", args=["winter-support"]) in client.get(reverse("benefits:schemes")).content.decode()
    )
    text = _text(client.get(reverse("benefits:scheme", args=["winter-support"]), headers={"Accept-Language": "en"}))
    assert "Winter support" in text and "A benefit in force from 1 December 2026 to 31 March 2027." in text
    assert "Aged from 18 years to 64 years on the first day of the month." in text
    assert "At least 6 months contributed in the 12 months before the month." in text
    assert (
        "The benefit is, each month, 40 % of the average monthly wage of the 3 months before the month, at least 300.00 €, at most 1,200.00 €."
        in text
    )
    assert "Share of the wage 40 % 1 December 2026 Arrêté du 2 décembre 2026, art. 1" in text
    assert "The dismissal letter" in text
    french = _text(client.get(reverse("benefits:scheme", args=["winter-support"]), headers={"Accept-Language": "fr"}))
    assert "Aide d’hiver" in french and "La lettre de licenciement" in french
    before = _text(
        client.get(
            reverse("benefits:scheme", args=["winter-support"]), {"month": "2026-11"}, headers={"Accept-Language": "en"}
        )
    )
    assert "This benefit did not exist yet in November 2026." in before
    after = _text(
        client.get(
            reverse("benefits:scheme", args=["winter-support"]), {"month": "2027-04"}, headers={"Accept-Language": "en"}
        )
    )
    assert "This benefit was no longer in force in April 2027." in after

    # "Am I entitled?" for a person dismissed in October after ten months at 2,000.00.
    sign_in(client, UserFactory(person=_dismissed()))
    text = _text(client.get(reverse("benefits:scheme", args=["winter-support"]), headers={"Accept-Language": "en"}))
    # The 3 months before December: September and October at 2,000.00, November at nothing;
    # 40 % of (2,000.00 + 2,000.00 + 0) / 3 = 40 % of 1,333.33 = 533.33 (above the 300.00 minimum).
    assert "Entitled: 533.33 € a month" in text
    assert "Met: Age on the first day of the month: 36 years; from 18 years to 64 years." in text
    assert "Met: An employment ended in the 3 months before the month, or during it." in text
    assert "Met: Lives in the country." in text


def test_a_person_still_employed_is_told_why_not(client, supervisor):
    client.post(reverse("admin:benefits_composedscheme_add"), FORM)
    client.logout()
    person = PersonFactory(birth_date=datetime.date(1980, 1, 1), country="BE")
    career(person, "2025-01", "2026-10", "2500.00")
    sign_in(client, UserFactory(person=person))
    text = _text(client.get(reverse("benefits:scheme", args=["winter-support"]), headers={"Accept-Language": "en"}))
    assert "Not entitled today" in text
    # No employment in the register: none ended (the declarations alone say nothing of an end).
    assert "Not met: No employment ended in the 3 months before the month, nor during it." in text
    assert "Met: At least 6 months contributed in the 12 months before the month." in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"age_minimum": "70", "age_maximum": "60"}, "The maximum age must be at least the minimum age."),
        (
            {"contributed_months": "13", "contributed_window": "12"},
            "The window must be at least the months contributed.",
        ),
        ({"wage_rate": "1.50"}, "Ensure this value is less than or equal to 1"),
        (
            {"wage_minimum": "1500.00", "wage_maximum": "1000.00"},
            "The maximum amount must be at least the minimum amount.",
        ),
        ({"valid_until": "2026-11-30"}, "The last day must be on or after the first day."),
        ({"slug": "birth-grant"}, "A statutory benefit already has this address."),
        (
            {
                "age_minimum": "",
                "age_maximum": "",
                "contributed_months": "",
                "contributed_window": "",
                "employment_ended_within": "",
                "residence": "",
            },
            "Choose at least one condition.",
        ),
        ({"amount_kind": "flat", "flat_amount": ""}, "Give the flat amount."),
        ({"slug": "Winter Support!"}, "Enter a valid “slug”"),
    ],
)
def test_what_the_engine_cannot_compute_is_refused_and_nothing_is_saved(client, supervisor, changes, message):
    page = client.post(reverse("admin:benefits_composedscheme_add"), FORM | changes, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert message in page.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert not ComposedScheme.objects.exists()


def test_an_unpublished_scheme_has_no_page_and_other_staff_cannot_compose(client, supervisor):
    client.post(reverse("admin:benefits_composedscheme_add"), FORM | {"published": ""})
    assert client.get(reverse("benefits:scheme", args=["winter-support"])).status_code == 404
    assert "winter-support" not in client.get(reverse("benefits:schemes")).content.decode()
    client.logout()
    clerk = with_totp(UserFactory(is_staff=True, email="clerk@example.org"))
    clerk.groups.add(Group.objects.get(name="Case worker"))
    sign_in(client, clerk, mfa=True)
    assert client.get(reverse("admin:benefits_composedscheme_add")).status_code == 403
    assert client.post(reverse("admin:benefits_composedscheme_add"), FORM | {"slug": "other"}).status_code == 403
    assert ComposedScheme.objects.count() == 1


def test_the_form_shows_a_saved_scheme_as_it_was_composed(client, supervisor):
    client.post(reverse("admin:benefits_composedscheme_add"), FORM)
    scheme = ComposedScheme.objects.get()
    page = client.get(reverse("admin:benefits_composedscheme_change", args=[scheme.pk])).content.decode()
    for name, value in (
        ("age_minimum", "18"),
        ("contributed_window", "12"),
        ("wage_rate", "0.40"),
        ("wage_maximum", "1200.00"),
    ):
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', page), name


def test_a_composed_scheme_is_claimed_and_decided_at_once(client, supervisor, settings):
    """Composed in the morning; the same day a person dismissed in October claims it online,
    a case worker decides, and the decision keeps the scheme's description it was computed with."""
    from decimal import Decimal

    from benefits import services as benefit_services
    from benefits.models import Claim, Decision, Entitlement
    from identity.models import BankAccount
    from tests.benefits.claim_helpers import IBAN, case_worker

    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("1000.00")
    assert client.post(reverse("admin:benefits_composedscheme_add"), FORM).status_code == 302
    person = _dismissed()
    user = UserFactory(person=person)
    BankAccount.objects.create(person=person, iban=IBAN, holder_name="Nadia", created_at=NOW, created_by=user)
    client.logout()
    sign_in(client, user)
    started = client.post(reverse("benefits:claim_start", args=["winter-support"]))
    claim = Claim.objects.get(person=person)
    assert (claim.scheme, claim.composed_scheme.slug) == ("winter_support", "winter-support")
    assert started["Location"] == reverse("benefits:claim_step", args=[claim.pk, "about"])
    step = reverse("benefits:claim_step", args=[claim.pk, "about"])
    assert client.post(step, {"subject": "0", "month": "2026-12", "remarks": ""}).status_code == 302
    client.post(reverse("benefits:claim_step", args=[claim.pk, "documents"]))
    client.post(reverse("benefits:claim_step", args=[claim.pk, "bank"]), {"account": "on_file"})
    client.post(reverse("benefits:claim_step", args=[claim.pk, "declaration"]), {"honour": "on"})
    claim.refresh_from_db()
    assert (claim.status, claim.due_on) == ("submitted", datetime.date(2026, 12, 15))  # ten days

    _worker, worker = case_worker()
    benefit_services.claim_review_start(actor=worker, claim_id=claim.pk, seen_status="submitted", now=NOW)
    status = benefit_services.claim_decision_propose(
        actor=worker,
        claim_id=claim.pk,
        seen_status="in_review",
        outcome="granted",
        reason="Dismissed in October.",
        now=NOW,
    )
    assert status == "granted"  # 533.33 a month: within the four-eyes amount
    decision = Decision.objects.get(claim=claim)
    # 40 % of (2,000 + 2,000 + 0) / 3, the months of September, October and November.
    assert decision.amount == Decimal("533.33")
    assert decision.computation["scheme"] == "winter_support"
    entitlement = Entitlement.objects.get(claim=claim)
    assert (entitlement.start_on, entitlement.end_on, entitlement.periodicity) == (
        datetime.date(2026, 12, 1),
        datetime.date(2027, 3, 31),
        "monthly",
    )


NOW = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)
