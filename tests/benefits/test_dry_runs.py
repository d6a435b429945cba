"""A rule's dry run asked from its page: queued for a worker (the page never waits), computed by
a real Celery worker on the "attribution" queue, its result kept and shown with who asked —
asked twice, one run; run twice, computed once; lost, queued again; failed, said so."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from benefits import services
from benefits.models import AttributionDryRun, AttributionRule, DryRunState, LifeEvent, Proposal
from core.tasks import CLAIM_GRACE
from identity.country_profiles import country_profile
from notifications.models import Notification
from portal.celery import app
from tests.benefits.career_helpers import career
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

EN = {"Accept-Language": "en"}
QUEUES = ["attribution"]


@pytest.fixture(autouse=True)
def _empty_queue() -> Iterator[None]:
    """Messages left in the test broker by an earlier run must not be mistaken for ours."""
    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)
    yield
    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)


def _wait_until(condition: Callable[[], bool], *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _supervisor():
    user = with_totp(UserFactory(is_staff=True))
    user.groups.add(Group.objects.get(name="Supervisor"))
    return user


def _a_birth_last_month() -> None:
    """Ana, insured for years, had a child 20 days ago: in the registry, received from a
    partner and applied (the birth rules are off: nothing proposed)."""
    today = timezone.localdate()
    ana = PersonFactory(first_name="Ana", birth_date=datetime.date(1990, 5, 5))
    career(ana, "2015-01", "2025-06", "2400.00")
    born = today - datetime.timedelta(days=20)
    partner_id = services.partner_create(name="Registre", scopes=["birth"], user_id=None, now=timezone.now())[0]
    number = country_profile().synthetic_person_number(born, 101)
    services.life_events_receive(
        partner_id=partner_id,
        events=[
            services.EventInput(
                "N-1",
                "birth",
                born,
                {
                    "child": {"national_number": number, "first_name": "Léo", "last_name": "Martin"},
                    "parents": [ana.national_number],
                },
            )
        ],
        now=timezone.now(),
    )
    assert services.life_events_apply(now=timezone.now()) == 1


def _counts() -> tuple[int, int, int]:
    return Proposal.objects.count(), Notification.objects.count(), LifeEvent.objects.count()


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_asks_for_a_dry_run_a_real_worker_computes_it_and_the_page_shows_it(client):
    _a_birth_last_month()
    supervisor = _supervisor()
    sign_in(client, supervisor, mfa=True)
    rule = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")
    page = reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk])
    before = _counts()

    first = client.get(page, headers=EN).content.decode()
    assert "This rule has not been run dry yet." in first and "Run the dry run" in first
    asked = client.post(page, headers=EN)
    again = client.post(page, headers=EN)  # a double click: the run already waiting
    waiting = client.get(page, headers=EN).content.decode()

    assert asked.status_code == again.status_code == 302 and asked["Location"] == page
    run = AttributionDryRun.objects.get()
    assert (run.state, run.requested_by_id, run.lines) == (DryRunState.QUEUED, supervisor.pk, [])
    assert "a worker is running it" in waiting and "Run the dry run" not in waiting

    with start_worker(app, pool="solo", perform_ping_check=False, queues=QUEUES, shutdown_timeout=30):
        _wait_until(lambda: AttributionDryRun.objects.get().state != DryRunState.QUEUED)

    run.refresh_from_db()
    expected = services.attribution_rule_dry_run(rule_id=rule.pk, now=timezone.now())
    assert run.state == DryRunState.DONE and run.read == expected.persons_read == 1
    assert services.attribution_dry_run_result(run).lines == expected.lines
    assert [line.proposals for line in expected.lines] == [1]
    shown = client.get(page, headers=EN)
    text = shown.content.decode()
    assert "The registry recorded 1 such event in the last 12 months" in text
    assert shown.context["result"] == services.attribution_dry_run_result(run)
    assert "Run the dry run" in text and supervisor.email in text
    assert _counts() == before  # nothing written but the run


@pytest.mark.django_db
def test_a_run_computed_twice_is_computed_once_and_a_lost_one_is_queued_again(monkeypatch):
    rule = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")
    queued: list[tuple[str, dict]] = []
    monkeypatch.setattr("benefits.attribution.dry_runs.enqueue", lambda task, **kwargs: queued.append((task, kwargs)))
    asked_at = timezone.now() - CLAIM_GRACE * 2
    run_id = services.attribution_dry_run_request(rule_id=rule.pk, user_id=None, now=asked_at)
    assert queued == [("benefits.attribution_dry_run", {"run_id": run_id})]

    # The message lost: the reconciler finds the run waiting and unlocked.
    assert services.attribution_dry_runs_reconcile(now=timezone.now()) == 1
    assert queued[-1] == ("benefits.attribution_dry_run", {"run_id": run_id})
    assert services.attribution_dry_run_perform(run_id=run_id, now=timezone.now()) is True
    finished = AttributionDryRun.objects.get().finished_at
    assert services.attribution_dry_run_perform(run_id=run_id, now=timezone.now()) is False
    assert AttributionDryRun.objects.get().finished_at == finished
    assert services.attribution_dry_runs_reconcile(now=timezone.now()) == 0
    # Done: the next one is a new run.
    assert services.attribution_dry_run_request(rule_id=rule.pk, user_id=None, now=timezone.now()) != run_id


@pytest.mark.django_db
def test_a_run_that_fails_says_so_on_the_page(client, monkeypatch):
    rule = AttributionRule.objects.get(trigger="birth", scheme="birth_grant")
    monkeypatch.setattr("benefits.attribution.dry_runs.enqueue", lambda task, **kwargs: None)
    run_id = services.attribution_dry_run_request(rule_id=rule.pk, user_id=None, now=timezone.now())

    def broken(**_kwargs):
        raise ValueError("no such scheme")

    monkeypatch.setattr("benefits.attribution.dry_runs.rule_dry_run", broken)
    assert services.attribution_dry_run_perform(run_id=run_id, now=timezone.now()) is False

    run = AttributionDryRun.objects.get()
    assert (run.state, run.error) == (DryRunState.FAILED, "ValueError: no such scheme")
    sign_in(client, _supervisor(), mfa=True)
    text = client.get(reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk]), headers=EN).content.decode()
    assert "Failed: ValueError: no such scheme" in text and "Run the dry run" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "read", "asks"), [("Supervisor", 200, 302), ("Case worker", 403, 403), ("Finance", 403, 403)]
)
def test_who_may_read_and_ask_for_a_dry_run(client, role, read, asks, monkeypatch):
    monkeypatch.setattr("benefits.attribution.dry_runs.enqueue", lambda task, **kwargs: None)
    user = with_totp(UserFactory(is_staff=True))
    user.groups.add(Group.objects.get(name=role))
    sign_in(client, user, mfa=True)
    rule = AttributionRule.objects.get(trigger="pension_age")
    page = reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk])

    assert client.get(page).status_code == read
    assert client.post(page).status_code == asks
    assert AttributionDryRun.objects.count() == (1 if asks == 302 else 0)
    unknown = reverse("admin:benefits_attributionrule_dry_run", args=[999_999])
    assert client.post(unknown).status_code == (404 if read == 200 else 403)
