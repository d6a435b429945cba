"""The one path from events to people.

Each app registers the event types it owns with :func:`event_types_register` in its
``AppConfig.ready()``, then calls :func:`notify` (one piece of news for its recipients) or
:func:`notify_many` (each group of recipients its own, in one batch) inside its own
transaction: the notifications and their deliveries are stored in that transaction (an outbox)
and sent after commit by Celery. A rolled-back event sends nothing. A committed one is sent once: a delivery is claimed under a
row lock before it is sent, so a task run twice finds nothing left to do, and a worker that
dies while sending leaves a lease that runs out, after which the reconciler (a beat job) hands
the delivery to another worker. Every attempt is recorded; transient failures are retried with
exponential backoff; permanent ones are marked failed for staff to see and re-send.

Messages another library renders itself (allauth's: an address to confirm, a password reset)
take the same path: :func:`prepared_email_queue` stores them in the caller's transaction and
the workers send them as they are. A batch of deliveries is bounded in time
(``NOTIFICATIONS_SEND_BATCH_SECONDS``, and ``EMAIL_TIMEOUT`` per exchange with the mail server):
what it did not get to is left to the reconciler.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import itertools
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.tasks import enqueue
from identity.selectors import contact_map
from notifications import events
from notifications.channels import email_connection_close, email_connection_open, email_send, sms_sender
from notifications.events import event_type
from notifications.models import (
    ChannelPreference,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    PhoneNumber,
    PreparedEmail,
)
from notifications.types import (
    Category,
    Channel,
    EventType,
    Importance,
    Notice,
    NotificationError,
    PermanentDeliveryError,
    Recipient,
    TransientDeliveryError,
)

CHUNK_SIZE = 5000
DISPATCH_BATCH = 500
LEASE = datetime.timedelta(minutes=5)
# A pending delivery is queued at commit; the reconciler only steps in after this grace period.
PENDING_GRACE = datetime.timedelta(minutes=1)
PHONE_CODE_VALIDITY = datetime.timedelta(minutes=10)
PHONE_CODE_MAX_ATTEMPTS = 5


# One message to store: to whom, with which context and link (shared by the messages of one
# notify(), each its own in a notify_many()).
_Row = tuple[Recipient, dict[str, Any], str]


def _chunks(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _enqueue_after_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return

    for start in range(0, len(delivery_ids), DISPATCH_BATCH):
        enqueue("notifications.deliveries_send", delivery_ids=delivery_ids[start : start + DISPATCH_BATCH])


def event_types_register(*event_types: EventType) -> None:
    """Make an app's event types known; call it once, from the app's ``AppConfig.ready()``.

    A key already registered (or given twice) is refused with ``ImproperlyConfigured`` and none of
    the given types is registered. The templates of each are found in its ``template_dir``.
    """
    events.register(*event_types)


def notify(
    *,
    recipients: Iterable[Recipient],
    event: str,
    context: dict[str, Any],
    now: datetime.datetime,
    link: str = "",
) -> int:
    """Tell each recipient about an event. Call it inside the transaction of the event.

    ``recipients`` may be a generator: it is consumed in chunks, so memory stays flat whatever
    their number. Returns the number of notifications stored.
    """
    return _store(kind=event_type(event), rows=((recipient, context, link) for recipient in recipients), now=now)


def notify_many(*, event: str, notices: Iterable[Notice], now: datetime.datetime) -> int:
    """Tell many groups of people each their own news of one kind of event — each enterprise's
    representatives about their enterprise — in the queries of one :func:`notify`: a chunk of
    recipients costs the same few statements whether it holds one notice or thousands. Call it
    inside the transaction of the events; ``notices`` may be a generator. Returns the number of
    notifications stored."""
    return _store(
        kind=event_type(event),
        rows=((recipient, notice.context, notice.link) for notice in notices for recipient in notice.recipients),
        now=now,
    )


def _store(*, kind: EventType, rows: Iterable[_Row], now: datetime.datetime) -> int:
    total = 0
    with transaction.atomic():
        for chunk in _chunks(rows, CHUNK_SIZE):
            total += _notify_chunk(kind=kind, chunk=chunk, now=now)
    return total


def _notify_chunk(*, kind: EventType, chunk: list[_Row], now: datetime.datetime) -> int:
    user_ids = list(dict.fromkeys(recipient.user_id for recipient, _context, _link in chunk))
    chosen = dict(
        (user_id, (email, sms))
        for user_id, email, sms in ChannelPreference.objects.filter(
            user_id__in=user_ids, category=kind.category
        ).values_list("user_id", "email", "sms")
    )
    wants_email: set[int] = set()
    wants_sms: set[int] = set()
    for user_id in user_ids:
        email, sms = chosen.get(user_id, (kind.default_email, kind.default_sms))
        if email or kind.importance == Importance.LEGAL:
            wants_email.add(user_id)
        if sms:
            wants_sms.add(user_id)
    emails = (
        {
            contact.user_id: contact.email
            for contact in contact_map(user_ids=list(wants_email)).values()
            if contact.is_active
        }
        if wants_email
        else {}
    )
    phones = (
        dict(
            PhoneNumber.objects.filter(user_id__in=wants_sms, verified_at__isnull=False).values_list(
                "user_id", "number"
            )
        )
        if wants_sms
        else {}
    )
    if not emails and not phones:
        # Inbox only (the common case of a mass fan-out): no delivery needs the new ids, so the
        # rows are streamed with COPY, several times faster than INSERT.
        _copy_notifications(kind=kind, chunk=chunk, now=now)
        return len(chunk)
    stored = _insert_notifications(kind=kind, chunk=chunk, now=now)
    deliveries = [
        Delivery(notification_id=notification_id, channel=channel, address=addresses[user_id], next_attempt_at=now)
        for notification_id, user_id in stored
        for channel, addresses in ((Channel.EMAIL, emails), (Channel.SMS, phones))
        if user_id in addresses
    ]
    if deliveries:
        created = Delivery.objects.bulk_create(deliveries, batch_size=CHUNK_SIZE)
        _enqueue_after_commit([delivery.pk for delivery in created])
    return len(stored)


_INSERT_NOTIFICATIONS_SQL = """
INSERT INTO notifications_notification
    (recipient_id, on_behalf_of_person_id, event_type, category, importance, in_inbox, context, link, created_at)
