"""The event types the portal tells people about, each with its templates and link.

Templates live in ``templates/notifications/events/<event type>/``:
``subject.txt`` (the inbox title), ``body.html`` (the inbox message), ``email_subject.txt``,
``email.txt`` and ``email.html``
(short: what happened, what to do, a link to the inbox — no personal data beyond what is needed),
``sms.txt`` (one short line). They are rendered in the recipient's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from notifications.types import Category, Importance


@dataclass(frozen=True)
class EventType:
    key: str
    category: Category
    importance: Importance = Importance.NORMAL
    # Whether the message appears in the inbox (a verification code, for instance, does not).
    in_inbox: bool = True
    # Channels used when the person has not chosen (legal notices add e-mail regardless).
    default_email: bool = True
    default_sms: bool = False

    @property
    def template_dir(self) -> str:
        return f"notifications/events/{self.key}"


EVENT_TYPES: dict[str, EventType] = {
    event.key: event
    for event in (
        EventType("account_linked", Category.ACCOUNT, Importance.LEGAL),
        EventType("phone_verification", Category.ACCOUNT, in_inbox=False, default_email=False, default_sms=True),
        EventType("role_granted", Category.ENTERPRISE),
        EventType("role_revoked", Category.ENTERPRISE),
        EventType("service_notice", Category.INFORMATION, default_email=False),
        EventType("mandate_offered", Category.MANDATES),
        EventType("mandate_requested", Category.MANDATES),
        EventType("mandate_accepted", Category.MANDATES),
        EventType("mandate_declined", Category.MANDATES),
        EventType("mandate_revoked", Category.MANDATES, Importance.LEGAL),
        EventType("mandate_changed", Category.MANDATES),
        EventType("mandate_ending", Category.MANDATES),
        EventType("mandate_ended", Category.MANDATES, Importance.LEGAL),
        EventType("payment_details_changed", Category.ACCOUNT, Importance.LEGAL),
        EventType("declaration_missing", Category.ENTERPRISE),
        EventType("discrepancy_reported", Category.ENTERPRISE),
        EventType("bulk_upload_processed", Category.ENTERPRISE),
        EventType("contribution_statement_processed", Category.DOCUMENTS),
    )
}


def event_type(key: str) -> EventType:
    try:
        return EVENT_TYPES[key]
    except KeyError:
        raise ValueError(f"unknown notification event type {key!r}") from None
