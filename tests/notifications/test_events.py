"""The registry of event types: each app registers its own at start-up, with the folder of its
templates; a key is registered once; an event nobody registered fails loudly."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from notifications.events import EVENT_TYPES, event_type
from notifications.models import Notification
from notifications.services import event_types_register, notify, render_part
from notifications.types import Category, EventType, Importance, Recipient
from tests.identity.factories import UserFactory

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def registry() -> Iterator[dict[str, EventType]]:
    """The registry as the apps left it, put back after the test."""
    saved = dict(EVENT_TYPES)
    yield EVENT_TYPES
    EVENT_TYPES.clear()
    EVENT_TYPES.update(saved)


def _keys_by_folder() -> dict[str, list[str]]:
    folders: dict[str, list[str]] = {}
    for key, kind in sorted(EVENT_TYPES.items()):
        folders.setdefault(kind.template_folder, []).append(key)
    return folders


def test_notifications_registers_its_own_event_types_and_identitys() -> None:
    assert _keys_by_folder()["notifications/events"] == [
        "account_linked",
        "payment_details_changed",
        "phone_verification",
        "role_granted",
        "role_revoked",
        "service_notice",
        "sign_in_address_changed",
        "sign_in_locked",
    ]
    assert event_type("phone_verification").template_dir == "notifications/events/phone_verification"


def test_mandates_registers_its_event_types_with_their_templates_in_its_own_folder() -> None:
    assert _keys_by_folder()["mandates/notifications"] == [
        "mandate_accepted",
        "mandate_changed",
        "mandate_declined",
        "mandate_ended",
        "mandate_ending",
        "mandate_offered",
        "mandate_requested",
        "mandate_revoked",
    ]
    revoked = event_type("mandate_revoked")
    assert (revoked.category, revoked.importance, revoked.template_dir) == (
        Category.MANDATES,
        Importance.LEGAL,
        "mandates/notifications/mandate_revoked",
    )


def test_contributions_registers_its_event_types_with_their_templates_in_its_own_folder() -> None:
    assert _keys_by_folder()["contributions/notifications"] == [
        "bulk_upload_processed",
        "contribution_statement_processed",
        "declaration_accepted",
        "declaration_missing",
        "declaration_rejected",
        "discrepancy_answered",
        "discrepancy_correction_received",
        "discrepancy_correction_requested",
        "discrepancy_reported",
        "interest_posted",
        "payment_received",
        "penalty_posted",
    ]
    statement = event_type("contribution_statement_processed")
    assert (statement.category, statement.importance, statement.template_dir) == (
        Category.DOCUMENTS,
        Importance.NORMAL,
        "contributions/notifications/contribution_statement_processed",
    )


def test_a_registered_event_type_is_found_by_its_key(registry: dict[str, EventType]) -> None:
    kind = EventType("benefit_granted", Category.INFORMATION, template_folder="benefits/notifications")

    event_types_register(kind)

    assert event_type("benefit_granted") is kind
    assert kind.template_dir == "benefits/notifications/benefit_granted"
    assert (kind.importance, kind.in_inbox, kind.default_email, kind.default_sms) == (
        Importance.NORMAL,
        True,
        True,
        False,
    )


def test_registering_a_key_already_taken_is_refused_and_registers_nothing(registry: dict[str, EventType]) -> None:
    before = dict(registry)

    with pytest.raises(ImproperlyConfigured, match="registered twice: role_granted"):
        event_types_register(
            EventType("benefit_granted", Category.INFORMATION, template_folder="benefits/notifications"),
            EventType("role_granted", Category.INFORMATION, template_folder="benefits/notifications"),
        )

    assert registry == before


def test_giving_a_key_twice_in_one_registration_is_refused(registry: dict[str, EventType]) -> None:
    before = dict(registry)
    kind = EventType("benefit_granted", Category.INFORMATION, template_folder="benefits/notifications")

    with pytest.raises(ImproperlyConfigured, match="registered twice: benefit_granted"):
        event_types_register(kind, kind)

    assert registry == before


@pytest.mark.parametrize("app_label", ["notifications", "mandates", "contributions"])
def test_an_app_registering_its_event_types_a_second_time_is_refused(
    registry: dict[str, EventType], app_label: str
) -> None:
    before = dict(registry)

    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        apps.get_app_config(app_label).ready()

    assert registry == before


@pytest.mark.django_db
def test_notifying_an_unknown_event_fails_loudly_and_stores_nothing() -> None:
    user = UserFactory()

    with pytest.raises(ValueError, match="unknown notification event type 'no_such_event'"):
        notify(recipients=[Recipient(user.pk)], event="no_such_event", context={}, now=NOW)

    assert Notification.objects.count() == 0


def test_rendering_an_unknown_event_fails_loudly() -> None:
    with pytest.raises(ValueError, match="unknown notification event type 'no_such_event'"):
        render_part(event="no_such_event", part="subject.txt", context={}, language="fr", link="")