SELECT recipient, person, %s, %s, %s, %s, context::jsonb, link, %s
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) AS rows(recipient, person, context, link)
RETURNING id, recipient_id
"""


def _insert_notifications(*, kind: EventType, chunk: list[_Row], now: datetime.datetime) -> list[tuple[int, int]]:
    """Store the chunk's notifications in one statement over arrays (a model instance and a
    parameter per field of each row cost several times more for thousands of rows); returns
    (notification id, recipient's user id) of each."""
    contexts = _contexts_json(chunk)
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_NOTIFICATIONS_SQL,
            [
                kind.key,
                kind.category.value,
                kind.importance.value,
                kind.in_inbox,
                now,
                [recipient.user_id for recipient, _context, _link in chunk],
                [recipient.on_behalf_of_person_id for recipient, _context, _link in chunk],
                contexts,
                [link for _recipient, _context, link in chunk],
            ],
        )
        return [(notification_id, user_id) for notification_id, user_id in cursor.fetchall()]


def _contexts_json(chunk: list[_Row]) -> list[str]:
    """Each row's context as JSON text, each context written once (a notify() shares one among
    all its recipients)."""
    written: dict[int, str] = {}
    texts = []
    for _recipient, context, _link in chunk:
        text = written.get(id(context))
        if text is None:
            text = written[id(context)] = json.dumps(context, cls=DjangoJSONEncoder)
        texts.append(text)
    return texts


