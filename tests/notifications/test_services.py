"""The outbox: what an event stores, what is sent after commit, to whom, in which language and
through which channel; failures, retries and re-sending; the mobile number; the inbox marks.

E-mail goes to a real local SMTP server (the ``smtp_sink`` fixture, or a scripted one below),
SMS to the file sender or to a real local HTTP gateway. Time is passed in.
"""

from __future__ import annotations

import datetime
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from identity.models import Representation, User
from identity.services import account_link_person, activation_code_issue, representation_grant_by_staff
from identity.types import EnterpriseRole
from notifications.channels import HttpGatewaySmsSender
from notifications.models import (
    ChannelPreference,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    PhoneNumber,
)
from notifications.services import (
    deliveries_reconcile,
    deliveries_resend,
    deliveries_send,
    notification_mark,
    notification_mark_all_read,
    notify,
    notify_many,
    phone_number_set,
    phone_number_verify,
)
from notifications.types import (
    Category,
    Notice,
    NotificationError,
    PermanentDeliveryError,
    Recipient,
    TransientDeliveryError,
)
from tests.helpers import staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory
from tests.notifications.factories import NOTICE_CONTEXT, ROLE_CONTEXT, DeliveryFactory, NotificationFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
SITE_URL = "https://guichet.test"
ROLE_EMAIL_SENTENCE = "You have been given a role for an enterprise in Guichet."
ROLE_SMS = "Guichet: you have been given a role for an enterprise. Details in your inbox."
MOBILE = "+32470123456"


def at(moment: datetime.datetime) -> Callable[[], datetime.datetime]:
    return lambda: moment


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _french_is_compiled(msgid: str) -> bool:
    with translation.override("fr"):
        return gettext(msgid) != msgid


