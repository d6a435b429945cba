"""allauth's e-mails (password reset, address confirmation, its notices) go through the outbox:
the request stores them and answers at once, whatever the mail server does; a worker sends them,
each exchange with the server bounded by ``EMAIL_TIMEOUT``, retried later when it does not answer,
and exactly once. A batch never holds its process for long: past its deadline, or once the mail
server has not answered, it leaves the rest to the reconciler."""

from __future__ import annotations

import datetime
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, DeliveryAttempt, DeliveryStatus, PreparedEmail
from portal.celery import app
from tests.helpers import deliver_outbox, sign_in
from tests.identity.factories import PASSWORD, UserFactory, with_totp

RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)")
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)")
NEW_PASSWORD = "Un-nouveau-mot-de-passe-77"


class SilentMailServer:
    """A TCP server that accepts connections and never says a word (no SMTP greeting)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent_mail_server(settings: Any) -> Iterator[SilentMailServer]:
    server = SilentMailServer()
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 1.0
    yield server
    server.close()


def _wait_until(condition: Callable[[], bool], *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _status(delivery_id: int) -> str:
    return str(Delivery.objects.values_list("status", flat=True).get(pk=delivery_id))


@pytest.fixture
def _empty_queues() -> Iterator[None]:
    def purge() -> None:
        with app.connection_for_write() as connection:
            for queue in ("notifications", "control"):
                connection.default_channel.queue_purge(queue)

    purge()
    yield
    purge()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_empty_queues")
def test_a_password_reset_answers_at_once_while_smtp_never_answers_and_a_worker_later_delivers_a_working_link_once(
    client, smtp_sink, silent_mail_server, settings, caplog
):
    caplog.set_level(logging.DEBUG)
    user = UserFactory(email="marie@example.org")

    started = time.monotonic()
    response = client.post(
        reverse("account_reset_password"), {"email": "marie@example.org"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    elapsed = time.monotonic() - started

    # The normal answer, at once, and the request never touched the mail server.
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("account_reset_password_done"), 302)]
    assert "We have sent you an email" in response.content.decode()
    assert elapsed < 1.0
    assert silent_mail_server.accepted == []
    delivery = Delivery.objects.get()
    assert (delivery.address, delivery.status, delivery.notification_id) == ("marie@example.org", "pending", None)
    prepared = PreparedEmail.objects.get()
    assert prepared.recipient_id == user.pk
    assert prepared.subject == "[Guichet] Password Reset Email"
    assert RESET_LINK.search(prepared.text)

    # The worker tries the silent server: the attempt ends after the timeout, to be retried later.
    with start_worker(app, pool="solo", perform_ping_check=False, queues=["notifications"], shutdown_timeout=30):
        _wait_until(lambda: _status(delivery.pk) == DeliveryStatus.RETRY)
    delivery.refresh_from_db()
    assert len(silent_mail_server.accepted) == 1
    assert (delivery.status, delivery.attempts) == ("retry", 1)
    assert delivery.next_attempt_at > timezone.now()
    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.outcome == "retry"
    assert "timed out" in attempt.error
    assert smtp_sink.messages == []

    # The mail server answers again and the backoff has passed: the reconciler (on "control")
    # hands the delivery back, the worker sends it — once, however often its task runs.
    settings.EMAIL_PORT = smtp_sink.port
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=["notifications", "control"], shutdown_timeout=30
    ):
        app.send_task("notifications.deliveries_reconcile", kwargs={})
        _wait_until(lambda: _status(delivery.pk) == DeliveryStatus.SENT)
    assert services.deliveries_send(delivery_ids=[delivery.pk], clock=timezone.now) == 0
    assert deliver_outbox() == 0

    assert [str(message["To"]) for message in smtp_sink.messages] == ["marie@example.org"]
    assert list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("outcome", flat=True)) == [
        "retry",
        "sent",
    ]
    # Sent: the secret link is no longer kept.
    prepared.refresh_from_db()
    assert (prepared.text, prepared.html) == ("", "")

    # The link works: a new password, and it signs in.
    path = RESET_LINK.search(smtp_sink.bodies()[0]).group(1)
    assert not any(path in record.getMessage() for record in caplog.records)
    browser = Client()
    form = browser.get(path, follow=True)
    assert form.status_code == 200
    done = browser.post(form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    signed_in = Client().post(reverse("account_login"), {"login": "marie@example.org", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_the_sign_up_confirmation_goes_through_the_outbox_and_its_link_confirms_the_address(
    client, smtp_sink, silent_mail_server, settings
):
    started = time.monotonic()
    response = client.post(
        reverse("account_signup"),
        {"email": "nouvelle@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 1.0
    assert silent_mail_server.accepted == []
    delivery = Delivery.objects.get(address="nouvelle@example.org")
    assert delivery.prepared_email.recipient.email == "nouvelle@example.org"

    settings.EMAIL_PORT = smtp_sink.port
    assert deliver_outbox() == 1
    assert deliver_outbox() == 0
    [message] = smtp_sink.messages
    assert message["To"] == "nouvelle@example.org"
    assert message["Message-ID"] == f"<guichet-delivery-{delivery.pk}@{settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN}>"
    path = CONFIRM_LINK.search(smtp_sink.bodies()[0]).group(1)
    client.post(path)
    assert EmailAddress.objects.get(email="nouvelle@example.org").verified is True


@pytest.mark.django_db
def test_a_reset_for_an_unknown_address_is_answered_from_the_outbox_too(client, smtp_sink):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    prepared = PreparedEmail.objects.get()
    assert prepared.recipient_id is None
    assert deliver_outbox() == 1
    assert [str(message["To"]) for message in smtp_sink.messages] == ["nobody@example.org"]


def _prepared(count: int, now: datetime.datetime) -> list[int]:
    return [
        services.prepared_email_queue(
            address=f"person{index}@example.org",
            subject="Subject",
            text=f"Body {index}",
            html="",
            recipient_user_id=None,
            now=now,
        )
        for index in range(count)
    ]


@pytest.mark.django_db
def test_a_batch_against_a_silent_mail_server_costs_one_timeout_and_leaves_the_rest_for_later(
    smtp_sink, silent_mail_server, settings
):
    now = timezone.now()
    first, *others = _prepared(3, now)

    started = time.monotonic()
    sent = services.deliveries_send(delivery_ids=[first, *others], clock=timezone.now)
    elapsed = time.monotonic() - started

    assert sent == 0
    assert elapsed < settings.EMAIL_TIMEOUT + 1.5
    assert len(silent_mail_server.accepted) == 1
    tried = Delivery.objects.get(pk=first)
    assert (tried.status, tried.attempts) == ("retry", 1)
    assert tried.next_attempt_at >= now + datetime.timedelta(seconds=30)
    assert list(DeliveryAttempt.objects.values_list("delivery_id", "outcome")) == [(first, "retry")]
    # Not tried: given back as they were, for the reconciler, without an attempt counted.
    for left in Delivery.objects.filter(pk__in=others):
        assert (left.status, left.attempts, left.lease_until) == ("retry", 0, None)
        assert left.next_attempt_at <= timezone.now()

    # Later, the server answers: each is delivered exactly once.
    settings.EMAIL_PORT = smtp_sink.port
    later = timezone.now() + datetime.timedelta(minutes=1)
    ids = [first, *others]
    assert services.deliveries_send(delivery_ids=ids, clock=lambda: later) == 3
    assert services.deliveries_send(delivery_ids=ids, clock=lambda: later) == 0
    assert sorted(str(message["To"]) for message in smtp_sink.messages) == [
        "person0@example.org",
        "person1@example.org",
        "person2@example.org",
    ]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_batch_starts_no_attempt_after_its_deadline_and_the_reconciler_queues_the_rest(
    smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_SEND_BATCH_SECONDS = 60
    start = timezone.now()
    ids = _prepared(3, start)
    ticks = iter(range(0, 10_000, 20))

    def clock() -> datetime.datetime:  # 20 seconds pass at each reading
        return start + datetime.timedelta(seconds=next(ticks))

    assert services.deliveries_send(delivery_ids=ids, clock=clock) == 1

    assert [str(message["To"]) for message in smtp_sink.messages] == ["person0@example.org"]
    left = Delivery.objects.filter(pk__in=ids[1:])
    assert sorted(left.values_list("status", "attempts")) == [("retry", 0), ("retry", 0)]
    assert not DeliveryAttempt.objects.filter(delivery_id__in=ids[1:]).exists()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert services.deliveries_reconcile(now=start + datetime.timedelta(minutes=5)) == 2
    assert len(queued) == 1


@pytest.mark.django_db
def test_staff_see_a_prepared_emails_delivery_but_never_its_secret_link(client, smtp_sink):
    UserFactory(email="marie@example.org")
    Client().post(reverse("account_reset_password"), {"email": "marie@example.org"})
    delivery = Delivery.objects.get()
    path = RESET_LINK.search(delivery.prepared_email.text).group(1)
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    sign_in(client, staff, mfa=True)

    pages = [
        client.get(reverse("admin:notifications_delivery_changelist")),
        client.get(reverse("admin:notifications_delivery_change", args=[delivery.pk])),
    ]

    for page in pages:
        assert page.status_code == 200
        assert path not in page.content.decode()
        assert delivery.prepared_email.text[:40] not in page.content.decode()
    assert "[Guichet]" in pages[1].content.decode()
    # The bodies have no back-office page of their own.
    assert client.get(f"/{settings.ADMIN_URL}notifications/preparedemail/").status_code == 404