def _copy_notifications(*, kind: EventType, chunk: list[_Row], now: datetime.datetime) -> None:
    table = Notification._meta.db_table
    columns = (
        "recipient_id, on_behalf_of_person_id, event_type, category, importance, in_inbox, context, link, created_at"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for (recipient, _context, link), context_json in zip(chunk, _contexts_json(chunk), strict=True):
            copy.write_row(
                (
                    recipient.user_id,
                    recipient.on_behalf_of_person_id,
                    kind.key,
                    kind.category.value,
                    kind.importance.value,
                    kind.in_inbox,
                    context_json,
                    link,
                    now,
                )
            )


def prepared_email_queue(
    *, address: str, subject: str, text: str, html: str, recipient_user_id: int | None, now: datetime.datetime
) -> int:
    """Store an e-mail its sender rendered (subject, text, HTML) as a delivery of the outbox, in
    the caller's transaction; it is queued after commit and sent by a worker like any other, with
    its retries. It may carry a secret link: it is shown on no page and never logged, and its
    bodies are emptied once sent. Returns the delivery's id."""
    with transaction.atomic():
        prepared = PreparedEmail.objects.create(
            recipient_id=recipient_user_id, subject=subject[:300], text=text, html=html, created_at=now
        )
        delivery = Delivery.objects.create(
            prepared_email=prepared, channel=Channel.EMAIL, address=address, next_attempt_at=now
        )
        _enqueue_after_commit([delivery.pk])
    return delivery.pk


# --- Sending ------------------------------------------------------------------------------------


def render_part(*, event: str, part: str, context: dict[str, Any], language: str, link: str) -> str:
    """Render one part of an event's message in ``language``. ``.txt`` parts are plain text (not
    HTML-escaped); ``.html`` parts are escaped HTML."""
    kind = event_type(event)
    base = settings.SITE_URL.rstrip("/")
    values = {**context, "link_url": base + link if link else "", "inbox_url": base + "/inbox/", "site_url": base}
    with translation.override(language):
        template = get_template(f"{kind.template_dir}/{part}")
        if part.endswith(".txt"):
            return str(template.template.render(Context(values, autoescape=False))).strip()  # type: ignore[attr-defined]
        return str(template.render(values)).strip()


def notification_render(*, notification: Notification, part: str, language: str) -> str:
    return render_part(
        event=notification.event_type,
        part=part,
        context=notification.context,
        language=language,
        link=notification.link,
    )


def _backoff(attempts: int) -> datetime.timedelta:
    return min(datetime.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), datetime.timedelta(hours=6))


def _claim(*, delivery_ids: list[int], now: datetime.datetime) -> list[int]:
    with transaction.atomic():
        claimed = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=delivery_ids,
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY],
                next_attempt_at__lte=now,
            )
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=claimed).update(
            status=DeliveryStatus.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
        )
    return claimed


def _record(*, delivery: Delivery, outcome: str, now: datetime.datetime, error: str = "", reference: str = "") -> None:
    with transaction.atomic():
        fields: dict[str, Any] = {"status": outcome, "lease_until": None, "last_error": error[:500]}
        if outcome == DeliveryStatus.SENT:
            fields.update(sent_at=now, provider_reference=reference[:200])
        elif outcome == DeliveryStatus.RETRY:
            fields["next_attempt_at"] = now + _backoff(delivery.attempts)
        # Only the claim holder may settle the delivery (a reconciler may have taken it back).
        settled = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(**fields)
        if settled:
            DeliveryAttempt.objects.create(delivery_id=delivery.pk, at=now, outcome=outcome, error=error[:500])
            if outcome == DeliveryStatus.SENT and delivery.prepared_email_id is not None:
                # Sent: its link (a password reset's) has no reason to stay in the database.
                PreparedEmail.objects.filter(pk=delivery.prepared_email_id).update(text="", html="")


def _release(*, delivery_ids: list[int], now: datetime.datetime) -> None:
    """Give back claimed deliveries this batch did not attempt: no attempt is counted, and the
    reconciler queues them again."""
    if delivery_ids:
        Delivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.RETRY, lease_until=None, next_attempt_at=now, attempts=F("attempts") - 1
        )