def _text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def _html(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def _notify_role(*users: User, now: datetime.datetime = NOW) -> list[Delivery]:
    notify(
        recipients=[Recipient(user.pk) for user in users],
        event="role_granted",
        context=ROLE_CONTEXT,
        now=now,
        link="/dashboard/",
    )
    return list(Delivery.objects.filter(notification__recipient__in=users).order_by("pk"))


def _grant_role(target: User) -> int:
    """A member of staff appoints ``target`` declarant of "Boulangerie Dupont"; returns the enterprise id."""
    staff = UserFactory(is_staff=True)
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    representation_grant_by_staff(
        actor=staff_actor(staff),
        enterprise_id=enterprise.pk,
        user_id=target.pk,
        role=EnterpriseRole.DECLARANT,
        now=NOW,
    )
    return int(enterprise.pk)


def _sms_lines(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE_URL
    settings.PHONE_DEFAULT_REGION = "BE"


@pytest.fixture
def sms_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(path)
    return path


# --- A scripted SMTP server and an SMS gateway (the outside world) -------------------------------


@dataclass
class ScriptedSmtp:
    """An SMTP server that answers RCPT or DATA with a scripted reply (refusal, greylisting…)."""

    rcpt_reply: str = ""
    data_reply: str = ""
    accepted: list[bytes] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.accepted.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture
def scripted_smtp(settings: Any) -> Iterator[ScriptedSmtp]:
    handler = ScriptedSmtp()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_PORT = port
    yield handler
    controller.stop()


@dataclass
class Gateway:
    url: str
    requests: list[tuple[str, Any, dict[str, Any]]]


@pytest.fixture
def sms_gateway() -> Iterator[Gateway]:
    """A JSON SMS gateway on localhost: POST /sms/<status> answers with that HTTP status."""
    requests: list[tuple[str, Any, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append((self.path, self.headers, body))
            status = int(self.path.rsplit("/", 1)[-1])
            payload = json.dumps({"id": "abc"} if status == 200 else {"error": "no"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Gateway(url=f"http://127.0.0.1:{server.server_address[1]}/sms", requests=requests)
    server.shutdown()
    server.server_close()
    thread.join(5)


# --- Storing in the event's transaction --------------------------------------------------------


def test_rolled_back_event_stores_nothing_and_registers_no_send(django_capture_on_commit_callbacks, smtp_sink):
    target = UserFactory()

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _grant_role(target)
        assert Notification.objects.count() == 1
        raise RuntimeError("the caller's transaction fails after the event")

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert Representation.objects.filter(user=target).count() == 0
    assert smtp_sink.messages == []


def test_granting_a_role_stores_one_notification_and_one_email_delivery_sent_after_commit(
    django_capture_on_commit_callbacks, smtp_sink
):
    target = UserFactory(preferred_language="en")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enterprise_id = _grant_role(target)

    assert len(callbacks) == 1
    assert smtp_sink.messages == []
    notification = Notification.objects.get()
    assert (
        notification.recipient_id,
        notification.on_behalf_of_person_id,
        notification.event_type,
        notification.category,
        notification.importance,
        notification.in_inbox,
        notification.context,
        notification.link,
        notification.created_at,
        notification.read_at,
    ) == (
        target.pk,
        None,
        "role_granted",
        "enterprise",
        "normal",
        True,
        {"enterprise_name": "Boulangerie Dupont", "role": "declarant"},
        reverse("identity:representatives", args=[enterprise_id]),
        NOW,
        None,
    )
    assert list(
        Delivery.objects.values_list("notification_id", "channel", "address", "status", "attempts", "next_attempt_at")
    ) == [(notification.pk, "email", target.email, "pending", 0, NOW)]


def test_sent_role_email_is_in_the_recipient_language_links_to_the_inbox_and_holds_no_personal_data(
    smtp_sink, settings
):
    target = UserFactory(preferred_language="en", first_name="Amélie", last_name="Poulain")
    enterprise_id = _grant_role(target)
    delivery = Delivery.objects.get()

    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    assert sent == 1
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == target.email
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Message-ID"] == f"<guichet-delivery-{delivery.pk}@{settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN}>"
    text, html = _text(message), _html(message)
    assert ROLE_EMAIL_SENTENCE in text
    assert f"Read the message in my Guichet inbox: {SITE_URL}/inbox/" in text
    assert '<html lang="en">' in html
    assert f"<p>{ROLE_EMAIL_SENTENCE}</p>" in html
    assert f'<a href="{SITE_URL}/inbox/"' in html
    for personal in (
        "Boulangerie Dupont",
        "Amélie",
        "Poulain",
        reverse("identity:representatives", args=[enterprise_id]),
    ):
        assert personal not in text
        assert personal not in html
    delivery.refresh_from_db()
    assert (
        delivery.status,
        delivery.attempts,
        delivery.sent_at,
        delivery.lease_until,
        delivery.provider_reference,
        delivery.last_error,
    ) == ("sent", 1, NOW, None, f"guichet-delivery-{delivery.pk}", "")


def test_role_email_subject_does_not_name_the_enterprise(smtp_sink):
    # The e-mail promises "it holds no personal data: the full message is in your inbox". The
    # subject is part of the e-mail (and shows on lock screens): who represents which enterprise
    # belongs in the inbox only.
    target = UserFactory(preferred_language="en")
    _grant_role(target)

    deliveries_send(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)), clock=at(NOW))

    assert len(smtp_sink.messages) == 1
    assert "Boulangerie Dupont" not in smtp_sink.messages[0]["Subject"]


def test_sending_the_same_deliveries_twice_sends_one_email_and_records_one_attempt(smtp_sink):
    user = UserFactory()
    [delivery] = _notify_role(user)

    first = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))
    second = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW + datetime.timedelta(seconds=1)))

    assert (first, second) == (1, 0)
    assert len(smtp_sink.messages) == 1
    assert list(DeliveryAttempt.objects.values_list("delivery_id", "outcome", "at", "error")) == [
        (delivery.pk, "sent", NOW, "")
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_a_delivery_not_yet_due_is_not_sent(smtp_sink):
    user = UserFactory()
    [delivery] = _notify_role(user, now=NOW)

    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW - datetime.timedelta(seconds=1)))

    assert sent == 0
    assert smtp_sink.messages == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert DeliveryAttempt.objects.count() == 0


# --- Preferences and importance ---------------------------------------------------------------


