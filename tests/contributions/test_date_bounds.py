"""Dates people type have bounds: a hire, a departure, a correction, a mandate in year 9999 (or
0001) gets a clear error in the person's language and changes nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from contributions import services
from contributions.models import Employment, EmploymentEvent
from contributions.types import EmploymentError
from core.actor import LevelOfAssurance
from mandates import services as mandate_services
from mandates.models import EnterpriseMandate, Mandate
from mandates.types import MandateError
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
FAR = datetime.date(9999, 12, 31)


@pytest.fixture
def employer():
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    return enterprise, citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))


def _hire(employer, start):
    enterprise, actor = employer
    return services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=PersonFactory().national_number,
        worker_category="employee",
        start_date=start,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("start", "code"),
    [(FAR, "date_too_far"), (TODAY + datetime.timedelta(days=367), "date_too_far")],
)
def test_a_hire_too_far_ahead_is_refused_and_nothing_is_recorded(employer, start, code):
    with pytest.raises(EmploymentError) as refused:
        _hire(employer, start)
    assert refused.value.code == code
    with translation.override("en"):
        assert refused.value.message == "This date is more than a year from today: check the year."
    with translation.override("fr"):
        assert "plus d’un an" in refused.value.message
    assert not Employment.objects.exists() and not EmploymentEvent.objects.exists()


def test_a_hire_a_year_ahead_is_still_accepted(employer):
    assert _hire(employer, TODAY + datetime.timedelta(days=366))


def test_a_departure_in_year_9999_is_refused(employer):
    employment_id = _hire(employer, TODAY)
    _enterprise, actor = employer
    with pytest.raises(EmploymentError) as refused:
        services.employment_terminate(actor=actor, employment_id=employment_id, end_date=FAR, now=NOW)
    assert refused.value.code == "date_too_far"
    assert Employment.objects.get(pk=employment_id).end_date is None


@pytest.mark.parametrize(("start", "code"), [(FAR, "date_too_far"), (datetime.date(1, 1, 1), "date_too_old")])
def test_a_correction_out_of_bounds_is_refused(employer, start, code):
    employment_id = _hire(employer, TODAY)
    _enterprise, actor = employer
    with pytest.raises(EmploymentError) as refused:
        services.employment_correct(
            actor=actor, employment_id=employment_id, worker_category="employee", start_date=start, now=NOW
        )
    assert refused.value.code == code
    assert Employment.objects.get(pk=employment_id).start_date == TODAY


def test_a_mandate_starting_in_year_9999_is_refused():
    principal = UserFactory(person=PersonFactory())
    proxy = PersonFactory()
    with pytest.raises(MandateError) as refused:
        mandate_services.mandate_grant(
            actor=citizen_actor(principal, level=LevelOfAssurance.SUBSTANTIAL),
            proxy_national_number=proxy.national_number,
            proxy_last_name=proxy.last_name,
            scopes=["view_file"],
            starts_on=FAR,
            ends_on=FAR,
            now=NOW,
        )
    assert refused.value.code == "starts_too_far"
    assert not Mandate.objects.exists()


def test_a_bureau_mandate_starting_in_year_9999_is_refused(employer):
    enterprise, _actor = employer
    administrator = UserFactory()
    representation(administrator, enterprise, "administrator")
    bureau = EnterpriseFactory()
    with pytest.raises(MandateError) as refused:
        mandate_services.enterprise_mandate_grant(
            actor=citizen_actor(
                administrator, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk})
            ),
            enterprise_id=enterprise.pk,
            bureau_enterprise_number=bureau.enterprise_number,
            scopes=["declare"],
            starts_on=FAR,
            now=NOW,
        )
    assert refused.value.code == "starts_too_far"
    assert not EnterpriseMandate.objects.exists()


def test_the_hire_form_says_it_in_the_persons_language(client, employer):
    import time_machine

    from tests.helpers import sign_in

    enterprise, _actor = employer
    user = UserFactory()
    representation(user, enterprise, "declarant")
    person = PersonFactory()
    with time_machine.travel(NOW, tick=False):
        sign_in(client, user)
        response = client.post(
            reverse("contributions:employees", args=[enterprise.pk]),
            {
                "national_number": person.national_number,
                "worker_category": "employee",
                "start_date": "9999-12-31",
            },
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    assert response.status_code == 400
    assert "plus d’un an" in response.content.decode()
    assert not Employment.objects.exists()
