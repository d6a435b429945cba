"""Reads of the notifications app: a person's inbox, their preferences and mobile number; whom to
tell; and, for the back office and the operators, what the channels did and what the outbox
holds (``delivery_figures``, ``delivery_backlog``: counts naming no one, one statement each).

Every read of messages is limited to the account asking: another person's message is not found.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import translation
from django.utils.safestring import mark_safe

from core.db import prepared_cursor
from core.errors import NotFound
from identity.selectors import (
    person_names,
    user_ids_for_enterprise,
    user_ids_for_enterprises,
    user_ids_for_person,
    user_ids_for_persons,
    user_ids_in_staff_group,
)
from notifications.events import EVENT_TYPES
from notifications.models import ChannelPreference, Notification, PhoneNumber
from notifications.services import notification_render, render_part
from notifications.types import Category, Channel, DeliveryBacklog, DeliveryFigures, Importance, Recipient


@dataclass(frozen=True)
class InboxRow:
    id: int
    subject: str
    category: str
    category_label: str
    created_at: datetime.datetime
    is_read: bool
    is_legal: bool


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    page_count: int
    unread_count: int


@dataclass(frozen=True)
class Message:
    id: int
    subject: str
    body_html: str
    category_label: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None
    link: str
    is_legal: bool
    about_person_name: str = ""


def unread_count(*, user_id: int) -> int:
    """Shown in the header of every signed-in page: one count over the partial index of unread
    messages, in SQL (the ORM took longer to build the query than the database to answer),
    prepared."""
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM notifications_notification WHERE recipient_id = %s AND in_inbox AND read_at IS NULL",
            [user_id],
        )
        (count,) = cursor.fetchone()
    return int(count)


def inbox_page(*, user_id: int, category: str | None, page: int, page_size: int = 20) -> InboxPage:
    """One page of the inbox, newest first; a constant number of queries whatever its length."""
    query = Notification.objects.filter(recipient_id=user_id, in_inbox=True)
    if category in Category.values:
        query = query.filter(category=category)
    total = query.count()
    page_count = max(1, -(-total // page_size))
    page = min(max(page, 1), page_count)
    rows = query.order_by("-created_at", "-id").values_list(
        "id", "event_type", "category", "context", "link", "created_at", "read_at", "importance"
    )[(page - 1) * page_size : page * page_size]
    labels = dict(Category.choices)
    language = translation.get_language() or "fr"
    return InboxPage(
        rows=[
            InboxRow(
                id=pk,
                subject=render_part(event=event, part="subject.txt", context=context, language=language, link=link),
                category=row_category,
                category_label=str(labels.get(row_category, row_category)),
                created_at=created_at,
                is_read=read_at is not None,
                is_legal=importance == Importance.LEGAL,
            )
            for pk, event, row_category, context, link, created_at, read_at, importance in rows
            if event in EVENT_TYPES
        ],
        total=total,
        page=page,
        page_count=page_count,
        unread_count=unread_count(user_id=user_id),
    )


def message_get(*, user_id: int, notification_id: int) -> Message:
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user_id, in_inbox=True).first()
    if notification is None or notification.event_type not in EVENT_TYPES:
        raise NotFound
    language = translation.get_language() or "fr"

    def render(part: str) -> str:
        return notification_render(notification=notification, part=part, language=language)

    return Message(
        id=notification.pk,
        subject=render("subject.txt"),
        # Our own template's output, escaped when rendered.
        body_html=mark_safe(render("body.html")),  # noqa: S308
        category_label=str(dict(Category.choices).get(notification.category, notification.category)),
        created_at=notification.created_at,
        read_at=notification.read_at,
        link=notification.link,
        is_legal=notification.importance == Importance.LEGAL,
        about_person_name=(
            person_names(person_ids=[notification.on_behalf_of_person_id]).get(notification.on_behalf_of_person_id, "")
            if notification.on_behalf_of_person_id
            else ""
        ),
    )


@dataclass(frozen=True)
class PreferenceRow:
    category: str
    label: str
    email: bool
    sms: bool
    email_locked: bool


def preferences_get(*, user_id: int) -> list[PreferenceRow]:
    """Per category: the person's choice, or the defaults of its event types."""
    chosen = {
        category: (email, sms)
        for category, email, sms in ChannelPreference.objects.filter(user_id=user_id).values_list(
            "category", "email", "sms"
        )
    }
    rows = []
    for category, label in Category.choices:
        kinds = [kind for kind in EVENT_TYPES.values() if kind.category == category and kind.in_inbox]
        default_email = any(kind.default_email for kind in kinds)
        email_locked = any(kind.importance == Importance.LEGAL for kind in kinds)
        email, sms = chosen.get(category, (default_email, False))
        rows.append(PreferenceRow(category, str(label), email or email_locked, sms, email_locked))
    return rows


