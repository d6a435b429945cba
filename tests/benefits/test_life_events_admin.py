"""The back office of life events in: a security officer registers a civil registry partner (its
key and secret shown once) and revokes it; a registry clerk follows the events and sends a failed
one back to be applied, each event page recorded in its person's trail; who may do what."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from benefits import services
from benefits.models import AttributionRule, LifeEvent, LifeEventState, Proposal, RegistryPartner
from core.models import AccessRecord
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}


def _text(response) -> str:
    """The page's words, its entities read (no-break spaces kept)."""
    words = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return re.sub(r"[ \t\r\n]+", " ", words)


def _staff(role: str):
    user = with_totp(UserFactory(is_staff=True))
    user.groups.add(Group.objects.get(name=role))
    return user


def _failed_event() -> LifeEvent:
    partner_id, _key, _secret = services.partner_create(
        name="Registre", scopes=["death"], user_id=None, now=timezone.now()
    )
    person = PersonFactory(birth_date=datetime.date(1950, 1, 1))
    return LifeEvent.objects.create(
        partner_id=partner_id,
        partner_event_id="EC-1",
        kind="death",
        occurred_on=datetime.date(1940, 1, 1),
        data={"person": person.national_number},
        received_at=timezone.now(),
        state=LifeEventState.FAILED,
        failure_code="death_before_birth",
        person=person,
    )


def test_a_security_officer_registers_a_partner_whose_key_and_secret_are_shown_once(client):
    officer = _staff("Security officer")
    sign_in(client, officer, mfa=True)
    add = reverse("admin:benefits_registrypartner_add")

    response = client.post(add, {"name": "Registre national", "scopes": ["birth", "death"]}, headers=EN)

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key, secret = response.context["key"], response.context["secret"]
    page = response.content.decode()
    assert key in page and secret in page
    partner = RegistryPartner.objects.get()
    assert (partner.name, partner.scopes, partner.registered_by_id) == (
        "Registre national",
        ["birth", "death"],
        officer.pk,
    )
    assert key not in (partner.key_digest, partner.key_prefix)
    assert services.partner_authenticate(key=key) == partner
    # Not shown again.
    listed = client.get(reverse("admin:benefits_registrypartner_changelist"), headers=EN).content.decode()
    assert key not in listed and secret not in listed
    # A second partner of the same name, or without scopes, is refused.
    again = client.post(add, {"name": "Registre national", "scopes": ["death"]}, headers=EN)
    assert again.context["form"].errors == {"name": ["A partner already has this name."]}
    assert client.post(add, {"name": "Autre"}, headers=EN).context["form"].errors == {
        "scopes": ["This field is required."]
    }
    # Revoked: its key no longer authenticates.
    client.post(
        reverse("admin:benefits_registrypartner_changelist"),
        {"action": "revoke", "_selected_action": [partner.pk]},
    )
    assert services.partner_authenticate(key=key) is None


def test_a_registry_clerk_sends_a_failed_event_back_and_its_page_is_recorded_in_the_persons_trail(client):
    event = _failed_event()
    clerk = _staff("Registry clerk")
    sign_in(client, clerk, mfa=True)

    listed = client.get(reverse("admin:benefits_lifeevent_changelist"), {"state": "failed"}, headers=EN)
    page = client.get(reverse("admin:benefits_lifeevent_change", args=[event.pk]), headers=EN)
    response = client.post(
        reverse("admin:benefits_lifeevent_changelist"), {"action": "retry", "_selected_action": [event.pk]}
    )

    assert [row.pk for row in listed.context["cl"].result_list] == [event.pk]
    assert "death_before_birth" in page.content.decode()
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.state, event.retried_by_id) == (LifeEventState.RECEIVED, clerk.pk)
    assert AccessRecord.objects.filter(subject_person_id=event.person_id, actor_user_id=clerk.pk).count() == 2


@pytest.mark.parametrize(
    ("role", "events", "partners"),
    [
        ("Registry clerk", 200, 403),
        ("Security officer", 403, 200),
        ("Case worker", 403, 403),
        ("Finance", 403, 403),
    ],
)
def test_who_may_open_the_events_and_the_partners(client, role, events, partners):
    event = _failed_event()
    sign_in(client, _staff(role), mfa=True)

    assert client.get(reverse("admin:benefits_lifeevent_changelist")).status_code == events
    assert client.get(reverse("admin:benefits_registrypartner_changelist")).status_code == partners
    assert client.get(reverse("admin:benefits_registrypartner_add")).status_code == partners
    retried = client.post(
        reverse("admin:benefits_lifeevent_changelist"), {"action": "retry", "_selected_action": [event.pk]}
    )
    assert retried.status_code in (302, 403)
    event.refresh_from_db()
    assert event.state == (LifeEventState.RECEIVED if events == 200 else LifeEventState.FAILED)