def test_enterprise_email_turned_off_stores_the_inbox_message_only(django_capture_on_commit_callbacks):
    user = UserFactory()
    ChannelPreference.objects.create(user=user, category=Category.ENTERPRISE, email=False, sms=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _notify_role(user)

    assert list(Notification.objects.values_list("recipient_id", "event_type")) == [(user.pk, "role_granted")]
    assert Delivery.objects.count() == 0
    assert callbacks == []


def test_sms_chosen_with_a_verified_mobile_is_texted_to_that_number(sms_file, smtp_sink):
    user = UserFactory(preferred_language="en")
    ChannelPreference.objects.create(user=user, category=Category.ENTERPRISE, email=False, sms=True)
    PhoneNumber.objects.create(user=user, number=MOBILE, verified_at=NOW)

    [delivery] = _notify_role(user)
    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    assert (delivery.channel, delivery.address) == ("sms", MOBILE)
    assert sent == 1
    assert smtp_sink.messages == []
    lines = _sms_lines(sms_file)
    assert [(line["to"], line["text"], line["reference"]) for line in lines] == [
        (MOBILE, ROLE_SMS, f"guichet-delivery-{delivery.pk}")
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_reference) == ("sent", f"file-guichet-delivery-{delivery.pk}")


def test_sms_chosen_without_a_verified_mobile_sends_no_sms():
    user = UserFactory()
    ChannelPreference.objects.create(user=user, category=Category.ENTERPRISE, email=True, sms=True)
    PhoneNumber.objects.create(user=user, number=MOBILE, verified_at=None)

    deliveries = _notify_role(user)

    assert [(delivery.channel, delivery.address) for delivery in deliveries] == [("email", user.email)]


def test_information_is_not_emailed_by_default_but_is_when_chosen():
    by_default = UserFactory()
    chose_email = UserFactory()
    ChannelPreference.objects.create(user=chose_email, category=Category.INFORMATION, email=True, sms=False)

    notify(
        recipients=[Recipient(by_default.pk), Recipient(chose_email.pk)],
        event="service_notice",
        context=NOTICE_CONTEXT,
        now=NOW,
    )

    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(
        [by_default.pk, chose_email.pk]
    )
    assert list(Delivery.objects.values_list("notification__recipient_id", "channel")) == [(chose_email.pk, "email")]


def test_legal_notice_is_emailed_even_when_email_is_turned_off(django_capture_on_commit_callbacks):
    staff = UserFactory(is_staff=True)
    person = PersonFactory()
    code = activation_code_issue(actor=staff_actor(staff), person_id=person.pk, now=NOW)
    account = UserFactory()
    ChannelPreference.objects.create(user=account, category=Category.ACCOUNT, email=False, sms=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        account_link_person(user_id=account.pk, national_number=person.national_number, code=code, now=NOW)

    assert len(callbacks) == 1
    assert list(Notification.objects.values_list("recipient_id", "event_type", "importance", "link")) == [
        (account.pk, "account_linked", "legal", reverse("portal:dashboard"))
    ]
    assert list(Delivery.objects.values_list("channel", "address", "status")) == [("email", account.email, "pending")]


def test_an_inactive_account_gets_the_inbox_message_but_no_email():
    inactive = UserFactory(is_active=False)

    deliveries = _notify_role(inactive)

    assert deliveries == []
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [inactive.pk]


# --- Language ---------------------------------------------------------------------------------


@pytest.mark.parametrize("active_language", ["en", "fr"])
def test_each_recipient_gets_the_email_in_their_own_language_whatever_the_active_one(active_language, smtp_sink):
    french = UserFactory(preferred_language="fr")
    english = UserFactory(preferred_language="en")

    with translation.override(active_language):
        deliveries = _notify_role(french, english)
        sent = deliveries_send(delivery_ids=[delivery.pk for delivery in deliveries], clock=at(NOW))

    assert sent == 2
    by_address = {message["To"]: message for message in smtp_sink.messages}
    assert sorted(by_address) == sorted([french.email, english.email])
    assert '<html lang="fr">' in _html(by_address[french.email])
    assert '<html lang="en">' in _html(by_address[english.email])
    assert ROLE_EMAIL_SENTENCE in _text(by_address[english.email])
    if _french_is_compiled(ROLE_EMAIL_SENTENCE):
        assert ROLE_EMAIL_SENTENCE not in _text(by_address[french.email])
        assert _text(by_address[french.email]) != _text(by_address[english.email])


# --- Failures, retries, re-sending --------------------------------------------------------------


def test_unreachable_mail_server_is_a_transient_failure_retried_in_30_seconds(settings, smtp_sink):
    user = UserFactory()
    [delivery] = _notify_role(user)
    settings.EMAIL_PORT = _free_port()  # nothing listens there

    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    assert sent == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.lease_until) == (
        "retry",
        1,
        NOW + datetime.timedelta(seconds=30),
        None,
    )
    assert delivery.last_error != ""
    assert list(DeliveryAttempt.objects.values_list("outcome", "at")) == [("retry", NOW)]


def test_temporary_refusal_of_the_message_is_retried_with_backoff(scripted_smtp):
    scripted_smtp.data_reply = "451 4.3.0 Try again later"
    user = UserFactory()
    [delivery] = _notify_role(user)

    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    assert sent == 0
    delivery.refresh_from_db()
    assert (
        delivery.status,
        delivery.attempts,
        delivery.next_attempt_at,
        delivery.lease_until,
        delivery.last_error,
    ) == (
        "retry",
        1,
        NOW + datetime.timedelta(seconds=30),
        None,
        "SMTP 451",
    )
    assert list(DeliveryAttempt.objects.values_list("outcome", "at", "error")) == [("retry", NOW, "SMTP 451")]


def test_greylisted_recipient_is_retried_not_failed(scripted_smtp):
    # Greylisting answers RCPT with 4xx: a very common, temporary refusal.
    scripted_smtp.rcpt_reply = "451 4.7.1 Greylisted, please try again later"
    user = UserFactory()
    [delivery] = _notify_role(user)

    deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "retry",
        1,
        NOW + datetime.timedelta(seconds=30),
    )