@dataclass(frozen=True)
class Phone:
    number: str
    is_verified: bool


def phone_get(*, user_id: int) -> Phone | None:
    row = PhoneNumber.objects.filter(user_id=user_id).values_list("number", "verified_at").first()
    return Phone(number=row[0], is_verified=row[1] is not None) if row else None


# --- Whom to tell: recipients for the callers of notify() ----------------------------------------


def recipients_for_person(*, person_id: int) -> list[Recipient]:
    """The account of a person (none if they have no account yet)."""
    return [Recipient(user_id) for user_id in user_ids_for_person(person_id=person_id)]


def recipients_for_persons(*, person_ids: list[int]) -> dict[int, list[Recipient]]:
    """The accounts of several persons, in one query (a person without one is absent)."""
    return {
        person_id: [Recipient(user_id) for user_id in user_ids]
        for person_id, user_ids in user_ids_for_persons(person_ids=person_ids).items()
    }


def recipients_for_enterprise(*, enterprise_id: int, roles: tuple[str, ...] | None = None) -> list[Recipient]:
    """The representatives of an enterprise, optionally only some roles."""
    return [Recipient(user_id) for user_id in user_ids_for_enterprise(enterprise_id=enterprise_id, roles=roles)]


def recipients_for_enterprises(
    *, enterprise_ids: list[int], roles: tuple[str, ...] | None = None
) -> dict[int, list[Recipient]]:
    """The representatives of several enterprises, in one query."""
    return {
        enterprise_id: [Recipient(user_id) for user_id in user_ids]
        for enterprise_id, user_ids in user_ids_for_enterprises(enterprise_ids=enterprise_ids, roles=roles).items()
    }


def recipients_for_staff_group(*, group_name: str) -> list[Recipient]:
    return [Recipient(user_id) for user_id in user_ids_in_staff_group(group_name=group_name)]


# --- Figures for the back office and the operators ---------------------------------------------

_FIGURES_SQL = """
SELECT d.channel, a.outcome, COUNT(*)
FROM notifications_deliveryattempt a
JOIN notifications_delivery d ON d.id = a.delivery_id
WHERE a.at >= %(since)s AND a.at < %(until)s
GROUP BY d.channel, a.outcome
"""


def delivery_figures(*, since: datetime.datetime, until: datetime.datetime) -> list[DeliveryFigures]:
    """Per channel (e-mail, SMS), the attempts of [since, until) by their outcome: deliveries sent,
    failed for good, and transient failures retried."""
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES_SQL, {"since": since, "until": until})
        found = {(channel, outcome): count for channel, outcome, count in cursor.fetchall()}
    return [
        DeliveryFigures(
            channel=channel,
            sent=found.get((channel, "sent"), 0),
            failed=found.get((channel, "failed"), 0),
            retried=found.get((channel, "retry"), 0),
        )
        for channel in Channel.values
    ]


_BACKLOG_SQL = """
SELECT COUNT(*) FILTER (WHERE status = 'pending'),
       COUNT(*) FILTER (WHERE status = 'retry'),
       COUNT(*) FILTER (WHERE status = 'sending'),
       COUNT(*) FILTER (WHERE status IN ('pending', 'retry') AND next_attempt_at <= %(now)s),
       MIN(next_attempt_at) FILTER (WHERE status IN ('pending', 'retry')),
       (SELECT COUNT(*) FROM notifications_delivery WHERE status = 'failed')
FROM notifications_delivery
WHERE status IN ('pending', 'retry', 'sending')
"""


def delivery_backlog(*, now: datetime.datetime) -> DeliveryBacklog:
    """The outbox at ``now``, in one statement over the partial indexes of unfinished and failed
    deliveries."""
    with connection.cursor() as cursor:
        cursor.execute(_BACKLOG_SQL, {"now": now})
        pending, retrying, sending, due, oldest, failed = cursor.fetchone()
    return DeliveryBacklog(
        pending=pending,
        retrying=retrying,
        sending=sending,
        due=due,
        oldest_due_at=oldest if oldest is not None and oldest <= now else None,
        failed=failed,
    )
