"""A statement rendered on a worker: exactly once (run twice, at the same time as another copy,
after a worker died mid-render), its code and its file stored together or not at all; transient
errors handed back and retried, a statement that cannot be made failed for good and said why;
the person (and the proxy who asked) told; the reconciler queueing again what nobody works on;
the files dropped after STATEMENT_KEEP_DAYS while their codes still verify."""

import datetime
import threading

import pytest
import weasyprint
from django.conf import settings as django_settings
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from contributions import statements, tasks
from contributions.models import StatementRequest
from core import tasks as core_tasks
from core.actor import ActingMode, Actor, LevelOfAssurance
from core.documents import document_verify
from core.models import VerifiableDocument
from core.types import Scope
from mandates import services as mandate_services
from notifications.models import Notification
from notifications.services import render_part
from tests.contributions.statement_helpers import (
    CODE,
    ISSUED_AT,
    RENDERED_AT,
    ask,
    career_build,
    in_language,
    pdf_text,
    render,
)
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

LATER = RENDERED_AT + datetime.timedelta(minutes=5)


@pytest.fixture
def career(settings):
    settings.STATEMENT_REQUEUE_AFTER_SECONDS = 60
    settings.STATEMENT_KEEP_DAYS = 30
    return career_build(settings)


@pytest.fixture
def queued(monkeypatch):
    """The renderings sent to the broker (the outside world), by statement (other tasks, such as
    the fold of the declarations the career brought into force, are not noted)."""
    sent: list[int] = []

    def send_task(name, kwargs):
        if name == "contributions.statement_render":
            sent.append(kwargs["statement_id"])

    monkeypatch.setattr(core_tasks.current_app, "send_task", send_task)
    return sent


def _row(statement_id):
    return StatementRequest.objects.get(pk=statement_id)


def _told(statement_id):
    return list(
        Notification.objects.filter(link=f"/my-file/contributions/statements/{statement_id}/")
        .order_by("recipient_id")
        .values_list("recipient_id", "on_behalf_of_person_id", "event_type", "context")
    )


def _failing_weasyprint(monkeypatch, error):
    def write_pdf(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", write_pdf)


# --- Once ---------------------------------------------------------------------------------------


def test_rendering_stores_the_file_with_its_code_and_tells_the_person_once(career):
    statement_id = ask(career, 2026, 2027).statement_id

    assert statements.statement_render(statement_id=statement_id, now=RENDERED_AT) is True
    assert statements.statement_render(statement_id=statement_id, now=LATER) is False

    statement = _row(statement_id)
    assert (statement.status, statement.attempts, statement.started_at, statement.finished_at) == (
        "ready",
        1,
        RENDERED_AT,
        RENDERED_AT,
    )
    document = VerifiableDocument.objects.get()
    assert statement.document_id == document.pk
    assert bytes(statement.content)[:5] == b"%PDF-"
    assert statement.size == len(bytes(statement.content))
    assert _told(statement_id) == [
        (
            career["owner"].pk,
            None,
            "contribution_statement_processed",
            {"ready": True, "year_from": 2026, "year_to": 2027, "kept_days": 30},
        )
    ]


def test_a_statement_taken_by_a_worker_a_moment_ago_is_left_to_it(career):
    """Between its claim and its row lock, a rendering holds nothing: CLAIM_GRACE covers it."""
    statement_id = ask(career, None, None).statement_id
    StatementRequest.objects.filter(pk=statement_id).update(started_at=RENDERED_AT, attempts=1, claim="first")

    assert (
        statements.statement_render(statement_id=statement_id, now=RENDERED_AT + datetime.timedelta(seconds=4)) is False
    )

    statement = _row(statement_id)
    assert (statement.status, statement.attempts, statement.claim) == ("pending", 1, "first")
    assert not VerifiableDocument.objects.exists()


def test_a_claim_taken_and_not_locked_past_the_grace_is_taken_over_and_counted(career):
    statement_id = ask(career, None, None).statement_id
    # Its worker died: the claim stays, the lock went with its connection.
    StatementRequest.objects.filter(pk=statement_id).update(started_at=RENDERED_AT, attempts=1, claim="killed")

    statement = render(statement_id, now=RENDERED_AT + datetime.timedelta(seconds=6))

    assert (statement.status, statement.attempts, statement.claim_taken_over) == ("ready", 2, "killed")
    assert VerifiableDocument.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_statement_being_rendered_is_skipped_by_another_copy_and_by_the_reconciler(settings, queued):
    career = career_build(settings)
    settings.STATEMENT_REQUEUE_AFTER_SECONDS = 0
    statement_id = ask(career, None, None).statement_id
    queued.clear()
    locked, release = threading.Event(), threading.Event()

    def rendering_worker():
        # Another worker holding the row, as a rendering does from start to commit.
        try:
            with transaction.atomic():
                StatementRequest.objects.select_for_update().get(pk=statement_id)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=rendering_worker)
    other.start()
    try:
        assert locked.wait(10)
        assert statements.statement_render(statement_id=statement_id, now=LATER) is False
        assert statements.statements_reconcile(now=LATER) == 0
    finally:
        release.set()
        other.join()

    statement = _row(statement_id)
    assert (statement.status, statement.attempts, statement.started_at) == ("pending", 0, None)
    assert queued == []
    assert statements.statement_render(statement_id=statement_id, now=LATER) is True
    assert (_row(statement_id).status, VerifiableDocument.objects.count()) == ("ready", 1)