def test_refused_recipient_fails_for_good_and_staff_can_resend_it(
    scripted_smtp, smtp_sink, settings, django_capture_on_commit_callbacks
):
    scripted_smtp.rcpt_reply = "550 5.1.1 No such user"
    user = UserFactory()
    [delivery] = _notify_role(user)

    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    assert sent == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.lease_until) == ("failed", 1, None)
    assert delivery.last_error.startswith("recipient refused: ")
    assert "550" in delivery.last_error
    assert scripted_smtp.accepted == []
    # Failed for good: a later run leaves it alone.
    assert deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW + datetime.timedelta(hours=1))) == 0

    resend_at = NOW + datetime.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resent = deliveries_resend(delivery_ids=[delivery.pk], now=resend_at)

    assert resent == 1
    assert len(callbacks) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, resend_at)

    settings.EMAIL_PORT = smtp_sink.port  # the address works again
    assert deliveries_send(delivery_ids=[delivery.pk], clock=at(resend_at)) == 1
    assert [message["To"] for message in smtp_sink.messages] == [user.email]
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["failed", "sent"]


def test_resend_leaves_deliveries_that_did_not_fail_alone(django_capture_on_commit_callbacks):
    sent = DeliveryFactory(status=DeliveryStatus.SENT, attempts=1, sent_at=NOW)
    retrying = DeliveryFactory(status=DeliveryStatus.RETRY, attempts=2, next_attempt_at=NOW)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resent = deliveries_resend(delivery_ids=[sent.pk, retrying.pk], now=NOW)

    assert resent == 0
    assert callbacks == []
    assert list(Delivery.objects.order_by("pk").values_list("status", "attempts")) == [("sent", 1), ("retry", 2)]


