"""Life certificates of pensioners living abroad, through the domain: the yearly campaign (who is
asked, told how, once), the reminders at 30 and 60 days, the suspension after the due day, a
certificate sent by a proxy and accepted by staff, the pension resumed with the months missed
paid as arrears by the next run; the remote identity check (once per click, settled once,
only by the pensioner); a case worker's suspension."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings

from benefits import services
from benefits.life import campaign, checks, notices
from benefits.models import (
    CertificateReview,
    Entitlement,
    EntitlementState,
    LifeCertificate,
    LifeCertificateRequest,
    LifeCheck,
    LifeCheckStatus,
    LifeRequestStatus,
    Payment,
    RunSkip,
    SuspensionReason,
)
from benefits.types import LifeRefused
from core.actor import ActingMode, Actor, LevelOfAssurance
from core.errors import NotFound
from core.models import AccessRecord
from core.periods import Period
from core.types import Scope
from mandates import services as mandate_services
from notifications.models import Notification
from tests.benefits.life_helpers import ASKED, at, certificate_send
from tests.benefits.payment_helpers import aware, checked_approved_written, pensioner
from tests.helpers import citizen_actor, staff_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def _abroad(first_name: str = "Jean", country: str = "ES", **kwargs) -> dict:
    with time_machine.travel(ASKED, tick=False):
        found = pensioner(start_on=D(2026, 2, 1), now=ASKED, first_name=first_name, **kwargs)
    found["person"].country = country
    found["person"].save()
    return found


def _events(person_id: int) -> list[str]:
    return list(
        Notification.objects.filter(recipient__person_id=person_id).order_by("pk").values_list("event_type", flat=True)
    )


def _proxy_of(principal: dict, scopes: list[str]) -> Actor:
    with at(D(2026, 5, 1)):
        proxy = UserFactory(person=PersonFactory(last_name="Proxy"))
        mandate_id = mandate_services.mandate_grant(
            actor=citizen_actor(principal["user"], level=LevelOfAssurance.SUBSTANTIAL),
            proxy_national_number=proxy.person.national_number,
            proxy_last_name="Proxy",
            scopes=scopes,
            starts_on=D(2026, 5, 1),
            ends_on=D(2026, 12, 31),
            now=aware(D(2026, 5, 1)),
        )
        mandate_services.mandate_accept(actor=citizen_actor(proxy), mandate_id=mandate_id, now=aware(D(2026, 5, 1)))
    return Actor(
        user_id=proxy.pk,
        level_of_assurance=LevelOfAssurance.LOW,
        mode=ActingMode.PROXY,
        person_id=proxy.person_id,
        subject_person_id=principal["person"].pk,
        mandate_id=mandate_id,
        scopes=frozenset(scopes),
    )


def _staff() -> int:
    return UserFactory(is_staff=True, person=PersonFactory(last_name="Agent")).pk


# --- The campaign ------------------------------------------------------------------------------------


def test_the_campaign_asks_each_living_pensioner_abroad_once_and_flags_a_letter_for_who_has_no_account(monkeypatch):
    monkeypatch.setattr(notices, "CHUNK", 1)  # told a chunk at a time
    jean = _abroad()
    _abroad(first_name="Home", country="BE")
    dead = _abroad(first_name="Dead")
    dead["person"].death_date = D(2026, 1, 20)
    dead["person"].save()
    with time_machine.travel(ASKED, tick=False):
        paper = pensioner(start_on=D(2026, 2, 1), now=ASKED, first_name="Paper")
    paper["person"].country = "MA"
    paper["person"].save()
    paper["user"].person = None  # no account in the pensioner's name
    paper["user"].save()

    with at(ASKED.date()):
        asked = campaign.life_certificates_ask(now=ASKED)
        again = campaign.life_certificates_ask(now=ASKED)

    assert (asked, again) == (2, 0)
    requests = {request.person_id: request for request in LifeCertificateRequest.objects.all()}
    assert set(requests) == {jean["person"].pk, paper["person"].pk}
    mine = requests[jean["person"].pk]
    assert (mine.year, mine.status, mine.due_on, mine.by_post, mine.letter_due) == (
        2026,
        LifeRequestStatus.ASKED,
        D(2026, 5, 3),
        False,
        False,
    )
    assert mine.reference == f"CV-2026-{mine.pk:06d}"
    assert (requests[paper["person"].pk].by_post, requests[paper["person"].pk].letter_due) == (True, True)
    assert _events(jean["person"].pk) == ["life_certificate_asked"]


@override_settings(LIFE_CERTIFICATE_CAMPAIGN_MONTH=3)
def test_nobody_is_asked_before_the_campaign_month():
    _abroad()
    with at(ASKED.date()):
        assert campaign.life_certificates_ask(now=ASKED) == 0
    assert not LifeCertificateRequest.objects.exists()


def test_reminders_go_out_at_30_and_60_days_once_each_then_the_pension_is_suspended_after_the_due_day():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)

    sent = {}
    for day in (D(2026, 3, 3), D(2026, 3, 4), D(2026, 3, 5), D(2026, 4, 3), D(2026, 4, 4)):
        with at(day):
            sent[day] = campaign.life_certificates_remind(now=aware(day))
    assert sent == {D(2026, 3, 3): 0, D(2026, 3, 4): 1, D(2026, 3, 5): 0, D(2026, 4, 3): 1, D(2026, 4, 4): 0}

    with at(D(2026, 5, 3)):
        on_the_due_day = campaign.life_certificates_lapse(now=aware(D(2026, 5, 3)))
    with at(D(2026, 5, 4)):
        lapsed = campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
        again = campaign.life_certificates_follow(now=aware(D(2026, 5, 4)))

    assert (on_the_due_day, lapsed) == (0, 1)
    assert again == {"asked": 0, "reminded": 0, "suspended": 0}
    request = LifeCertificateRequest.objects.get()
    assert (request.reminders, request.suspended_at) == (2, aware(D(2026, 5, 4)))
    jean["entitlement"].refresh_from_db()
    assert (jean["entitlement"].state, jean["entitlement"].suspension_reason) == (
        EntitlementState.SUSPENDED,
        SuspensionReason.LIFE_CERTIFICATE,
    )
    assert _events(jean["person"].pk) == [
        "life_certificate_asked",
        "life_certificate_reminder",
        "life_certificate_reminder",
        "life_certificate_suspended",
    ]


def test_a_job_that_missed_two_months_sends_one_reminder_a_day_never_two_at_once():
    _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    with at(D(2026, 4, 10)):
        first = campaign.life_certificates_remind(now=aware(D(2026, 4, 10)))
    with at(D(2026, 4, 11)):
        second = campaign.life_certificates_remind(now=aware(D(2026, 4, 11)))
    assert (first, second) == (1, 1)
    assert LifeCertificateRequest.objects.get().reminders == 2


# --- The full cycle ---------------------------------------------------------------------------------


def test_the_full_cycle_suspended_then_a_proxy_sends_the_certificate_staff_accept_and_the_arrears_are_paid():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    for month in (2, 3, 4):  # paid while the request waits
        with at(D(2026, month, 20)):
            run = services.payment_run_prepare(period=Period(2026, month), user_id=None, now=aware(D(2026, month, 20)))
            checked_approved_written(run.run_id, aware(D(2026, month, 20)))
    with at(D(2026, 5, 4)):
        campaign.life_certificates_follow(now=aware(D(2026, 5, 4)))
    with at(D(2026, 5, 20)):
        may = services.payment_run_prepare(period=Period(2026, 5), user_id=None, now=aware(D(2026, 5, 20)))
    assert not Payment.objects.filter(run_id=may.run_id).exists()
    assert RunSkip.objects.get(run_id=may.run_id).detail == SuspensionReason.LIFE_CERTIFICATE

    viewer = _proxy_of(jean, [Scope.VIEW_FILE])
    with pytest.raises(NotFound):
        certificate_send(viewer, jean["person"].pk, D(2026, 5, 25))
    manager = _proxy_of(jean, [Scope.MANAGE_CLAIMS])
    with at(D(2026, 5, 25)):
        certificate_id = certificate_send(manager, jean["person"].pk, D(2026, 5, 25))
        with pytest.raises(LifeRefused) as pending:
            certificate_send(manager, jean["person"].pk, D(2026, 5, 25))
    assert pending.value.code == "already_pending"
    assert LifeCertificate.objects.count() == 1
    assert LifeCertificateRequest.objects.get().status == LifeRequestStatus.RECEIVED
    assert AccessRecord.objects.filter(
        subject_person_id=jean["person"].pk, actor_user_id=manager.user_id, detail="life certificate sent"
    ).exists()

    with at(D(2026, 6, 1)):
        services.life_certificate_review(
            staff_user_id=_staff(), certificate_id=certificate_id, accept=True, reason="", now=aware(D(2026, 6, 1))
        )
    request = LifeCertificateRequest.objects.get()
    assert (request.status, request.confirmed_by) == (LifeRequestStatus.CONFIRMED, "certificate")
    jean["entitlement"].refresh_from_db()
    assert (jean["entitlement"].state, jean["entitlement"].suspension_reason) == (EntitlementState.ACTIVE, "")
    assert _events(jean["person"].pk)[-1] == "life_certificate_confirmed"
    assert Notification.objects.filter(
        event_type="life_certificate_confirmed", recipient_id=manager.user_id, context__resumed="yes"
    ).exists()

    with at(D(2026, 6, 20)):
        june = services.payment_run_prepare(period=Period(2026, 6), user_id=None, now=aware(D(2026, 6, 20)))
    payment = Payment.objects.get(run_id=june.run_id)
    assert (payment.months.lower, payment.months.upper) == (D(2026, 5, 1), D(2026, 7, 1))
    assert (payment.gross, payment.arrears, payment.amount) == (
        Decimal("2000.00"),
        Decimal("1000.00"),
        Decimal("2000.00"),
    )


def test_a_refused_certificate_tells_why_and_another_can_be_sent():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
        first = certificate_send(citizen_actor(jean["user"]), jean["person"].pk, ASKED.date())
        services.life_certificate_review(
            staff_user_id=_staff(), certificate_id=first, accept=False, reason="not_signed", now=ASKED
        )
        second = certificate_send(citizen_actor(jean["user"]), jean["person"].pk, ASKED.date())
    assert LifeCertificate.objects.get(pk=first).review == CertificateReview.REFUSED
    assert LifeCertificate.objects.get(pk=second).review == CertificateReview.PENDING
    assert Notification.objects.get(event_type="life_certificate_refused").context["reason"] == "not_signed"


def test_a_certificate_refused_near_the_due_day_leaves_a_month_to_send_another_before_any_suspension():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    refused_on = D(2026, 5, 1)  # two days before the due day
    with at(refused_on):
        sent = certificate_send(citizen_actor(jean["user"]), jean["person"].pk, refused_on)
        services.life_certificate_review(
            staff_user_id=_staff(), certificate_id=sent, accept=False, reason="too_old", now=aware(refused_on)
        )
    assert LifeCertificateRequest.objects.get().due_on == D(2026, 5, 31)
    with at(D(2026, 5, 4)):
        assert campaign.life_certificates_lapse(now=aware(D(2026, 5, 4))) == 0
    with at(D(2026, 6, 1)):
        assert campaign.life_certificates_lapse(now=aware(D(2026, 6, 1))) == 1


def test_the_suspension_leaves_a_benefit_not_started_or_already_ended_as_it_is():
    jean = _abroad()
    later = Entitlement.objects.create(
        person=jean["person"],
        scheme="disability_pension",
        periodicity="monthly",
        amount=Decimal("100.00"),
        start_on=D(2026, 9, 1),
        opened_at=ASKED,
    )
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    later.refresh_from_db()
    jean["entitlement"].refresh_from_db()
    assert (jean["entitlement"].state, later.state) == (EntitlementState.SUSPENDED, EntitlementState.ACTIVE)


def test_a_certificate_is_checked_once_never_by_who_sent_it_and_a_refusal_needs_a_reason():
    jean = _abroad()
    agent = UserFactory(is_staff=True, person=PersonFactory(last_name="Agent"))
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
        mine = certificate_send(citizen_actor(jean["user"]), jean["person"].pk, ASKED.date())
        with pytest.raises(LifeRefused) as no_reason:
            services.life_certificate_review(
                staff_user_id=agent.pk, certificate_id=mine, accept=False, reason="", now=ASKED
            )
        with pytest.raises(LifeRefused) as own:
            services.life_certificate_review(
                staff_user_id=jean["user"].pk, certificate_id=mine, accept=True, reason="", now=ASKED
            )
        assert LifeCertificate.objects.get(pk=mine).review == CertificateReview.PENDING
        services.life_certificate_review(staff_user_id=agent.pk, certificate_id=mine, accept=True, reason="", now=ASKED)
        with pytest.raises(LifeRefused) as moved:
            services.life_certificate_review(
                staff_user_id=agent.pk, certificate_id=mine, accept=False, reason="unreadable", now=ASKED
            )
    assert (no_reason.value.code, own.value.code, moved.value.code) == ("reason_required", "own_upload", "review_moved")
    assert LifeCertificate.objects.get(pk=mine).review == CertificateReview.ACCEPTED


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"", "document_empty"), (b"%PDF-1.4 not really", "document_type"), (b"GIF89a....", "document_type")],
)
def test_a_file_that_is_not_a_certificate_is_refused_and_nothing_is_stored(content, code):
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
        with pytest.raises(LifeRefused) as refused:
            certificate_send(citizen_actor(jean["user"]), jean["person"].pk, ASKED.date(), content)
    assert refused.value.code == code
    assert not LifeCertificate.objects.exists()
    assert LifeCertificateRequest.objects.get().status == LifeRequestStatus.ASKED


def test_nothing_can_be_sent_when_nothing_is_asked():
    jean = _abroad()
    with pytest.raises(LifeRefused) as refused:
        certificate_send(citizen_actor(jean["user"]), jean["person"].pk, ASKED.date())
    assert refused.value.code == "nothing_asked"


# --- The remote identity check ----------------------------------------------------------------------


class FakeProvider:
    """The outside provider, as the interface sees it: it records the calls."""

    name = "sandbox"

    def __init__(self) -> None:
        self.started: list[dict] = []
        self.answer = "pending"

    def start(self, **fields):
        self.started.append(fields)
        return checks.ProviderCheck(
            provider_check_id=f"remote-{len(self.started)}", redirect_url="https://idv.example/1"
        )

    def status(self, *, provider_check_id):
        return checks.ProviderCheckStatus(provider_check_id=provider_check_id, status=self.answer)

    def parse_callback(self, **_kwargs):
        raise AssertionError("not used")


def test_the_pensioner_passes_the_check_once_per_click_and_a_pass_confirms_the_year_and_resumes_the_pension():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    provider, intent, now = FakeProvider(), uuid.uuid4(), aware(D(2026, 5, 10))
    actor = citizen_actor(jean["user"])
    waiting = certificate_send(actor, jean["person"].pk, D(2026, 5, 9))  # in the staff's queue meanwhile
    with at(now.date()):
        check = checks.check_start(actor=actor, person_id=jean["person"].pk, intent=intent, now=now, provider=provider)
        again = checks.check_start(actor=actor, person_id=jean["person"].pk, intent=intent, now=now, provider=provider)
        assert (again.pk, len(provider.started)) == (check.pk, 1)
        assert provider.started[0]["given_name"] == "Jean"
        assert provider.started[0]["birth_date"] == D(1958, 4, 2)
        assert checks.check_refresh(check=check, now=now, provider=provider).status == LifeCheckStatus.PENDING
        provider.answer = "passed"
        settled = checks.check_refresh(check=check, now=now, provider=provider)
        provider.answer = "failed"
        later = checks.check_settle(
            provider_name="sandbox",
            reported=checks.ProviderCheckStatus(provider_check_id=check.provider_check_id, status="failed"),
            now=now,
        )
    assert settled.status == LifeCheckStatus.PASSED
    assert later is not None and later.status == LifeCheckStatus.PASSED  # the first final answer wins
    request = LifeCertificateRequest.objects.get()
    assert (request.status, request.confirmed_by) == (LifeRequestStatus.CONFIRMED, "remote_check")
    jean["entitlement"].refresh_from_db()
    assert jean["entitlement"].state == EntitlementState.ACTIVE
    assert _events(jean["person"].pk).count("life_certificate_confirmed") == 1
    # The certificate waiting for staff is not needed any more: it left their queue.
    certificate = LifeCertificate.objects.get(pk=waiting)
    assert (certificate.review, certificate.reviewed_by_id) == (CertificateReview.NOT_NEEDED, None)
    with pytest.raises(LifeRefused) as moved:
        services.life_certificate_review(
            staff_user_id=_staff(), certificate_id=waiting, accept=True, reason="", now=now
        )
    assert moved.value.code == "review_moved"


def test_a_proxy_cannot_pass_the_identity_check_for_the_pensioner():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    manager = _proxy_of(jean, [Scope.MANAGE_CLAIMS])
    provider = FakeProvider()
    with pytest.raises(LifeRefused) as refused:
        checks.check_start(
            actor=manager, person_id=jean["person"].pk, intent=uuid.uuid4(), now=ASKED, provider=provider
        )
    assert refused.value.code == "check_by_the_person"
    with pytest.raises(NotFound):
        checks.check_start(
            actor=citizen_actor(UserFactory(person=PersonFactory())),
            person_id=jean["person"].pk,
            intent=uuid.uuid4(),
            now=ASKED,
            provider=provider,
        )
    assert (provider.started, LifeCheck.objects.count()) == ([], 0)


# --- A case worker's suspension -----------------------------------------------------------------------


def test_a_case_worker_suspends_and_resumes_a_benefit_with_a_notice_each_time_and_arrears_after():
    jean = _abroad(country="BE")
    entitlement_id = jean["entitlement"].pk
    with at(D(2026, 3, 2)):
        agent = _staff()
        with pytest.raises(LifeRefused) as without_reason:
            services.entitlement_suspend(
                entitlement_id=entitlement_id, user_id=agent, note=" ", now=aware(D(2026, 3, 2))
            )
        assert without_reason.value.code == "note_required"
        services.entitlement_suspend(
            entitlement_id=entitlement_id, user_id=agent, note="An inquiry.", now=aware(D(2026, 3, 2))
        )
        with pytest.raises(LifeRefused):
            services.entitlement_suspend(
                entitlement_id=entitlement_id, user_id=agent, note="Again.", now=aware(D(2026, 3, 2))
            )
    with at(D(2026, 3, 20)):
        march = services.payment_run_prepare(period=Period(2026, 3), user_id=None, now=aware(D(2026, 3, 20)))
    assert RunSkip.objects.get(run_id=march.run_id).detail == SuspensionReason.STAFF
    with at(D(2026, 4, 2)):
        assert services.entitlement_resume(entitlement_id=entitlement_id, user_id=agent, now=aware(D(2026, 4, 2)))
    with at(D(2026, 4, 20)):
        april = services.payment_run_prepare(period=Period(2026, 4), user_id=None, now=aware(D(2026, 4, 20)))
    payment = Payment.objects.get(run_id=april.run_id)
    assert (payment.gross, payment.arrears) == (Decimal("3000.00"), Decimal("2000.00"))  # February and March
    assert _events(jean["person"].pk) == ["benefit_suspended", "benefit_resumed"]


def test_a_benefit_suspended_for_a_life_certificate_is_not_resumed_by_a_case_worker():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    with pytest.raises(LifeRefused) as refused:
        services.entitlement_resume(entitlement_id=jean["entitlement"].pk, user_id=_staff(), now=aware(D(2026, 5, 5)))
    assert refused.value.code == "suspended_for_life_certificate"
    jean["entitlement"].refresh_from_db()
    assert jean["entitlement"].suspension_reason == SuspensionReason.LIFE_CERTIFICATE


def test_a_one_off_grant_or_a_benefit_past_its_end_cannot_be_suspended():
    once = _abroad(country="BE", periodicity="once", first_name="Once")
    ended = _abroad(country="BE", end_on=D(2026, 2, 28), first_name="Ended")
    for found in (once, ended):
        with pytest.raises(LifeRefused) as refused:
            services.entitlement_suspend(
                entitlement_id=found["entitlement"].pk, user_id=_staff(), note="An inquiry.", now=aware(D(2026, 3, 2))
            )
        assert refused.value.code == "not_active"
        found["entitlement"].refresh_from_db()
        assert found["entitlement"].state == EntitlementState.ACTIVE


def test_staff_cannot_send_a_certificate_in_a_file_they_do_not_serve():
    agent = UserFactory(is_staff=True, person=PersonFactory(last_name="Agent"))
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    with pytest.raises(NotFound):
        certificate_send(staff_actor(agent), jean["person"].pk, ASKED.date())


# --- Suspensions that meet, one cycle at a time, four eyes ---------------------------------------------


def _lapsed(jean: dict) -> None:
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))


def test_a_case_worker_lifting_a_suspension_leaves_the_benefit_suspended_while_the_certificate_is_missing():
    jean = _abroad()
    agent = _staff()
    with at(D(2026, 3, 2)):
        campaign.life_certificates_ask(now=ASKED)
        services.entitlement_suspend(
            entitlement_id=jean["entitlement"].pk, user_id=agent, note="An inquiry.", now=aware(D(2026, 3, 2))
        )
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    with at(D(2026, 5, 10)):
        paid_again = services.entitlement_resume(
            entitlement_id=jean["entitlement"].pk, user_id=agent, now=aware(D(2026, 5, 10))
        )
    jean["entitlement"].refresh_from_db()
    assert paid_again is False
    assert (jean["entitlement"].state, jean["entitlement"].suspension_reason) == (
        EntitlementState.SUSPENDED,
        SuspensionReason.LIFE_CERTIFICATE,
    )
    assert "benefit_resumed" not in _events(jean["person"].pk)


def test_a_benefit_granted_after_the_lapse_is_suspended_the_next_day_and_the_person_told():
    jean = _abroad()
    _lapsed(jean)
    later = Entitlement.objects.create(
        person=jean["person"],
        scheme="disability_pension",
        periodicity="monthly",
        amount=Decimal("100.00"),
        start_on=D(2026, 5, 1),
        opened_at=aware(D(2026, 5, 10)),
    )
    with at(D(2026, 5, 11)):
        assert campaign.life_certificates_lapse(now=aware(D(2026, 5, 11))) == 0  # no new lapse
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 12)))
    later.refresh_from_db()
    assert (later.state, later.suspension_reason) == (EntitlementState.SUSPENDED, SuspensionReason.LIFE_CERTIFICATE)
    assert _events(jean["person"].pk).count("life_certificate_suspended") == 2


def test_a_lapse_stops_the_months_payment_not_yet_sent_and_it_is_paid_once_the_certificate_is_accepted():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    with at(D(2026, 4, 20)):
        april = services.payment_run_prepare(period=Period(2026, 4), user_id=None, now=aware(D(2026, 4, 20)))
        checked_approved_written(april.run_id, aware(D(2026, 4, 20)))  # February to April, in the bank's file
    with at(D(2026, 4, 22)):
        campaign.life_certificates_lapse(now=aware(D(2026, 4, 22)))  # due on 3 May: nothing yet
    assert Payment.objects.get(run_id=april.run_id).status == "pending"
    with at(D(2026, 5, 20)):
        may = services.payment_run_prepare(period=Period(2026, 5), user_id=None, now=aware(D(2026, 5, 20)))
    with at(D(2026, 5, 21)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 21)))
    assert Payment.objects.get(run_id=may.run_id).status == "stopped"
    with at(D(2026, 6, 1)):
        sent = certificate_send(citizen_actor(jean["user"]), jean["person"].pk, D(2026, 6, 1))
        services.life_certificate_review(
            staff_user_id=_staff(), certificate_id=sent, accept=True, reason="", now=aware(D(2026, 6, 1))
        )
    with at(D(2026, 6, 20)):
        june = services.payment_run_prepare(period=Period(2026, 6), user_id=None, now=aware(D(2026, 6, 20)))
    payment = Payment.objects.get(run_id=june.run_id)
    assert (payment.months.lower, payment.gross, payment.arrears) == (
        D(2026, 5, 1),
        Decimal("2000.00"),
        Decimal("1000.00"),
    )


def test_a_new_year_is_not_asked_while_the_last_request_is_open_nor_just_after_it_is_answered():
    jean = _abroad()
    _lapsed(jean)
    with at(D(2027, 1, 5)):
        assert campaign.life_certificates_ask(now=aware(D(2027, 1, 5))) == 0
        sent = certificate_send(citizen_actor(jean["user"]), jean["person"].pk, D(2027, 1, 5))
        services.life_certificate_review(
            staff_user_id=_staff(), certificate_id=sent, accept=True, reason="", now=aware(D(2027, 1, 5))
        )
    with at(D(2027, 1, 6)):  # the life just proved counts for a while
        assert campaign.life_certificates_ask(now=aware(D(2027, 1, 6))) == 0
    with at(D(2027, 7, 5)):
        assert campaign.life_certificates_ask(now=aware(D(2027, 7, 5))) == 1
    assert list(LifeCertificateRequest.objects.order_by("year").values_list("year", "status")) == [
        (2026, LifeRequestStatus.CONFIRMED),
        (2027, LifeRequestStatus.ASKED),
    ]


def test_staff_never_check_their_own_certificate_nor_suspend_their_own_benefit():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    jean["user"].is_staff = True
    jean["user"].save()
    proxy = _proxy_of(jean, [Scope.MANAGE_CLAIMS])
    sent = certificate_send(proxy, jean["person"].pk, D(2026, 5, 2))
    with pytest.raises(LifeRefused) as own_request:
        services.life_certificate_review(
            staff_user_id=jean["user"].pk, certificate_id=sent, accept=True, reason="", now=aware(D(2026, 5, 2))
        )
    with pytest.raises(LifeRefused) as own_benefit:
        services.entitlement_suspend(
            entitlement_id=jean["entitlement"].pk, user_id=jean["user"].pk, note="Mine.", now=aware(D(2026, 5, 2))
        )
    assert (own_request.value.code, own_benefit.value.code) == ("own_request", "own_benefit")
    assert LifeCertificate.objects.get(pk=sent).review == CertificateReview.PENDING


def test_an_abandoned_check_is_cancelled_unasked_and_an_unknown_final_answer_is_a_failure():
    jean = _abroad()
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)
    provider, actor = FakeProvider(), citizen_actor(jean["user"])
    old = checks.check_start(
        actor=actor, person_id=jean["person"].pk, intent=uuid.uuid4(), now=ASKED, provider=provider
    )
    later = ASKED + datetime.timedelta(hours=30)
    recent = checks.check_start(
        actor=actor, person_id=jean["person"].pk, intent=uuid.uuid4(), now=later, provider=provider
    )
    provider.answer = "expired"
    settled = checks.checks_reconcile(now=later + datetime.timedelta(minutes=10), provider=provider)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert settled == 2
    assert (old.status, recent.status) == (LifeCheckStatus.CANCELLED, LifeCheckStatus.FAILED)
    assert LifeCertificateRequest.objects.get().status == LifeRequestStatus.ASKED