def test_a_worker_killed_mid_render_leaves_it_pending_and_the_reconciler_queues_it_again(career, queued):
    statement_id = ask(career, None, None).statement_id
    # A worker took it at RENDERED_AT and died rendering: its transaction rolled back, its claim stays.
    StatementRequest.objects.filter(pk=statement_id).update(started_at=RENDERED_AT, queued_at=RENDERED_AT, attempts=1)

    # Taken and not locked: nobody renders it, no need to wait for STATEMENT_REQUEUE_AFTER_SECONDS.
    assert statements.statements_reconcile(now=RENDERED_AT + datetime.timedelta(seconds=4)) == 0
    assert queued == []
    assert statements.statements_reconcile(now=RENDERED_AT + datetime.timedelta(seconds=6)) == 1
    assert _row(statement_id).queued_at == RENDERED_AT + datetime.timedelta(seconds=6)
    # Queued again once, not at every pass while its copy waits in the queue.
    assert statements.statements_reconcile(now=RENDERED_AT + datetime.timedelta(seconds=21)) == 0

    render(statement_id, now=RENDERED_AT + datetime.timedelta(seconds=22))

    statement = _row(statement_id)
    assert (statement.status, statement.attempts) == ("ready", 2)
    assert VerifiableDocument.objects.count() == 1
    assert len(_told(statement_id)) == 1


def test_the_reconciler_queues_again_only_what_is_pending_and_waiting(
    career, queued, django_capture_on_commit_callbacks
):
    lost = ask(career, 2025, 2025).statement_id
    recent = ask(career, 2026, 2026, now=LATER - datetime.timedelta(seconds=10)).statement_id
    done = ask(career, 2027, 2027).statement_id
    render(done)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert statements.statements_reconcile(now=LATER) == 1

    assert queued == [lost]
    assert [_row(pk).queued_at for pk in (lost, recent, done)] == [
        LATER,
        LATER - datetime.timedelta(seconds=10),
        RENDERED_AT,
    ]


def test_a_statement_whose_renderings_never_end_fails_for_good_after_the_last_attempt(career):
    statement_id = ask(career, None, None).statement_id
    StatementRequest.objects.filter(pk=statement_id).update(attempts=statements.RENDER_MAX_ATTEMPTS)

    assert statements.statement_render(statement_id=statement_id, now=LATER) is False

    statement = _row(statement_id)
    assert (statement.status, statement.failure, statement.finished_at, statement.attempts) == (
        "failed",
        "render_error",
        LATER,
        statements.RENDER_MAX_ATTEMPTS,
    )
    assert not VerifiableDocument.objects.exists()
    assert _told(statement_id) == [
        (
            career["owner"].pk,
            None,
            "contribution_statement_processed",
            {"ready": False, "year_from": 2025, "year_to": 2027, "kept_days": 30},
        )
    ]


# --- Errors -------------------------------------------------------------------------------------