def test_delivery_fails_after_the_maximum_number_of_transient_failures(scripted_smtp, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    scripted_smtp.data_reply = "451 4.3.0 Try again later"
    user = UserFactory()
    [delivery] = _notify_role(user)
    states = []

    for moment in (
        NOW,
        NOW + datetime.timedelta(seconds=10),  # not due yet
        NOW + datetime.timedelta(seconds=30),
        NOW + datetime.timedelta(seconds=90),
        NOW + datetime.timedelta(hours=1),  # failed for good: nothing left to do
    ):
        deliveries_send(delivery_ids=[delivery.pk], clock=at(moment))
        delivery.refresh_from_db()
        states.append((delivery.status, delivery.attempts, delivery.next_attempt_at))

    assert states == [
        ("retry", 1, NOW + datetime.timedelta(seconds=30)),
        ("retry", 1, NOW + datetime.timedelta(seconds=30)),
        ("retry", 2, NOW + datetime.timedelta(seconds=90)),
        ("failed", 3, NOW + datetime.timedelta(seconds=90)),
        ("failed", 3, NOW + datetime.timedelta(seconds=90)),
    ]
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["retry", "retry", "failed"]
    assert scripted_smtp.accepted == []


# --- SMS through an HTTP gateway ----------------------------------------------------------------


def _sms_delivery(user: User) -> Delivery:
    ChannelPreference.objects.create(user=user, category=Category.ENTERPRISE, email=False, sms=True)
    PhoneNumber.objects.create(user=user, number=MOBILE, verified_at=NOW)
    [delivery] = _notify_role(user)
    return delivery


def test_sms_gateway_gets_the_text_with_bearer_token_and_idempotency_key(sms_gateway, settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = f"{sms_gateway.url}/200"
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    settings.SMS_SENDER_ID = "Guichet"
    delivery = _sms_delivery(UserFactory(preferred_language="en"))

    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    assert sent == 1
    assert len(sms_gateway.requests) == 1
    path, headers, body = sms_gateway.requests[0]
    assert path == "/sms/200"
    assert headers["Authorization"] == "Bearer gateway-token"
    assert headers["Idempotency-Key"] == f"guichet-delivery-{delivery.pk}"
    assert headers["Content-Type"] == "application/json"
    assert body == {"to": MOBILE, "from": "Guichet", "text": ROLE_SMS, "reference": f"guichet-delivery-{delivery.pk}"}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_reference) == ("sent", "abc")


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (400, PermanentDeliveryError, "gateway refused: HTTP 400"),
        (404, PermanentDeliveryError, "gateway refused: HTTP 404"),
        (408, TransientDeliveryError, "gateway unavailable: HTTP 408"),
        (429, TransientDeliveryError, "gateway unavailable: HTTP 429"),
        (503, TransientDeliveryError, "gateway unavailable: HTTP 503"),
    ],
)
def test_sms_gateway_refusals_are_permanent_and_unavailability_transient(sms_gateway, status, error, message):
    sender = HttpGatewaySmsSender(f"{sms_gateway.url}/{status}", "gateway-token", "Guichet", timeout=5)

    with pytest.raises(error) as raised:
        sender.send(to=MOBILE, text="Guichet: test", reference="guichet-delivery-1")

    assert str(raised.value) == message
    assert len(sms_gateway.requests) == 1


def test_unreachable_sms_gateway_is_transient():
    sender = HttpGatewaySmsSender(f"http://127.0.0.1:{_free_port()}/sms", "gateway-token", "Guichet", timeout=5)

    with pytest.raises(TransientDeliveryError, match=r"^gateway unreachable: "):
        sender.send(to=MOBILE, text="Guichet: test", reference="guichet-delivery-1")


@pytest.mark.parametrize(("status", "outcome"), [(400, "failed"), (503, "retry")])
def test_sms_delivery_refused_by_the_gateway_fails_and_unavailable_one_is_retried(
    sms_gateway, settings, status, outcome
):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = f"{sms_gateway.url}/{status}"
    delivery = _sms_delivery(UserFactory())

    sent = deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW))

    assert sent == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == (outcome, 1, None)
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == [outcome]


# --- Mass fan-out -----------------------------------------------------------------------------


