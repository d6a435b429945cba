"""Reporting a wrong month of one's record: a case for staff (once, whatever the clicks), the
employer told, only for months of one's own record, by the person or a proxy who may view.
Staff record an outcome with a reason; the person is told; the employer asked to correct is
told, and the case follows their replacing declaration back to staff."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation

from contributions.declarations import declaration_submit
from contributions.discrepancies import discrepancy_decide, discrepancy_report
from contributions.models import Declaration, DiscrepancyReport, DiscrepancyStep
from contributions.services import NotFound
from contributions.types import DiscrepancyError, LineInput
from core.models import AccessRecord
from core.types import Scope
from devtools.rates import demo_rates_seed
from identity.models import User
from notifications.models import Notification
from notifications.services import preferences_set
from tests.contributions.statement_helpers import proxy_for
from tests.contributions.test_record import _employer, _hire
from tests.helpers import citizen_actor, deliver_outbox, sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def worked(settings):
    settings.DECLARATION_DUE_DAY = 15
    demo_rates_seed()
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


def test_a_person_opens_at_most_the_daily_number_of_cases_then_the_next_day_again(worked, settings):
    settings.DISCREPANCY_REPORTS_PER_DAY = 1
    first = _report(worked, period="2026-09")

    with pytest.raises(DiscrepancyError) as refused:
        _report(worked, period="2026-10")
    with translation.override("fr"):  # French by default
        assert refused.value.code == "too_many_today" and "demain" in str(refused.value.message)
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


# --- The loop closed: staff decide, the person is told, the employer corrects -------------------


def _decide(report_id, outcome, reason="The September wage is missing from the declaration.", seen=None, staff=None):
    report = DiscrepancyReport.objects.get(pk=report_id)
    return discrepancy_decide(
        actor=staff_actor(staff or UserFactory(is_staff=True)),
        report_id=report_id,
        seen_status=seen or report.status,
        outcome=outcome,
        reason=reason,
        now=NOW,
    )


def _declare_september(worked, wage="2100.00", *, replace=False):
    bakery_actor = citizen_actor(
        User.objects.get(pk=worked["declarant_id"]), enterprise_ids=frozenset({worked["bakery"].pk})
    )
    return declaration_submit(
        actor=bakery_actor,
        enterprise_id=worked["bakery"].pk,
        period="2026-09",
        lines=[
            LineInput(
                national_number=worked["person"].national_number,
                worker_category="employee",
                gross_wage=wage,
                days_worked="20",
            )
        ],
        replace=replace,
        channel="form",
        now=NOW,
    )


@pytest.mark.time_machine(NOW, tick=False)
def test_staff_ask_the_employer_who_is_told_and_the_person_and_their_proxy_are_told(worked, client, smtp_sink):
    worked["owner"].preferred_language = "en"
    worked["owner"].save()
    # The person chose e-mail for the institution's information (inbox only by default).
    preferences_set(user_id=worked["owner"].pk, choices={"information": (True, False)})
    proxy, _mandate_id = proxy_for(client, worked["owner"], [Scope.VIEW_FILE])
    report_id = _report(worked)

    status = _decide(report_id, "employer_asked", reason="Declare the 20 days of September.")

    assert status == "awaiting_employer"
    report = DiscrepancyReport.objects.get()
    assert (report.status, report.outcome, report.closed_at) == ("awaiting_employer", "employer_asked", None)
    [step] = report.steps.all()
    assert (step.kind, step.reason) == ("employer_asked", "Declare the 20 days of September.")
    asked = Notification.objects.filter(event_type="discrepancy_correction_requested")
    assert {n.recipient_id for n in asked} == {worked["administrator"].pk, worked["declarant_id"]}
    assert {n.context["reason"] for n in asked} == {"Declare the 20 days of September."}
    assert {n.link for n in asked} == {
        reverse("contributions:declarations", args=[worked["bakery"].pk]) + "?period=2026-09"
    }
    answered = Notification.objects.filter(event_type="discrepancy_answered")
    assert {(n.recipient_id, n.on_behalf_of_person_id) for n in answered} == {
        (worked["owner"].pk, None),
        (proxy.pk, worked["person"].pk),
    }
    # Each is e-mailed in their language: the person chose English, the employer's administrator
    # kept French.
    deliver_outbox()
    subjects = {str(message["To"]): str(message["Subject"]) for message in smtp_sink.messages}
    assert subjects[worked["owner"].email] == "Answer to a problem reported with a contribution record in Guichet"
    assert subjects[worked["administrator"].email] == "Une déclaration à corriger dans Guichet"
    # The proxy kept the default for the institution's information: the inbox only.
    assert [m for m in smtp_sink.messages if str(m["To"]) == proxy.email and "problème" in str(m["Subject"])] == []
    # The inbox message says what was decided and why.
    owner_notice = answered.get(recipient=worked["owner"])
    sign_in(client, worked["owner"])
    page = client.get(
        reverse("notifications:message", args=[owner_notice.pk]), headers={"Accept-Language": "en"}
    ).content.decode()
    assert "asked the employer to correct the declaration" in page and "Declare the 20 days of September." in page
    sign_in(client, with_totp(worked["administrator"]), mfa=True)
    page = client.get(reverse("notifications:message", args=[asked.get(recipient=worked["administrator"]).pk]))
    assert "Corrigez la déclaration de 2026-09 pour Marie Dubois" in page.content.decode()


@pytest.mark.time_machine(NOW, tick=False)
def test_the_replacing_declaration_brings_the_case_back_to_staff_and_the_person_is_told(worked):
    assert _declare_september(worked, wage="1500.00").accepted
    report_id = _report(worked, message="My wage was 2,100 euros, not 1,500.")
    _decide(report_id, "employer_asked")

    assert _declare_september(worked, wage="2100.00", replace=True).accepted

    report = DiscrepancyReport.objects.get()
    correction = Declaration.objects.filter(enterprise=worked["bakery"], period="2026-09", status="in_force").get()

    assert report.status == "correction_received"
    step = report.steps.get(kind="correction_received")
    assert (step.declaration_id, step.by_id) == (correction.pk, None)
    told = Notification.objects.filter(event_type="discrepancy_correction_received")
    assert {n.recipient_id for n in told} == {worked["owner"].pk}

    # Staff check the correction and close the case; the person is told, once.
    assert _decide(report_id, "corrected", reason="The employer declared September.") == "closed"
    report.refresh_from_db()
    assert (report.status, report.outcome, report.closed_at) == ("closed", "corrected", NOW)
    assert Notification.objects.filter(event_type="discrepancy_answered", context__outcome="corrected").count() == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_a_declaration_of_another_month_or_employer_leaves_the_case_waiting(worked):
    other, other_actor = _employer("Garage")
    _hire(other, other_actor, worked["person"], datetime.date(2026, 9, 1))
    report_id = _report(worked)
    _decide(report_id, "employer_asked")

    declaration_submit(
        actor=other_actor,
        enterprise_id=other.pk,
        period="2026-09",
        lines=[
            LineInput(
                national_number=worked["person"].national_number,
                worker_category="employee",
                gross_wage="900.00",
                days_worked="5",
            )
        ],
        replace=False,
        channel="form",
        now=NOW,
    )

    assert DiscrepancyReport.objects.get().status == "awaiting_employer"
    assert not Notification.objects.filter(event_type="discrepancy_correction_received").exists()


@pytest.mark.parametrize(
    ("outcome", "reason", "seen", "code"),
    [
        ("", "A reason.", None, "outcome_required"),
        ("handled", "A reason.", None, "outcome_required"),
        ("not_founded", "   ", None, "reason_required"),
        ("not_founded", "x" * 2001, None, "reason_too_long"),
        # Someone else decided meanwhile: the page the staff member decided on is stale.
        ("not_founded", "A reason.", "awaiting_employer", "already_decided"),
    ],
)
def test_a_decision_without_outcome_or_reason_or_on_a_stale_page_changes_nothing(worked, outcome, reason, seen, code):
    report_id = _report(worked)
    with pytest.raises(DiscrepancyError) as refused:
        _decide(report_id, outcome, reason=reason, seen=seen)
    assert refused.value.code == code
    assert DiscrepancyReport.objects.get().status == "open"
    assert not DiscrepancyStep.objects.exists()
    assert not Notification.objects.filter(event_type="discrepancy_answered").exists()


def test_a_closed_case_cannot_be_decided_again_and_a_non_staff_actor_is_refused(worked):
    report_id = _report(worked)
    with pytest.raises(NotFound):
        discrepancy_decide(
            actor=citizen_actor(worked["owner"]),
            report_id=report_id,
            seen_status="open",
            outcome="not_founded",
            reason="I decide.",
            now=NOW,
        )
    assert _decide(report_id, "not_founded", reason="The wage declared is the one on the pay slip.") == "closed"
    for outcome in ("employer_asked", "corrected", "not_founded"):
        with pytest.raises(DiscrepancyError):
            _decide(report_id, outcome, seen="closed")
    assert DiscrepancyStep.objects.count() == 1
    assert Notification.objects.filter(event_type="discrepancy_answered").count() == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_the_person_reads_the_case_and_may_report_the_month_again_once_it_is_closed(worked, client):
    report_id = _report(worked)
    _decide(report_id, "not_founded", reason="The pay slip shows 1,800 euros, as declared.")
    sign_in(client, worked["owner"])
    record = client.get(reverse("contributions:record"), {"year": 2026}, headers={"Accept-Language": "en"})
    text = record.content.decode()
    assert "Reported: not founded" in text and "Report 2026-09 at Boulangerie again" in text

    page = client.get(reverse("contributions:record_case", args=[report_id]), headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "The pay slip shows 1,800 euros, as declared." in text
    assert "I worked in September; it is not declared." in text
    assert "Not founded" in text

    # A new report of the same month opens a new case.
    assert _report(worked, message="Here is my pay slip: 2,100 euros.") != report_id
    assert DiscrepancyReport.objects.filter(status="open").count() == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_the_case_page_is_the_persons_and_their_proxys_and_a_proxys_read_is_recorded(worked, client):
    report_id = _report(worked)
    url = reverse("contributions:record_case", args=[report_id])
    assert client.get(url).status_code == 302  # anonymous: to sign in

    stranger = UserFactory(person=PersonFactory())
    sign_in(client, stranger)
    assert client.get(url).status_code == 404
    assert client.get(reverse("contributions:record_case", args=[report_id + 1000])).status_code == 404

    proxy, mandate_id = proxy_for(client, worked["owner"], [Scope.VIEW_FILE])
    page = client.get(url, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Problem reported with 2026-09 in the record of Marie Dubois" in page.content.decode()
    read = AccessRecord.objects.get(actor_user=proxy, subject_person=worked["person"], mandate_id=mandate_id)
    assert read.detail == "reported problem"

    client.logout()
    proxy_for(client, worked["owner"], [Scope.MANAGE_CLAIMS], last_name="Other")
    assert client.get(url).status_code == 404


@pytest.mark.time_machine(NOW, tick=False)
def test_staff_judge_the_case_on_the_declarations_register_and_account_and_the_read_is_recorded(worked, client):
    assert _declare_september(worked, wage="1500.00").accepted
    report_id = _report(worked, message="My wage was 2,100 euros, not 1,500.")
    case_worker = with_totp(UserFactory(is_staff=True))
    case_worker.groups.add(Group.objects.get(name="Case worker"))
    sign_in(client, case_worker, mfa=True)
    url = reverse("admin:contributions_discrepancyreport_change", args=[report_id])

    page = client.get(url, headers={"Accept-Language": "en"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "Declarations of 2026-09 by this employer" in text and "1,500.00" in text
    assert "employment register" in text and "Covers the month" in text
    assert "The employer's account for 2026-09" in text
    assert "Record the outcome" in text
    read = AccessRecord.objects.get(
        actor_user=case_worker, subject_person=worked["person"], purpose="staff_registry_view"
    )
    assert read.detail == "reported problem, with the employer's declarations and account"

    decided = client.post(
        reverse("admin:contributions_discrepancyreport_decide", args=[report_id]),
        {"outcome": "employer_asked", "reason": "Declare the wage of the pay slip.", "seen_status": "open"},
    )
    assert decided.status_code == 302
    assert DiscrepancyReport.objects.get().status == "awaiting_employer"
    # A double submit of the same page changes nothing more.
    client.post(
        reverse("admin:contributions_discrepancyreport_decide", args=[report_id]),
        {"outcome": "employer_asked", "reason": "Declare the wage of the pay slip.", "seen_status": "open"},
    )
    assert DiscrepancyStep.objects.count() == 1
    assert Notification.objects.filter(event_type="discrepancy_correction_requested").count() == 2


def test_staff_who_may_only_read_cases_cannot_decide(worked, client):
    report_id = _report(worked)
    reader = with_totp(UserFactory(is_staff=True))
    reader.user_permissions.add(Permission.objects.get(codename="view_discrepancyreport"))
    sign_in(client, reader, mfa=True)

    page = client.get(reverse("admin:contributions_discrepancyreport_change", args=[report_id]))
    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    refused = client.post(
        reverse("admin:contributions_discrepancyreport_decide", args=[report_id]),
        {"outcome": "not_founded", "reason": "No.", "seen_status": "open"},
    )
    assert refused.status_code == 403
    assert DiscrepancyReport.objects.get().status == "open"