def test_a_transient_error_hands_the_statement_back_untouched_and_the_retry_renders_it(career, monkeypatch):
    statement_id = ask(career, None, None).statement_id
    _failing_weasyprint(monkeypatch, OperationalError("the database restarted"))

    with pytest.raises(OperationalError):
        statements.statement_render(statement_id=statement_id, now=RENDERED_AT)

    statement = _row(statement_id)
    assert (statement.status, statement.attempts, statement.started_at, statement.document_id) == (
        "pending",
        0,
        None,
        None,
    )
    assert not VerifiableDocument.objects.exists()
    assert _told(statement_id) == []
    monkeypatch.undo()
    assert render(statement_id, now=RENDERED_AT + datetime.timedelta(seconds=5)).status == "ready"
    assert isinstance(tasks.statement_render, core_tasks.Task)
    assert statements.TRANSIENT_ERRORS == core_tasks.TRANSIENT_DATABASE_ERRORS


def test_a_retry_takes_back_its_own_claim_when_the_database_could_not_hand_it_back(career, monkeypatch):
    statement_id = ask(career, None, None).statement_id
    _failing_weasyprint(monkeypatch, OperationalError("the database restarted"))
    # The database is still down when the rendering tries to hand its claim back.
    monkeypatch.setattr(StatementRequest.objects, "filter", _down_after_claim(StatementRequest.objects.filter))

    with pytest.raises(OperationalError):
        statements.statement_render(statement_id=statement_id, now=RENDERED_AT, claim="task-1/0")

    monkeypatch.undo()
    statement = _row(statement_id)
    assert (statement.attempts, statement.claim, statement.started_at) == (1, "task-1/0", RENDERED_AT)
    # Another copy finds it taken a moment ago; the retry (same task, next run) takes it back.
    soon = RENDERED_AT + datetime.timedelta(seconds=1)
    assert statements.statement_render(statement_id=statement_id, now=soon, claim="task-2/0") is False
    assert (
        statements.statement_render(statement_id=statement_id, now=soon, claim="task-1/1", retried_claims=["task-1/0"])
        is True
    )
    statement = _row(statement_id)
    assert (statement.status, statement.attempts, VerifiableDocument.objects.count()) == ("ready", 1, 1)


def _down_after_claim(original):
    """StatementRequest.objects.filter, raising as a database that is down once the claim was
    written (the hand-back's update)."""

    def filter_(*args, **kwargs):
        if "claim" in kwargs:
            raise OperationalError("the database is down")
        return original(*args, **kwargs)

    return filter_


def test_a_rendering_delivered_again_after_its_worker_died_counts_an_attempt(career):
    """A pool process killed mid-render: Celery hands the same message (same task id, same run)
    back; it is not a retry, and counts."""
    statement_id = ask(career, None, None).statement_id
    StatementRequest.objects.filter(pk=statement_id).update(started_at=RENDERED_AT, attempts=1, claim="task-1/0")

    later = RENDERED_AT + datetime.timedelta(seconds=10)
    assert statements.statement_render(statement_id=statement_id, now=later, claim="task-1/0") is True

    assert (_row(statement_id).status, _row(statement_id).attempts) == ("ready", 2)


def test_a_rendering_whose_claim_was_taken_over_while_it_waited_to_retry_is_not_counted(career):
    """The reconciler's copy takes over the claim of a rendering that was only waiting to retry
    a transient error (not killed): when that one comes back, its attempt is struck off."""
    statement_id = ask(career, None, None).statement_id
    StatementRequest.objects.filter(pk=statement_id).update(started_at=RENDERED_AT, attempts=1, claim="retrying/0")
    later = RENDERED_AT + datetime.timedelta(seconds=10)
    assert render(statement_id, now=later).attempts == 2  # taken over: it could have been killed

    assert (
        statements.statement_render(
            statement_id=statement_id, now=later, claim="retrying/1", retried_claims=["retrying/0"]
        )
        is False
    )

    statement = _row(statement_id)
    assert (statement.status, statement.attempts, statement.claim_taken_over) == ("ready", 1, "")


