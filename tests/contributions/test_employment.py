"""The employment register: hires and departures declared by employers or their bureau."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contributions import selectors, services
from contributions.models import Employment, EmploymentEvent
from contributions.types import EmploymentError
from core.actor import LevelOfAssurance
from identity.country_profiles import country_profile
from mandates import services as mandate_services
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)  # a Monday
TODAY = NOW.date()


@pytest.fixture
def employer():
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    return {
        "enterprise": enterprise,
        "declarant": declarant,
        "actor": citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk})),
    }


def _hire(employer, person, start=TODAY, category="employee"):
    return services.employment_hire(
        actor=employer["actor"],
        enterprise_id=employer["enterprise"].pk,
        national_number=person.national_number,
        worker_category=category,
        start_date=start,
        now=NOW,
    )


def test_a_hire_is_recorded_with_who_declared_it_and_the_employee_sees_the_employer(employer):
    person = PersonFactory()
    employment_id = _hire(employer, person, start=TODAY + datetime.timedelta(days=3))

    event = EmploymentEvent.objects.get(employment_id=employment_id)
    assert (event.kind, event.by_user_id, event.via_bureau_id) == ("hire", employer["declarant"].pk, None)
    rows = selectors.employment_list_for_person(person_id=person.pk)
    assert [(row.enterprise_name, row.start_date, row.end_date) for row in rows] == [
        ("Boulangerie Dupont", TODAY + datetime.timedelta(days=3), None)
    ]


@pytest.mark.parametrize(
    ("number", "code"),
    [("85.07.30-033.29", "national_number_checksum"), ("123", "national_number_length")],
)
def test_a_bad_national_number_is_refused_with_its_code(employer, number, code):
    with pytest.raises(EmploymentError) as error:
        services.employment_hire(
            actor=employer["actor"],
            enterprise_id=employer["enterprise"].pk,
            national_number=number,
            worker_category="employee",
            start_date=TODAY,
            now=NOW,
        )
    assert error.value.code == code
    assert not Employment.objects.exists()


def test_unknown_deceased_past_and_overlapping_hires_are_refused(employer):
    profile = country_profile()
    unknown = profile.synthetic_person_number(datetime.date(1990, 5, 5), 901)
    with pytest.raises(EmploymentError) as error:
        services.employment_hire(
            actor=employer["actor"],
            enterprise_id=employer["enterprise"].pk,
            national_number=unknown,
            worker_category="employee",
            start_date=TODAY,
            now=NOW,
        )
    assert error.value.code == "person_unknown"
    deceased = PersonFactory(death_date=TODAY - datetime.timedelta(days=10))
    with pytest.raises(EmploymentError) as error:
        _hire(employer, deceased)
    assert error.value.code == "person_deceased"
    person = PersonFactory()
    with pytest.raises(EmploymentError) as error:
        _hire(employer, person, start=TODAY - datetime.timedelta(days=1))
    assert error.value.code == "start_in_past"
    _hire(employer, person)
    with pytest.raises(EmploymentError) as error:
        _hire(employer, person, start=TODAY + datetime.timedelta(days=30))
    assert error.value.code == "overlap"
    assert Employment.objects.count() == 1


def test_a_departure_closes_the_employment_and_a_late_one_is_flagged(employer):
    person = PersonFactory()
    employment_id = _hire(employer, person)
    # last day Friday 2026-11-06: due by Monday 2026-11-09; declared Tuesday 2026-11-10 → late
    late = services.employment_terminate(
        actor=employer["actor"],
        employment_id=employment_id,
        end_date=datetime.date(2026, 11, 6),
        now=datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC),
    )
    assert late is True
    assert Employment.objects.get().end_date == datetime.date(2026, 11, 6)
    assert EmploymentEvent.objects.filter(kind="termination").get().details["late"] is True
    with pytest.raises(EmploymentError):
        services.employment_terminate(
            actor=employer["actor"], employment_id=employment_id, end_date=datetime.date(2026, 11, 7), now=NOW
        )
    _hire(employer, person, start=TODAY + datetime.timedelta(days=10))  # rehired after the departure
    assert Employment.objects.count() == 2


def test_a_correction_keeps_the_previous_values(employer):
    employment_id = _hire(employer, PersonFactory(), start=TODAY + datetime.timedelta(days=5))
    services.employment_correct(
        actor=employer["actor"],
        employment_id=employment_id,
        worker_category="worker",
        start_date=TODAY + datetime.timedelta(days=7),
        now=NOW,
    )
    event = EmploymentEvent.objects.get(kind="correction")
    assert event.details["before"] == {
        "worker_category": "employee",
        "start_date": (TODAY + datetime.timedelta(days=5)).isoformat(),
    }
    assert Employment.objects.get().worker_category == "worker"


def test_a_mistaken_hire_is_cancelled_before_it_starts_only(employer):
    future = _hire(employer, PersonFactory(), start=TODAY + datetime.timedelta(days=5))
    started = _hire(employer, PersonFactory())
    services.employment_cancel(actor=employer["actor"], employment_id=future, now=NOW)
    with pytest.raises(EmploymentError) as error:
        services.employment_cancel(actor=employer["actor"], employment_id=started, now=NOW)
    assert error.value.code == "already_started"
    assert Employment.objects.get(pk=future).cancelled_at == NOW
    assert Employment.objects.get(pk=started).cancelled_at is None


def test_viewers_outsiders_and_unmandated_bureaus_cannot_declare(employer):
    viewer = UserFactory()
    representation(viewer, employer["enterprise"], "viewer")
    bureau = EnterpriseFactory()
    bureau_user = UserFactory()
    representation(bureau_user, bureau, "declarant")
    for actor in (
        citizen_actor(viewer, enterprise_ids=frozenset({employer["enterprise"].pk})),
        citizen_actor(UserFactory()),
        citizen_actor(bureau_user, enterprise_ids=frozenset({bureau.pk})),
    ):
        with pytest.raises(services.NotFound):
            services.employment_hire(
                actor=actor,
                enterprise_id=employer["enterprise"].pk,
                national_number=PersonFactory().national_number,
                worker_category="employee",
                start_date=TODAY,
                now=NOW,
            )
    assert not Employment.objects.exists()


def test_a_mandated_bureau_declares_and_the_event_names_it(employer):
    bureau = EnterpriseFactory()
    bureau_user = UserFactory()
    representation(bureau_user, bureau, "declarant")
    admin = UserFactory()
    representation(admin, employer["enterprise"])
    mandate_services.enterprise_mandate_grant(
        actor=citizen_actor(
            admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({employer["enterprise"].pk})
        ),
        enterprise_id=employer["enterprise"].pk,
        bureau_enterprise_number=bureau.enterprise_number,
        scopes=["declare"],
        starts_on=TODAY,
        now=NOW,
    )

    employment_id = services.employment_hire(
        actor=citizen_actor(bureau_user, enterprise_ids=frozenset({bureau.pk})),
        enterprise_id=employer["enterprise"].pk,
        national_number=PersonFactory().national_number,
        worker_category="employee",
        start_date=TODAY,
        now=NOW,
    )

    event = EmploymentEvent.objects.get(employment_id=employment_id)
    assert (event.by_user_id, event.via_bureau_id) == (bureau_user.pk, bureau.pk)


def test_the_register_page_matrix_and_a_hire_by_form(client, employer):
    url = reverse("contributions:employees", args=[employer["enterprise"].pk])
    assert client.get(url).status_code == 302
    sign_in(client, UserFactory())
    assert client.get(url).status_code == 404
    sign_in(client, with_totp(UserFactory(is_staff=True, is_superuser=True)), mfa=True)
    assert client.get(url).status_code == 404
    sign_in(client, employer["declarant"])
    person = PersonFactory(first_name="Marie", last_name="Dubois")
    # The page checks the first day against the real clock: a month from today, whatever the day.
    start = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()

    response = client.post(
        url,
        {"national_number": person.national_number, "worker_category": "employee", "start_date": start},
    )
    refused = client.post(
        url,
        {"national_number": "85.07.30-033.29", "worker_category": "employee", "start_date": start},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    assert refused.status_code == 400
    assert "The check digits do not match" in refused.content.decode()
    assert Employment.objects.count() == 1
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Marie Dubois" in page


def test_a_forged_employment_id_of_another_enterprise_answers_404(client, employer):
    other = EnterpriseFactory()
    other_user = UserFactory()
    representation(other_user, other, "declarant")
    foreign = services.employment_hire(
        actor=citizen_actor(other_user, enterprise_ids=frozenset({other.pk})),
        enterprise_id=other.pk,
        national_number=PersonFactory().national_number,
        worker_category="employee",
        start_date=TODAY + datetime.timedelta(days=300),
        now=NOW,
    )
    sign_in(client, employer["declarant"])
    response = client.post(
        reverse("contributions:employee_action", args=[employer["enterprise"].pk, foreign, "cancel"])
    )
    assert response.status_code == 404
    assert Employment.objects.get(pk=foreign).cancelled_at is None


def test_the_employee_sees_current_and_past_employers_on_the_dashboard(client, employer):
    person = PersonFactory()
    employment_id = _hire(employer, person)
    services.employment_terminate(
        actor=employer["actor"], employment_id=employment_id, end_date=TODAY + datetime.timedelta(days=1), now=NOW
    )
    sign_in(client, UserFactory(person=person))
    page = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My employers" in page and "Boulangerie Dupont" in page