def test_inbox_only_fan_out_to_12000_recipients_is_copied_in_chunks_without_deliveries(
    django_capture_on_commit_callbacks,
):
    model = UserFactory._meta.model
    users = model.objects.bulk_create(
        [model(email=f"fan{index}@example.org", password="!") for index in range(12_000)], batch_size=4000
    )
    user_ids = [user.pk for user in users]

    with django_capture_on_commit_callbacks(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        stored = notify(
            recipients=(Recipient(user_id) for user_id in user_ids),
            event="service_notice",
            context=NOTICE_CONTEXT,
            now=NOW,
            link="/inbox/",
        )

    assert stored == 12_000
    assert Notification.objects.count() == 12_000
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(user_ids)
    assert list(
        Notification.objects.values_list(
            "event_type", "category", "importance", "in_inbox", "context", "link", "created_at", "read_at"
        ).distinct()
    ) == [("service_notice", "information", "normal", True, NOTICE_CONTEXT, "/inbox/", NOW, None)]
    assert Delivery.objects.count() == 0
    assert callbacks == []
    # Streamed with COPY (which Django does not log), not inserted row by row or batch by batch.
    assert not [query for query in queries.captured_queries if "INSERT" in query["sql"].upper()]


def _role_notices(groups: list[list[Any]]) -> list[Notice]:
    return [
        Notice(
            recipients=tuple(Recipient(user.pk) for user in users),
            context={"enterprise_name": f"Entreprise {index}", "role": "declarant"},
            link=f"/enterprises/{index}/",
        )
        for index, users in enumerate(groups)
    ]


def test_notify_many_gives_each_group_its_own_context_link_and_channels(django_capture_on_commit_callbacks):
    emailed, inbox_only, both = UserFactory(), UserFactory(), UserFactory()
    ChannelPreference.objects.create(user=inbox_only, category=Category.ENTERPRISE, email=False, sms=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stored = notify_many(
            event="role_granted", notices=iter(_role_notices([[emailed, inbox_only], [both], [], [both]])), now=NOW
        )

    assert stored == 4
    assert sorted(
        Notification.objects.values_list("recipient_id", "context", "link", "created_at"),
        key=lambda row: (row[2], row[0]),
    ) == [
        (emailed.pk, {"enterprise_name": "Entreprise 0", "role": "declarant"}, "/enterprises/0/", NOW),
        (inbox_only.pk, {"enterprise_name": "Entreprise 0", "role": "declarant"}, "/enterprises/0/", NOW),
        (both.pk, {"enterprise_name": "Entreprise 1", "role": "declarant"}, "/enterprises/1/", NOW),
        (both.pk, {"enterprise_name": "Entreprise 3", "role": "declarant"}, "/enterprises/3/", NOW),
    ]
    # Each message to an address of its own: the account's preferences, per message.
    assert sorted(
        Delivery.objects.values_list("notification__recipient_id", "notification__link", "address")
    ) == sorted(
        [
            (emailed.pk, "/enterprises/0/", emailed.email),
            (both.pk, "/enterprises/1/", both.email),
            (both.pk, "/enterprises/3/", both.email),
        ]
    )
    assert len(callbacks) == 1


def test_notify_many_inbox_only_copies_each_context_with_its_message():
    users = [UserFactory() for _ in range(3)]
    for user in users:
        ChannelPreference.objects.create(user=user, category=Category.ENTERPRISE, email=False, sms=False)

    assert notify_many(event="role_granted", notices=_role_notices([[users[0]], users[1:]]), now=NOW) == 3

    assert sorted(Notification.objects.values_list("recipient_id", "context", "link")) == sorted(
        [
            (users[0].pk, {"enterprise_name": "Entreprise 0", "role": "declarant"}, "/enterprises/0/"),
            (users[1].pk, {"enterprise_name": "Entreprise 1", "role": "declarant"}, "/enterprises/1/"),
            (users[2].pk, {"enterprise_name": "Entreprise 1", "role": "declarant"}, "/enterprises/1/"),
        ]
    )
    assert not Delivery.objects.exists()


def test_notify_many_costs_the_same_queries_for_one_notice_or_two_hundred(django_capture_on_commit_callbacks):
    model = UserFactory._meta.model
    users = model.objects.bulk_create([model(email=f"many{index}@example.org", password="!") for index in range(400)])

    def queries(groups: list[list[Any]]) -> int:
        with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as captured:
            notify_many(event="role_granted", notices=_role_notices(groups), now=NOW)
        return len(captured.captured_queries)

    one = queries([users[:2]])
    two_hundred = queries([users[index : index + 2] for index in range(0, 400, 2)])

    assert two_hundred == one
    assert Notification.objects.count() == Delivery.objects.count() == 402


# --- The mobile number ------------------------------------------------------------------------


def test_setting_a_mobile_number_stores_it_unverified_and_texts_a_six_digit_code(
    django_capture_on_commit_callbacks, sms_file
):
    user = UserFactory(preferred_language="en")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        normalized = phone_number_set(user_id=user.pk, number="0470 12 34 56", now=NOW)

    assert normalized == MOBILE
    assert len(callbacks) == 1
    phone = PhoneNumber.objects.get(user=user)
    assert (phone.number, phone.verified_at, phone.code_attempts, phone.code_expires_at) == (
        MOBILE,
        None,
        0,
        NOW + datetime.timedelta(minutes=10),
    )
    notification = Notification.objects.get(recipient=user)
    assert (notification.event_type, notification.in_inbox) == ("phone_verification", False)
    code = notification.context["code"]
    assert re.fullmatch(r"\d{6}", code)
    assert code not in phone.code_digest
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.channel, delivery.address, delivery.status) == ("sms", MOBILE, "pending")

    assert deliveries_send(delivery_ids=[delivery.pk], clock=at(NOW)) == 1
    assert [(line["to"], line["text"]) for line in _sms_lines(sms_file)] == [
        (MOBILE, f"Guichet: your code is {code}. It is valid for 10 minutes. Never give it to anyone.")
    ]


def _sent_code(user: User) -> str:
    return str(
        Notification.objects.filter(recipient=user, event_type="phone_verification").latest("pk").context["code"]
    )


def test_a_wrong_code_counts_an_attempt_and_the_right_one_verifies_the_number():
    user = UserFactory()
    phone_number_set(user_id=user.pk, number="0470 12 34 56", now=NOW)
    code = _sent_code(user)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    with pytest.raises(NotificationError) as refused:
        phone_number_verify(user_id=user.pk, code=wrong, now=NOW + datetime.timedelta(minutes=1))

    assert refused.value.code == "code_wrong"
    phone = PhoneNumber.objects.get(user=user)
    assert (phone.code_attempts, phone.verified_at) == (1, None)

    verified_at = NOW + datetime.timedelta(minutes=2)
    phone_number_verify(user_id=user.pk, code=f" {code} ", now=verified_at)

    phone.refresh_from_db()
    assert (phone.verified_at, phone.code_digest, phone.code_expires_at) == (verified_at, "", None)
    with pytest.raises(NotificationError) as again:
        phone_number_verify(user_id=user.pk, code=code, now=verified_at)
    assert again.value.code == "no_code"


def test_the_code_expires_after_ten_minutes_and_after_five_wrong_attempts():
    late = UserFactory()
    phone_number_set(user_id=late.pk, number="0470 12 34 56", now=NOW)
    with pytest.raises(NotificationError) as expired:
        phone_number_verify(user_id=late.pk, code=_sent_code(late), now=NOW + datetime.timedelta(minutes=11))
    assert expired.value.code == "code_expired"

    guesser = UserFactory()
    phone_number_set(user_id=guesser.pk, number="0470 99 88 77", now=NOW)
    code = _sent_code(guesser)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _attempt in range(5):
        with pytest.raises(NotificationError):
            phone_number_verify(user_id=guesser.pk, code=wrong, now=NOW)
    with pytest.raises(NotificationError) as locked:
        phone_number_verify(user_id=guesser.pk, code=code, now=NOW)
    assert locked.value.code == "code_expired"
    assert PhoneNumber.objects.filter(verified_at__isnull=False).count() == 0


@pytest.mark.parametrize(
    ("number", "reason"),
    [("12", "phone_invalid"), ("not a number", "phone_invalid"), ("012 34 56 78", "phone_not_mobile")],
)
def test_an_invalid_or_landline_number_is_refused_and_nothing_is_stored(
    number, reason, django_capture_on_commit_callbacks
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(NotificationError) as refused:
        phone_number_set(user_id=user.pk, number=number, now=NOW)

    assert refused.value.code == reason
    assert callbacks == []
    assert PhoneNumber.objects.count() == 0
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0


# --- Reconciling ------------------------------------------------------------------------------


def test_reconcile_hands_back_expired_claims_due_retries_and_lost_pending_deliveries(
    django_capture_on_commit_callbacks,
):
    minute = datetime.timedelta(minutes=1)
    dead_worker = DeliveryFactory(
        status=DeliveryStatus.SENDING, attempts=1, lease_until=NOW - minute, next_attempt_at=NOW - 6 * minute
    )
    busy_worker = DeliveryFactory(
        status=DeliveryStatus.SENDING, attempts=1, lease_until=NOW + 4 * minute, next_attempt_at=NOW - minute
    )
    due_retry = DeliveryFactory(status=DeliveryStatus.RETRY, attempts=1, next_attempt_at=NOW)
    later_retry = DeliveryFactory(status=DeliveryStatus.RETRY, attempts=1, next_attempt_at=NOW + minute)
    lost_pending = DeliveryFactory(next_attempt_at=NOW - 2 * minute)
    fresh_pending = DeliveryFactory(next_attempt_at=NOW - datetime.timedelta(seconds=30))
    failed = DeliveryFactory(status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=NOW - 10 * minute)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        handed_back = deliveries_reconcile(now=NOW)

    assert handed_back == 3  # the dead worker's, the due retry and the lost pending one
    assert len(callbacks) == 1
    states = {
        name: Delivery.objects.values_list("status", "attempts", "lease_until", "next_attempt_at").get(pk=delivery.pk)
        for name, delivery in {
            "dead_worker": dead_worker,
            "busy_worker": busy_worker,
            "due_retry": due_retry,
            "later_retry": later_retry,
            "lost_pending": lost_pending,
            "fresh_pending": fresh_pending,
            "failed": failed,
        }.items()
    }
    assert states == {
        "dead_worker": ("retry", 1, None, NOW),
        "busy_worker": ("sending", 1, NOW + 4 * minute, NOW - minute),
        "due_retry": ("retry", 1, None, NOW),
        "later_retry": ("retry", 1, None, NOW + minute),
        "lost_pending": ("pending", 0, None, NOW - 2 * minute),
        "fresh_pending": ("pending", 0, None, NOW - datetime.timedelta(seconds=30)),
        "failed": ("failed", 8, None, NOW - 10 * minute),
    }


# --- The inbox --------------------------------------------------------------------------------


def test_marking_read_touches_only_the_callers_own_inbox_messages():
    owner = UserFactory()
    other = UserFactory()
    mine = NotificationFactory(recipient=owner, created_at=NOW)
    theirs = NotificationFactory(recipient=other, created_at=NOW)
    read_at = NOW + datetime.timedelta(minutes=5)

    assert notification_mark(user_id=owner.pk, notification_id=theirs.pk, read=True, now=read_at) is False
    theirs.refresh_from_db()
    assert theirs.read_at is None

    assert notification_mark(user_id=owner.pk, notification_id=mine.pk, read=True, now=read_at) is True
    mine.refresh_from_db()
    assert mine.read_at == read_at

    assert notification_mark(user_id=owner.pk, notification_id=mine.pk, read=False, now=read_at) is True
    mine.refresh_from_db()
    assert mine.read_at is None


def test_mark_all_read_touches_only_the_callers_unread_inbox_messages():
    owner = UserFactory()
    other = UserFactory()
    earlier = NOW - datetime.timedelta(days=1)
    unread = NotificationFactory.create_batch(2, recipient=owner, created_at=NOW)
    already_read = NotificationFactory(recipient=owner, created_at=NOW, read_at=earlier)
    not_in_inbox = NotificationFactory(recipient=owner, created_at=NOW, in_inbox=False, event_type="phone_verification")
    theirs = NotificationFactory(recipient=other, created_at=NOW)
    read_at = NOW + datetime.timedelta(minutes=5)

    assert notification_mark_all_read(user_id=owner.pk, now=read_at) == 2

    assert dict(Notification.objects.values_list("pk", "read_at")) == {
        unread[0].pk: read_at,
        unread[1].pk: read_at,
        already_read.pk: earlier,
        not_in_inbox.pk: None,
        theirs.pk: None,
    }