def test_a_rendering_that_breaks_fails_for_good_with_nothing_registered(career, monkeypatch, client):
    statement_id = ask(career, 2026, 2027).statement_id
    _failing_weasyprint(monkeypatch, ValueError("a broken template"))

    assert statements.statement_render(statement_id=statement_id, now=RENDERED_AT) is True

    statement = _row(statement_id)
    assert (statement.status, statement.failure, statement.document_id, statement.content) == (
        "failed",
        "render_error",
        None,
        None,
    )
    assert not VerifiableDocument.objects.exists()
    assert [row[3]["ready"] for row in _told(statement_id)] == [False]
    monkeypatch.undo()
    monkeypatch.setattr(timezone, "now", lambda: LATER)
    sign_in(client, career["owner"])
    page = client.get(f"/my-file/contributions/statements/{statement_id}/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert (
        '<p class="usa-alert__text">The statement could not be prepared. The document could not be produced. '
        "Ask for it again; if it fails again, call us.</p>"
    ) in body
    assert '<input type="hidden" name="year_from" value="2026">' in body
    assert '<input type="hidden" name="year_to" value="2027">' in body
    assert client.get(f"/my-file/contributions/statements/{statement_id}/statement.pdf").status_code == 404

    again = client.post(
        reverse("contributions:statement"),
        {"year_from": "2026", "year_to": "2027", "intent": str(page.context["intent"])},
    )

    fresh = StatementRequest.objects.exclude(pk=statement_id).get()
    assert again["Location"] == f"/my-file/contributions/statements/{fresh.pk}/"
    assert (fresh.year_from, fresh.year_to, fresh.status) == (2026, 2027, "pending")


def test_a_mandate_revoked_before_the_rendering_fails_it_and_only_the_person_is_told(career):
    proxy = UserFactory(person=PersonFactory(last_name="Proxy"))
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(career["owner"], level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=proxy.person.national_number,
        proxy_last_name="Proxy",
        scopes=[Scope.VIEW_FILE],
        starts_on=timezone.localdate(ISSUED_AT),
        ends_on=timezone.localdate(ISSUED_AT) + datetime.timedelta(days=30),
        now=ISSUED_AT,
    )
    mandate_services.mandate_accept(actor=citizen_actor(proxy), mandate_id=mandate_id, now=ISSUED_AT)
    proxy_actor = Actor(
        user_id=proxy.pk,
        level_of_assurance=LevelOfAssurance.LOW,
        mode=ActingMode.PROXY,
        person_id=proxy.person_id,
        subject_person_id=career["person"].pk,
        mandate_id=mandate_id,
        scopes=frozenset({Scope.VIEW_FILE}),
    )
    kept = ask(career, 2025, 2025, actor=proxy_actor).statement_id
    stopped = ask(career, 2026, 2026, actor=proxy_actor).statement_id
    render(kept)
    Notification.objects.filter(event_type="mandate_revoked").delete()

    mandate_services.mandate_revoke(actor=career["actor"], mandate_id=mandate_id, now=RENDERED_AT)
    statement = render(stopped)

    assert (statement.status, statement.failure) == ("failed", "mandate_ended")
    assert VerifiableDocument.objects.count() == 1
    assert _told(kept) == [
        (
            career["owner"].pk,
            None,
            "contribution_statement_processed",
            {"ready": True, "year_from": 2025, "year_to": 2025, "kept_days": 30},
        ),
        (
            proxy.pk,
            career["person"].pk,
            "contribution_statement_processed",
            {"ready": True, "year_from": 2025, "year_to": 2025, "kept_days": 30},
        ),
    ]
    assert [row[0] for row in _told(stopped)] == [career["owner"].pk]


# --- The purge ----------------------------------------------------------------------------------


def test_files_kept_past_their_days_are_dropped_and_their_codes_still_verify(career, client, monkeypatch):
    old = render(ask(career, 2025, 2025).statement_id)
    [code] = set(CODE.findall(pdf_text(bytes(old.content))))
    young = render(ask(career, 2026, 2026).statement_id, now=RENDERED_AT + datetime.timedelta(days=20))
    waiting = ask(career, 2027, 2027).statement_id
    night = RENDERED_AT + datetime.timedelta(days=30, hours=1)

    assert statements.statements_purge(now=night) == 1
    assert statements.statements_purge(now=night) == 0

    purged = _row(old.pk)
    assert (purged.status, purged.content, purged.purged_at, purged.size, purged.document_id) == (
        "purged",
        None,
        night,
        old.size,
        old.document_id,
    )
    assert (_row(young.pk).status, bytes(_row(young.pk).content)) == ("ready", bytes(young.content))
    assert _row(waiting).status == "pending"
    verified = document_verify(code=code, now=night)
    assert verified is not None and verified.is_valid_now
    monkeypatch.setattr(timezone, "now", lambda: night)
    sign_in(client, career["owner"])
    assert client.get(f"/my-file/contributions/statements/{old.pk}/statement.pdf").status_code == 404
    body = client.get(f"/my-file/contributions/statements/{old.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "Guichet no longer keeps this statement: files are kept 30 days. The code printed on it still verifies. "
        "Ask for a new one to download."
    ) in body
    assert '<button class="usa-button" type="submit">Ask for it again</button>' in body