def _email_parts(delivery: Delivery, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of an e-mail delivery: the notification's, rendered in the
    recipient's language, or the prepared e-mail's as it was stored."""
    if delivery.prepared_email is not None:
        prepared = delivery.prepared_email
        return prepared.subject, prepared.text, prepared.html
    notification = delivery.notification
    assert notification is not None  # a database constraint: one or the other
    return (
        notification_render(notification=notification, part="email_subject.txt", language=language),
        notification_render(notification=notification, part="email.txt", language=language),
        notification_render(notification=notification, part="email.html", language=language),
    )


def deliveries_send(*, delivery_ids: list[int], clock: Callable[[], datetime.datetime]) -> int:
    """Send the given deliveries that are due and not claimed by someone else. Safe to run twice.
    Returns how many were sent.

    Bounded in time: no attempt starts after ``NOTIFICATIONS_SEND_BATCH_SECONDS``, and once the
    mail server has not answered, the batch's other e-mails are not tried — both are given back,
    without counting an attempt, for the reconciler to queue again."""
    started = clock()
    deadline = started + datetime.timedelta(seconds=settings.NOTIFICATIONS_SEND_BATCH_SECONDS)
    claimed = _claim(delivery_ids=delivery_ids, now=started)
    if not claimed:
        return 0
    deliveries = list(
        Delivery.objects.filter(pk__in=claimed).select_related("notification", "prepared_email").order_by("pk")
    )
    recipient_ids = {d.notification.recipient_id for d in deliveries if d.notification is not None}
    languages = {contact.user_id: contact.language for contact in contact_map(user_ids=list(recipient_ids)).values()}
    sent = 0
    email_connection = None
    mail_server_down = False
    left: list[int] = []
    sms = None
    try:
        for position, delivery in enumerate(deliveries):
            if clock() >= deadline:
                left += [d.pk for d in deliveries[position:]]
                break
            if mail_server_down and delivery.channel == Channel.EMAIL:
                left.append(delivery.pk)
                continue
            notification = delivery.notification
            language = (
                languages.get(notification.recipient_id, settings.LANGUAGE_CODE)
                if notification is not None
                else settings.LANGUAGE_CODE
            )
            reference = f"guichet-delivery-{delivery.pk}"
            try:
                if delivery.channel == Channel.EMAIL:
                    if email_connection is None:
                        try:
                            email_connection = email_connection_open()
                        except TransientDeliveryError:
                            mail_server_down = True
                            raise
                    subject, text, html = _email_parts(delivery, language)
                    provider_reference = email_send(
                        connection=email_connection,
                        to=delivery.address,
                        subject=subject,
                        text=text,
                        html=html,
                        reference=reference,
                    )
                else:
                    assert notification is not None  # only e-mails are prepared
                    sms = sms or sms_sender()
                    text = notification_render(notification=notification, part="sms.txt", language=language)
                    provider_reference = sms.send(to=delivery.address, text=text, reference=reference)
            except PermanentDeliveryError as error:
                _record(delivery=delivery, outcome=DeliveryStatus.FAILED, now=clock(), error=str(error))
            except (TransientDeliveryError, Exception) as error:  # noqa: BLE001
                # Anything unexpected (a template error, a bug) is retried like a transient failure
                # so that no claim is left hanging, and ends "failed" for staff after the last try.
                if delivery.channel == Channel.EMAIL and email_connection is not None:
                    email_connection_close(email_connection, failed=True)
                    email_connection = None
                final = delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
                _record(
                    delivery=delivery,
                    outcome=DeliveryStatus.FAILED if final else DeliveryStatus.RETRY,
                    now=clock(),
                    error=str(error)
                    if isinstance(error, TransientDeliveryError)
                    else f"{type(error).__name__}: {error}",
                )
            else:
                _record(delivery=delivery, outcome=DeliveryStatus.SENT, now=clock(), reference=provider_reference)
                sent += 1
    finally:
        if email_connection is not None:
            email_connection_close(email_connection)
        _release(delivery_ids=left, now=clock())
    return sent


def deliveries_reconcile(*, now: datetime.datetime) -> int:
    """Hand back to the queue what the broker or a worker lost: deliveries due for a retry,
    pending ones never picked up, and claims whose worker died (expired lease)."""
    with transaction.atomic():
        Delivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__lt=now).update(
            status=DeliveryStatus.RETRY, lease_until=None, next_attempt_at=now
        )
        due = list(
            Delivery.objects.filter(
                Q(status=DeliveryStatus.RETRY, next_attempt_at__lte=now)
                | Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - PENDING_GRACE)
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:50_000]
        )
        _enqueue_after_commit(due)
    return len(due)


def deliveries_resend(*, delivery_ids: list[int], now: datetime.datetime) -> int:
    """Staff re-send failed deliveries (after fixing an address, or once a gateway is back)."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=delivery_ids, status=DeliveryStatus.FAILED)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=0)
        _enqueue_after_commit(ids)
    return len(ids)


# --- The inbox ----------------------------------------------------------------------------------


def notification_mark(*, user_id: int, notification_id: int, read: bool, now: datetime.datetime) -> bool:
    """Mark one of the user's own messages read or unread; False when it is not theirs."""
    updated = Notification.objects.filter(pk=notification_id, recipient_id=user_id, in_inbox=True).update(
        read_at=now if read else None
    )
    return updated == 1


def notification_mark_all_read(*, user_id: int, now: datetime.datetime) -> int:
    return Notification.objects.filter(recipient_id=user_id, in_inbox=True, read_at__isnull=True).update(read_at=now)


# --- Preferences and the mobile number --------------------------------------------------------


def preferences_set(*, user_id: int, choices: dict[str, tuple[bool, bool]]) -> None:
    """``choices`` maps a category to (e-mail, SMS). The inbox is always on."""
    with transaction.atomic():
        for category, (email, sms) in choices.items():
            if category not in Category.values:
                raise NotificationError("unknown_category", _("Unknown category."))
            ChannelPreference.objects.update_or_create(
                user_id=user_id, category=category, defaults={"email": email, "sms": sms}
            )


def _code_digest(user_id: int, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"phone:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_number_normalize(number: str) -> str:
    """E.164 form of a mobile number, or NotificationError with a reason for people."""
    try:
        parsed = phonenumbers.parse(number, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise NotificationError("phone_invalid", _("This is not a valid phone number.")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise NotificationError("phone_invalid", _("This is not a valid phone number."))
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise NotificationError("phone_not_mobile", _("Text messages need a mobile number."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_number_set(*, user_id: int, number: str, now: datetime.datetime) -> str:
    """Record a new mobile number (unverified) and send it a verification code by SMS."""
    normalized = phone_number_normalize(number)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        PhoneNumber.objects.update_or_create(
            user_id=user_id,
            defaults={
                "number": normalized,
                "verified_at": None,
                "code_digest": _code_digest(user_id, code),
                "code_expires_at": now + PHONE_CODE_VALIDITY,
                "code_attempts": 0,
            },
        )
        kind = event_type("phone_verification")
        notification = Notification.objects.create(
            recipient_id=user_id,
            event_type=kind.key,
            category=kind.category,
            importance=kind.importance,
            in_inbox=False,
            context={"code": code},
            created_at=now,
        )
        delivery = Delivery.objects.create(
            notification=notification, channel=Channel.SMS, address=normalized, next_attempt_at=now
        )
        _enqueue_after_commit([delivery.pk])
    return normalized


def phone_number_verify(*, user_id: int, code: str, now: datetime.datetime) -> None:
    with transaction.atomic():
        phone = PhoneNumber.objects.select_for_update().filter(user_id=user_id).first()
        if phone is None or phone.verified_at is not None or not phone.code_digest:
            raise NotificationError("no_code", _("Ask for a new code first."))
        if phone.code_attempts >= PHONE_CODE_MAX_ATTEMPTS or (phone.code_expires_at and phone.code_expires_at < now):
            raise NotificationError("code_expired", _("This code has expired. Ask for a new one."))
        if not hmac.compare_digest(phone.code_digest, _code_digest(user_id, code.strip())):
            PhoneNumber.objects.filter(pk=phone.pk).update(code_attempts=F("code_attempts") + 1)
            wrong = NotificationError("code_wrong", _("This code is not correct."))
        else:
            PhoneNumber.objects.filter(pk=phone.pk).update(verified_at=now, code_digest="", code_expires_at=None)
            # The code has served: do not keep it in clear in the message history.
            Notification.objects.filter(recipient_id=user_id, event_type="phone_verification").update(context={})
            return
    raise wrong


def phone_number_remove(*, user_id: int) -> None:
    PhoneNumber.objects.filter(user_id=user_id).delete()