def test_anonymous_and_citizens_are_sent_to_sign_in(client):
    _failed_event()
    for user in (None, UserFactory()):
        if user is not None:
            sign_in(client, user)
        response = client.get(reverse("admin:benefits_lifeevent_changelist"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# --- Attribution rules and the verification queue -----------------------------------------------


def _proposal(status: str = "to_verify") -> Proposal:
    person = PersonFactory(birth_date=datetime.date(1985, 1, 1))
    return Proposal.objects.create(
        person=person,
        scheme="birth_grant",
        periodicity="once",
        trigger="birth",
        month=datetime.date(2026, 3, 1),
        amount="1200.00",
        computation={"conditions": [], "amount": "1200.00", "eligible": True},
        rules_fingerprint="f",
        openfisca_core="46",
        data_version="v",
        status=status,
        created_at=timezone.now(),
        reference="PRO-2026-000001",
    )


def test_a_supervisor_switches_a_rule_on_and_who_did_it_is_kept(client):
    supervisor = _staff("Supervisor")
    sign_in(client, supervisor, mfa=True)
    rule = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")
    assert (rule.enabled, rule.auto_verify) == (False, True)  # created off by the migration

    response = client.post(
        reverse("admin:benefits_attributionrule_change", args=[rule.pk]),
        {"enabled": "on", "auto_verify": "on", "sample_share": "0.25"},
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.enabled, rule.auto_verify, rule.sample_share, rule.changed_by_id) == (
        True,
        True,
        Decimal("0.250"),
        supervisor.pk,
    )
    refused = client.post(
        reverse("admin:benefits_attributionrule_change", args=[rule.pk]),
        {"enabled": "on", "sample_share": "1.5"},
    )
    assert refused.status_code == 200
    rule.refresh_from_db()
    assert rule.sample_share == Decimal("0.250")


def test_the_rules_are_named_by_their_benefit_and_their_shares_read_as_percentages(client):
    supervisor = _staff("Supervisor")
    sign_in(client, supervisor, mfa=True)
    AttributionRule.objects.filter(trigger="birth", scheme="birth_grant").update(sample_share=Decimal("0.025"))
    rule = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")

    french = _text(client.get(reverse("admin:benefits_attributionrule_changelist"), headers={"Accept-Language": "fr"}))
    english = _text(client.get(reverse("admin:benefits_attributionrule_changelist"), headers=EN))
    page = _text(client.get(reverse("admin:benefits_attributionrule_change", args=[rule.pk]), headers=EN))

    assert "2,5\u00a0%" in french and "10\u00a0%" in french and "0,025" not in french
    assert "2.5%" in english and "10%" in english
    assert "Attribution rules › Birth grant (a birth)" in page
    assert "birth_grant" not in page


def test_a_case_worker_confirms_a_proposal_from_the_queue_and_withdraws_another_with_a_reason(client):
    first, second = _proposal(), _proposal()
    second.person = PersonFactory()
    second.reference = "PRO-2026-000002"
    second.save()
    worker = _staff("Case worker")
    sign_in(client, worker, mfa=True)

    queue = client.get(reverse("admin:benefits_proposal_changelist"), {"status__exact": "to_verify"}, headers=EN)
    page = client.get(reverse("admin:benefits_proposal_change", args=[first.pk]), headers=EN).content.decode()
    confirmed = client.post(reverse("admin:benefits_proposal_verify", args=[first.pk]))
    no_reason = client.post(reverse("admin:benefits_proposal_withdraw", args=[second.pk]), {"note": ""})
    withdrawn = client.post(reverse("admin:benefits_proposal_withdraw", args=[second.pk]), {"note": "Twins"})

    assert [row.pk for row in queue.context["cl"].result_list] == [first.pk, second.pk]
    assert "Confirm the proposal" in page and "Withdraw the proposal" in page
    assert confirmed.status_code == withdrawn.status_code == no_reason.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.verified_by_id) == ("offered", worker.pk)
    assert (second.status, second.note) == ("withdrawn", "Twins")
    # Each page read is in the person's trail.
    assert AccessRecord.objects.filter(subject_person_id=first.person_id, actor_user_id=worker.pk).exists()


@pytest.mark.parametrize(
    ("role", "proposals", "verify", "rules"),
    [
        ("Case worker", 200, True, 403),
        ("Supervisor", 200, False, 200),
        ("Finance", 403, False, 403),
        ("Registry clerk", 403, False, 403),
    ],
)
def test_who_may_verify_proposals_and_change_rules(client, role, proposals, verify, rules):
    proposal = _proposal()
    sign_in(client, _staff(role), mfa=True)
    rule = AttributionRule.objects.first()

    assert client.get(reverse("admin:benefits_proposal_changelist")).status_code == proposals
    assert client.get(reverse("admin:benefits_attributionrule_change", args=[rule.pk])).status_code == rules
    assert client.get(reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk])).status_code == rules
    response = client.post(reverse("admin:benefits_proposal_verify", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert (proposal.status == "offered") is verify
    assert response.status_code == (302 if verify else 403)


def test_the_dry_run_asks_a_signed_in_staff_member(client):
    rule = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")
    response = client.get(reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