def test_the_beat_schedule_reconciles_every_15_seconds_and_purges_nightly():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["statements-reconcile"] == {"task": "contributions.statements_reconcile", "schedule": 15.0}
    assert schedule["statements-purge"]["task"] == "contributions.statements_purge"
    assert (schedule["statements-purge"]["schedule"].hour, schedule["statements-purge"]["schedule"].minute) == (
        {3},
        {50},
    )


def test_the_tasks_call_the_services(career, monkeypatch):
    statement_id = ask(career, None, None).statement_id
    monkeypatch.setattr(timezone, "now", lambda: RENDERED_AT)

    tasks.statement_render(statement_id=statement_id)
    tasks.statements_reconcile()
    monkeypatch.setattr(timezone, "now", lambda: RENDERED_AT + datetime.timedelta(days=31))
    tasks.statements_purge()

    assert _row(statement_id).status == "purged"


# --- The message --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "context", "subject", "body"),
    [
        (
            "en",
            {"ready": True, "year_from": 2025, "year_to": 2027, "kept_days": 30},
            "Contribution statement ready to download",
            "<p>The contribution statement asked for the years 2025 to 2027 is ready.</p>\n"
            "<p>Download it from its page: Guichet keeps it for 30 days.</p>",
        ),
        (
            "en",
            {"ready": False, "year_from": 2026, "year_to": 2026, "kept_days": 30},
            "Contribution statement not prepared",
            "<p>The contribution statement asked for the year 2026 could not be prepared.</p>\n"
            "<p>Its page says why, and lets you ask for it again.</p>",
        ),
    ],
)
def test_the_message_says_whether_it_is_ready_and_for_which_years(language, context, subject, body):
    kwargs = {"event": "contribution_statement_processed", "context": context, "language": language, "link": "/x/"}

    assert render_part(part="subject.txt", **kwargs) == subject
    assert render_part(part="body.html", **kwargs) == body


def test_the_message_is_in_the_recipients_language():
    context = {"ready": True, "year_from": 2025, "year_to": 2027, "kept_days": 30}
    kwargs = {"event": "contribution_statement_processed", "context": context, "link": "/x/"}

    assert render_part(part="subject.txt", language="fr", **kwargs) == in_language(
        "fr", "Contribution statement ready to download"
    )


# --- The back office ----------------------------------------------------------------------------


def _supervisor():
    from django.contrib.auth.models import Group

    from tests.identity.factories import with_totp

    staff = with_totp(UserFactory(is_staff=True))
    staff.groups.set([Group.objects.get(name="Supervisor")])
    return staff


def test_supervisors_follow_the_statements_read_only_without_their_files(career, client):
    from core.models import AccessRecord

    ready = render(ask(career, 2025, 2025).statement_id)
    pending = ask(career, 2026, 2026).statement_id
    staff = _supervisor()
    sign_in(client, staff, mfa=True)

    listing = client.get(reverse("admin:contributions_statementrequest_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(
        reverse("admin:contributions_statementrequest_change", args=[ready.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].result_list] == [pending, ready.pk]
    assert page.status_code == 200
    body = page.content.decode()
    assert "content" not in page.context["adminform"].form.fields
    assert "%PDF" not in body
    assert 'name="_save"' not in body  # read-only
    assert client.get(reverse("admin:contributions_statementrequest_add")).status_code == 403
    assert client.post(reverse("admin:contributions_statementrequest_delete", args=[ready.pk])).status_code == 403
    assert _row(ready.pk).status == "ready"
    assert sorted(
        AccessRecord.objects.filter(actor_user_id=staff.pk).values_list("subject_person_id", "purpose", "detail")
    ) == [
        (career["person"].pk, "staff_registry_search", ""),
        (career["person"].pk, "staff_registry_view", "contribution statement asked for"),
    ]
