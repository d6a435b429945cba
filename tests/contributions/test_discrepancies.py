"""Reporting a wrong month of one's record: a case for staff (once, whatever the clicks), the
employer told, only for months of one's own record, by the person or a proxy who may view."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contributions.discrepancies import discrepancy_report
from contributions.models import DiscrepancyReport
from contributions.services import NotFound
from contributions.types import DiscrepancyError
from notifications.models import Notification
from tests.contributions.test_record import _employer, _hire
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def worked(settings):
    settings.DECLARATION_DUE_DAY = 15
    person = PersonFactory(first_name="Marie", last_name="Dubois")
    owner = UserFactory(person=person)
    bakery, bakery_actor = _employer("Boulangerie")
    _hire(bakery, bakery_actor, person, datetime.date(2026, 9, 1))
    administrator = UserFactory()
    from tests.identity.factories import representation

    representation(administrator, bakery, "administrator")
    return {
        "person": person,
        "owner": owner,
        "bakery": bakery,
        "administrator": administrator,
        "declarant_id": bakery_actor.user_id,
    }


def _report(
    worked, actor=None, period="2026-09", message="I worked in September; it is not declared.", enterprise=None
):
    return discrepancy_report(
        actor=actor or citizen_actor(worked["owner"]),
        person_id=worked["person"].pk,
        enterprise_id=(enterprise or worked["bakery"]).pk,
        period=period,
        message=message,
        now=NOW,
    )


def test_a_report_opens_one_case_and_tells_the_employer(worked):
    first = _report(worked)
    again = _report(worked)

    assert first == again
    report = DiscrepancyReport.objects.get()
    assert (report.period, report.status, report.reported_by_id) == ("2026-09", "open", worked["owner"].pk)
    notices = Notification.objects.filter(event_type="discrepancy_reported")
    assert {n.recipient_id for n in notices} == {worked["administrator"].pk, worked["declarant_id"]}
    assert {n.context["employee_name"] for n in notices} == {"Marie Dubois"}


@pytest.mark.parametrize(("message", "code"), [("  ", "message_required"), ("x" * 2001, "message_too_long")])
def test_an_empty_or_too_long_message_is_refused(worked, message, code):
    with pytest.raises(DiscrepancyError) as refused:
        _report(worked, message=message)
    assert refused.value.code == code
    assert not DiscrepancyReport.objects.exists()


def test_a_month_or_employer_outside_ones_record_is_not_found(worked):
    with pytest.raises(NotFound):
        _report(worked, period="2026-05")  # before the hire
    with pytest.raises(NotFound):
        _report(worked, enterprise=EnterpriseFactory())
    with pytest.raises(NotFound):
        _report(worked, actor=citizen_actor(UserFactory(person=PersonFactory())))
    assert not DiscrepancyReport.objects.exists()


# The pages read the clock and the hire is fixed (September 2026): on NOW, as the services are told.
@pytest.mark.time_machine(NOW, tick=False)
def test_the_report_page_and_the_record_show_the_case(worked, client):
    sign_in(client, worked["owner"])
    url = reverse("contributions:record_report")
    query = {"enterprise": worked["bakery"].pk, "period": "2026-09"}
    assert client.get(url, query).status_code == 200
    assert client.get(url, {"enterprise": EnterpriseFactory().pk, "period": "2026-09"}).status_code == 404
    refused = client.post(url, {**query, "message": ""}, headers={"Accept-Language": "en"})
    assert refused.status_code == 400
    assert "Say what is wrong" in refused.content.decode()

    sent = client.post(url, {**query, "message": "Not declared."})

    assert sent.status_code == 302
    assert DiscrepancyReport.objects.count() == 1
    page = client.get(reverse("contributions:record"), {"year": 2026}, headers={"Accept-Language": "en"})
    assert "Reported: being handled" in page.content.decode()


def test_staff_mark_a_case_handled_in_the_back_office(worked, client):
    _report(worked)
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    sign_in(client, staff, mfa=True)
    report = DiscrepancyReport.objects.get()
    response = client.post(
        reverse("admin:contributions_discrepancyreport_changelist"),
        {"action": "mark_handled", "_selected_action": [report.pk]},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.closed_by_id) == ("closed", staff.pk)
    assert report.closed_at <= timezone.now()


def test_a_person_opens_at_most_the_daily_number_of_cases_then_the_next_day_again(worked, settings):
    settings.DISCREPANCY_REPORTS_PER_DAY = 1
    first = _report(worked, period="2026-09")

    with pytest.raises(DiscrepancyError) as refused:
        _report(worked, period="2026-10")
    assert refused.value.code == "too_many_today" and "demain" in str(refused.value.message)  # French by default
    assert _report(worked, period="2026-09") == first  # the open case of the same month is not a new one
    assert list(DiscrepancyReport.objects.values_list("period", flat=True)) == ["2026-09"]
    notified = Notification.objects.filter(event_type="discrepancy_reported")
    assert {n.context["period"] for n in notified} == {"2026-09"}

    next_day = discrepancy_report(
        actor=citizen_actor(worked["owner"]),
        person_id=worked["person"].pk,
        enterprise_id=worked["bakery"].pk,
        period="2026-10",
        message="October is missing too.",
        now=NOW + datetime.timedelta(days=1),
    )
    assert DiscrepancyReport.objects.get(pk=next_day).period == "2026-10"
