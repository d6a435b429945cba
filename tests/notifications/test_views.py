"""The inbox and preference pages: one's own messages only, plain forms, a constant number of queries."""

from __future__ import annotations

import datetime
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from identity.models import Enterprise, User
from notifications.models import ChannelPreference, Notification, PhoneNumber
from notifications.services import notify, phone_number_set
from notifications.types import Category, Recipient
from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
INBOX = reverse("notifications:inbox")
PREFERENCES = reverse("notifications:preferences")
PHONE = reverse("notifications:phone")
READ_ALL = reverse("notifications:mark_all_read")
START = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=datetime.UTC)


def _user() -> User:
    return cast(User, UserFactory())


def _notify(user: User, *, event: str = "role_granted", at: datetime.datetime = START, **context: Any) -> Notification:
    """One message to ``user``; returns the stored row."""
    if event in ("role_granted", "role_revoked"):
        context = {"enterprise_name": "Boulangerie Dupont", "role": "declarant", **context}
    elif event == "service_notice":
        context = {
            "title_fr": "Fermeture des guichets",
            "title_en": "Counters closed",
            "body_fr": "Nos guichets sont fermés le 1er mai.",
            "body_en": "Our counters are closed on 1 May.",
            **context,
        }
    notify(recipients=[Recipient(user.pk)], event=event, context=context, now=at, link="/dashboard/")
    return Notification.objects.filter(recipient_id=user.pk).latest("pk")


def _many(user: User, count: int, *, event: str = "role_granted", first: int = 0) -> None:
    """``count`` messages, one a minute, about "Entreprise <first>", "Entreprise <first + 1>", …"""
    for index in range(first, first + count):
        _notify(user, event=event, at=START + datetime.timedelta(minutes=index), enterprise_name=f"Entreprise {index}")


def _in(language: str, message: str, **values: str) -> str:
    """What the catalogue says (the tests hold whether or not the French one is compiled)."""
    with translation.override(language):
        return str(translation.gettext(message)) % values if values else str(translation.gettext(message))


def _message_url(notification: Notification) -> str:
    return reverse("notifications:message", args=[notification.pk])


def _mark_url(notification_id: int) -> str:
    return reverse("notifications:mark", args=[notification_id])


def _read_at(notification: Notification) -> datetime.datetime | None:
    notification.refresh_from_db()
    return notification.read_at


def _preferences() -> dict[str, tuple[bool, bool]]:
    return {row.category: (row.email, row.sms) for row in ChannelPreference.objects.all()}


def _forged_id() -> int:
    return (Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def _flash(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def owner() -> User:
    return _user()


@pytest.fixture
def owned(owner: User) -> Notification:
    return _notify(owner)


@pytest.fixture
def phone_settings(settings: Any, tmp_path: Any) -> Any:
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.PHONE_DEFAULT_REGION = "BE"
    return settings


# --- Authorization matrix ---------------------------------------------------------------------

ENDPOINTS = [
    ("get", "inbox"),
    ("get", "message"),
    ("post", "mark"),
    ("post", "read_all"),
    ("get", "preferences"),
    ("post", "preferences"),
    ("post", "phone"),
]


def _url(name: str, notification: Notification) -> str:
    return {
        "inbox": INBOX,
        "message": _message_url(notification),
        "mark": _mark_url(notification.pk),
        "read_all": READ_ALL,
        "preferences": PREFERENCES,
        "phone": PHONE,
    }[name]


def _data(name: str, method: str = "post") -> dict[str, str]:
    if method == "get":
        return {}
    return {
        "mark": {"read": "1"},
        "preferences": {"enterprise_sms": "on"},
        "phone": {"action": "set", "number": "0470 12 34 56"},
    }.get(name, {})


@pytest.mark.parametrize(("method", "name"), ENDPOINTS)
def test_anonymous_is_sent_to_sign_in_and_changes_nothing(
    client: Client, owned: Notification, phone_settings: Any, method: str, name: str
) -> None:
    url = _url(name, owned)

    response = getattr(client, method)(url, _data(name, method))

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url}"
    assert _read_at(owned) is None
    assert not ChannelPreference.objects.exists()
    assert not PhoneNumber.objects.exists()


@pytest.mark.parametrize(
    ("method", "name", "status", "location"),
    [
        ("get", "inbox", 200, None),
        ("get", "message", 200, None),
        ("post", "mark", 302, INBOX),
        ("post", "read_all", 302, INBOX),
        ("get", "preferences", 200, None),
        ("post", "preferences", 302, PREFERENCES),
        ("post", "phone", 302, PREFERENCES),
    ],
)
def test_owner_reaches_every_page(
    client: Client,
    owner: User,
    owned: Notification,
    phone_settings: Any,
    method: str,
    name: str,
    status: int,
    location: str | None,
) -> None:
    sign_in(client, owner)

    response = getattr(client, method)(_url(name, owned), _data(name, method))

    assert response.status_code == status
    if location is not None:
        assert response["Location"] == location


@pytest.mark.parametrize("name", ["mark", "read_all", "phone"])
def test_post_only_endpoints_refuse_get(client: Client, owner: User, owned: Notification, name: str) -> None:
    sign_in(client, owner)

    response = client.get(_url(name, owned), _data(name))

    assert response.status_code == 405
    assert _read_at(owned) is None
    assert not PhoneNumber.objects.exists()


@pytest.fixture(params=["citizen", "representative_of_another_enterprise"])
def stranger(request: pytest.FixtureRequest, client: Client) -> User:
    """Someone else, signed in: a citizen, or the administrator (with a second factor) of another enterprise."""
    if request.param == "citizen":
        user = _user()
        sign_in(client, user)
    else:
        user = with_totp(_user())
        representation(user, cast(Enterprise, EnterpriseFactory(name="Garage Martin")))
        sign_in(client, user, mfa=True)
    return user


def test_someone_else_cannot_open_the_message(client: Client, stranger: User, owned: Notification) -> None:
    response = client.get(_message_url(owned))

    assert response.status_code == 404
    assert _read_at(owned) is None


@pytest.mark.parametrize("read", ["1", "0"])
def test_someone_else_cannot_mark_the_message(client: Client, stranger: User, owned: Notification, read: str) -> None:
    Notification.objects.filter(pk=owned.pk).update(read_at=None if read == "1" else START)

    response = client.post(_mark_url(owned.pk), {"read": read})

    assert response.status_code == 404
    assert _read_at(owned) == (None if read == "1" else START)


def test_someone_else_marking_all_read_leaves_the_owners_messages_unread(
    client: Client, stranger: User, owned: Notification
) -> None:
    theirs = _notify(stranger)

    response = client.post(READ_ALL)

    assert response.status_code == 302
    assert _read_at(owned) is None
    assert _read_at(theirs) is not None


def test_someone_elses_inbox_does_not_list_the_owners_messages(
    client: Client, stranger: User, owned: Notification
) -> None:
    response = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["page"].rows == []
    assert response.context["page"].total == 0
    assert "Boulangerie Dupont" not in response.content.decode()
    assert "No message here." in response.content.decode()


def test_someone_elses_preferences_and_number_stay_theirs(
    client: Client, stranger: User, owner: User, phone_settings: Any
) -> None:
    ChannelPreference.objects.create(user=owner, category=Category.ENTERPRISE, email=True, sms=False)
    PhoneNumber.objects.create(user=owner, number="+32470999999", verified_at=START)

    client.post(PREFERENCES, {"enterprise_sms": "on"})
    client.post(PHONE, {"action": "remove"})

    assert ChannelPreference.objects.get(user=owner, category=Category.ENTERPRISE).sms is False
    assert PhoneNumber.objects.filter(user=owner, number="+32470999999").exists()
    response = client.get(PREFERENCES)
    assert "+32470999999" not in response.content.decode()


def test_forged_id_answers_404(client: Client, owner: User, owned: Notification) -> None:
    sign_in(client, owner)
    forged = _forged_id()

    assert client.get(reverse("notifications:message", args=[forged])).status_code == 404
    assert client.post(_mark_url(forged), {"read": "1"}).status_code == 404
    assert _read_at(owned) is None


# --- Reading a message ------------------------------------------------------------------------


def test_opening_a_message_marks_it_read_and_shows_it_in_english(client: Client, owner: User) -> None:
    message = _notify(owner)
    sign_in(client, owner)

    response = client.get(_message_url(message), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.context["message"].subject == "You now act for Boulangerie Dupont"
    page = response.content.decode()
    assert '<h1 id="message-subject">You now act for Boulangerie Dupont</h1>' in page
    assert "You are now a declarant for Boulangerie Dupont." in page
    assert "As a declarant you file the enterprise's declarations." in page
    assert '<a class="usa-button" href="/dashboard/">Go to the page</a>' in page
    assert _read_at(message) is not None


def test_message_is_shown_in_french_by_default(client: Client, owner: User) -> None:
    message = _notify(owner)
    sign_in(client, owner)

    response = client.get(_message_url(message))

    page = response.content.decode()
    subject = _in("fr", "You now act for %(enterprise_name)s", enterprise_name="Boulangerie Dupont")
    assert response.context["message"].subject == subject
    assert f'<h1 id="message-subject">{subject}</h1>' in page
    assert _in("fr", "You are now a declarant for %(enterprise_name)s.", enterprise_name="Boulangerie Dupont") in page
    assert '<html lang="fr">' in page


def test_reopening_a_read_message_keeps_its_first_reading_time(client: Client, owner: User) -> None:
    message = _notify(owner)
    Notification.objects.filter(pk=message.pk).update(read_at=START)
    sign_in(client, owner)

    assert client.get(_message_url(message)).status_code == 200

    assert _read_at(message) == START


def test_legal_notice_is_flagged_important(client: Client, owner: User) -> None:
    message = _notify(owner, event="account_linked")
    sign_in(client, owner)

    response = client.get(_message_url(message), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.context["message"].is_legal is True
    assert "Your account is now linked to your file" in page
    assert '<span class="usa-tag bg-secondary-dark text-ink">important</span>' in page


def test_names_from_the_event_are_escaped(client: Client, owner: User) -> None:
    message = _notify(owner, enterprise_name="<script>alert(1)</script>")
    sign_in(client, owner)

    page = client.get(_message_url(message), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    inbox = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "You now act for &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert "You are now a declarant for &lt;script&gt;alert(1)&lt;/script&gt;." in page
    assert "<script>alert(1)</script>" not in inbox
    assert "You now act for &lt;script&gt;alert(1)&lt;/script&gt;</a>" in inbox


def test_service_notice_is_shown_in_the_reader_language_and_escaped(client: Client, owner: User) -> None:
    message = _notify(
        owner,
        event="service_notice",
        title_en="<script>alert(1)</script>",
        body_en="<b>bold</b>\nsecond line",
    )
    sign_in(client, owner)

    inbox = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(_message_url(message), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get(_message_url(message)).content.decode()

    assert [(row.subject, row.category) for row in inbox.context["page"].rows] == [
        ("<script>alert(1)</script>", "information")
    ]
    assert "<script>alert(1)</script>" not in inbox.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert '<h1 id="message-subject">&lt;script&gt;alert(1)&lt;/script&gt;</h1>' in page
    assert "<p>&lt;b&gt;bold&lt;/b&gt;<br>second line</p>" in page
    assert '<h1 id="message-subject">Fermeture des guichets</h1>' in french
    assert "<p>Nos guichets sont fermés le 1er mai.</p>" in french


def test_phone_verification_code_is_never_in_the_inbox(client: Client, owner: User, phone_settings: Any) -> None:
    shown = _notify(owner)
    phone_number_set(user_id=owner.pk, number="0470 12 34 56", now=START)
    code = Notification.objects.get(recipient=owner, event_type="phone_verification")
    sign_in(client, owner)

    inbox = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")

    assert [row.id for row in inbox.context["page"].rows] == [shown.pk]
    assert inbox.context["page"].unread_count == 1
    assert code.context["code"] not in inbox.content.decode()
    assert client.get(_message_url(code)).status_code == 404
    assert client.post(_mark_url(code.pk), {"read": "1"}).status_code == 404
    client.post(READ_ALL)
    assert _read_at(code) is None
    assert _read_at(shown) is not None


# --- The inbox list ---------------------------------------------------------------------------


def test_inbox_shows_the_unread_count_in_the_header_and_the_page(client: Client, owner: User) -> None:
    first = _notify(owner, at=START)
    _notify(owner, event="role_revoked", at=START + datetime.timedelta(hours=1), enterprise_name="Garage Martin")
    _notify(owner, event="account_linked", at=START + datetime.timedelta(hours=2))
    Notification.objects.filter(pk=first.pk).update(read_at=START)
    sign_in(client, owner)

    response = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert '<span class="usa-tag bg-primary">2 unread</span>' in page
    assert "2 unread messages." in page
    assert [row.subject for row in response.context["page"].rows] == [
        "Your account is now linked to your file",
        "You no longer act for Garage Martin",
        "You now act for Boulangerie Dupont",
    ]
    assert [row.is_read for row in response.context["page"].rows] == [False, False, True]
    assert page.count('<span class="usa-tag bg-primary">new</span>') == 2
    assert page.count('<span class="usa-tag bg-secondary-dark text-ink">important</span>') == 1
    assert f'<form method="post" action="{_mark_url(first.pk)}">' in page


def test_header_has_no_unread_tag_when_everything_is_read(client: Client, owner: User) -> None:
    Notification.objects.filter(pk=_notify(owner).pk).update(read_at=START)
    sign_in(client, owner)

    page = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "unread</span>" not in page
    assert "0 unread messages." in page
    assert "Mark all as read" not in page


def test_filter_by_category_shows_only_that_category(client: Client, owner: User) -> None:
    granted = _notify(owner, at=START)
    account = _notify(owner, event="account_linked", at=START + datetime.timedelta(hours=1))
    revoked = _notify(owner, event="role_revoked", at=START + datetime.timedelta(hours=2))
    sign_in(client, owner)

    response = client.get(INBOX, {"category": "enterprise"}, HTTP_ACCEPT_LANGUAGE="en")
    accounts = client.get(INBOX, {"category": "account"})
    information = client.get(INBOX, {"category": "information"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.context["category"] == "enterprise"
    assert [row.id for row in response.context["page"].rows] == [revoked.pk, granted.pk]
    assert response.context["page"].total == 2
    assert [row.id for row in accounts.context["page"].rows] == [account.pk]
    assert information.context["page"].rows == []
    assert "No message here." in information.content.decode()
    # The unread count is the whole inbox's, not the filter's.
    assert response.context["page"].unread_count == 3
    assert 'href="/inbox/?category=enterprise" aria-current="page"' in response.content.decode()


@pytest.mark.parametrize("category", ["bogus", ""])
def test_unknown_category_shows_everything(client: Client, owner: User, category: str) -> None:
    _notify(owner, at=START)
    _notify(owner, event="account_linked", at=START + datetime.timedelta(hours=1))
    _notify(owner, event="role_revoked", at=START + datetime.timedelta(hours=2))
    sign_in(client, owner)

    response = client.get(INBOX, {"category": category})

    assert response.status_code == 200
    assert response.context["category"] is None
    assert [row.category for row in response.context["page"].rows] == ["enterprise", "account", "enterprise"]


def test_inbox_is_paginated_by_twenty(client: Client, owner: User) -> None:
    _many(owner, 25)
    sign_in(client, owner)

    first = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")
    second = client.get(INBOX, {"page": "2"}, HTTP_ACCEPT_LANGUAGE="en")

    assert [row.subject for row in first.context["page"].rows] == [
        f"You now act for Entreprise {index}" for index in range(24, 4, -1)
    ]
    assert [row.subject for row in second.context["page"].rows] == [
        f"You now act for Entreprise {index}" for index in range(4, -1, -1)
    ]
    assert second.context["page"].page == 2
    assert second.context["page"].page_count == 2
    assert "Page 2 of 2" in second.content.decode()
    assert 'href="?page=1">Newer messages</a>' in second.content.decode()
    assert 'href="?page=2">Older messages</a>' in first.content.decode()


@pytest.mark.parametrize(("asked", "shown"), [("0", 1), ("99", 2), ("abc", 1), ("-3", 1)])
def test_out_of_range_pages_are_clamped(client: Client, owner: User, asked: str, shown: int) -> None:
    _many(owner, 25)
    sign_in(client, owner)

    response = client.get(INBOX, {"page": asked})

    assert response.status_code == 200
    assert response.context["page"].page == shown


def test_inbox_runs_a_constant_number_of_queries(client: Client, owner: User) -> None:
    _many(owner, 3)
    sign_in(client, owner)
    client.get(INBOX)
    with CaptureQueriesContext(connection) as few:
        client.get(INBOX)
    _many(owner, 9, event="role_revoked", first=3)
    _many(owner, 9, event="account_linked", first=12)
    _many(owner, 9, first=21)
    with CaptureQueriesContext(connection) as many:
        response = client.get(INBOX)

    assert len(response.context["page"].rows) == 20
    assert response.context["page"].total == 30
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Marking ----------------------------------------------------------------------------------


def test_mark_unread_then_read(client: Client, owner: User) -> None:
    message = _notify(owner)
    sign_in(client, owner)
    client.get(_message_url(message))
    assert _read_at(message) is not None

    unread = client.post(_mark_url(message.pk), {"read": "0"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert unread.redirect_chain == [(INBOX, 302)]
    assert _read_at(message) is None
    assert _flash(unread) == ["The message is marked as unread."]
    assert unread.context["page"].unread_count == 1

    read = client.post(_mark_url(message.pk), {"read": "1"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert _read_at(message) is not None
    assert _flash(read) == ["The message is marked as read."]
    assert read.context["page"].unread_count == 0


def test_mark_all_read(client: Client, owner: User) -> None:
    _many(owner, 3)
    other = _notify(_user())
    sign_in(client, owner)

    response = client.post(READ_ALL, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert response.redirect_chain == [(INBOX, 302)]
    assert _flash(response) == ["All your messages are marked as read."]
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()
    assert _read_at(other) is None
    assert response.context["page"].unread_count == 0


def test_mark_all_read_with_nothing_unread_says_nothing(client: Client, owner: User) -> None:
    sign_in(client, owner)

    response = client.post(READ_ALL, follow=True)

    assert response.redirect_chain == [(INBOX, 302)]
    assert _flash(response) == []


# --- Preferences ------------------------------------------------------------------------------


def test_preferences_show_every_category_with_its_defaults(client: Client, owner: User) -> None:
    sign_in(client, owner)

    response = client.get(PREFERENCES, HTTP_ACCEPT_LANGUAGE="en")

    form = response.context["form"]
    assert [(row.category, row.label, row.email, row.sms, row.email_locked) for row in form.rows] == [
        ("account", "My account and its security", True, False, True),
        ("enterprise", "Enterprises I represent", True, False, False),
        ("mandates", "Mandates: acting for someone, or someone acting for me", True, False, True),
        ("information", "Information from the institution", False, False, False),
        ("documents", "Documents I asked for", True, False, False),
        # A decision on a claim is a legal notice: its e-mail cannot be turned off.
        ("benefits", "My benefit claims", True, False, True),
    ]
    page = response.content.decode()
    for label in (
        "My account and its security",
        "Enterprises I represent",
        "Information from the institution",
        "Documents I asked for",
    ):
        assert f'<legend class="usa-legend usa-legend--large">{label}</legend>' in page
    assert form["account_email"].field.disabled is True
    assert f"E-mails go to {owner.email}." in page


def test_saving_preferences_keeps_email_on_for_legal_notices(client: Client, owner: User) -> None:
    sign_in(client, owner)

    response = client.post(
        PREFERENCES,
        {"account_sms": "on", "enterprise_sms": "on", "information_email": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    assert response.redirect_chain == [(PREFERENCES, 302)]
    assert _flash(response) == ["Your preferences are saved."]
    assert _preferences() == {
        "account": (True, True),
        "enterprise": (False, True),
        "mandates": (True, False),
        "information": (True, False),
        "documents": (False, False),
        "benefits": (True, False),
    }
    assert [(row.email, row.sms) for row in response.context["form"].rows] == [
        (True, True),
        (False, True),
        (True, False),
        (True, False),
        (False, False),
        (True, False),
    ]


def test_saving_preferences_again_updates_the_same_rows(client: Client, owner: User) -> None:
    sign_in(client, owner)
    client.post(PREFERENCES, {"enterprise_sms": "on"})

    client.post(PREFERENCES, {"enterprise_email": "on", "information_sms": "on"})

    assert ChannelPreference.objects.filter(user=owner).count() == 6
    assert _preferences() == {
        "account": (True, False),
        "enterprise": (True, False),
        "mandates": (True, False),
        "information": (False, True),
        "documents": (False, False),
        "benefits": (True, False),
    }


def _sms_code(user: User) -> str:
    return str(
        Notification.objects.filter(recipient=user, event_type="phone_verification").latest("pk").context["code"]
    )


def test_phone_number_is_set_then_verified_with_the_code(client: Client, owner: User, phone_settings: Any) -> None:
    sign_in(client, owner)

    response = client.post(PHONE, {"action": "set", "number": "0470 12 34 56"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert response.redirect_chain == [(PREFERENCES, 302)]
    assert _flash(response) == ["We sent a code to +32470123456. Enter it below."]
    phone = PhoneNumber.objects.get(user=owner)
    assert (phone.number, phone.verified_at) == ("+32470123456", None)
    assert "+32470123456 — <strong>not confirmed yet</strong>" in response.content.decode()
    code = _sms_code(owner)
    wrong = "000000" if code != "000000" else "111111"

    response = client.post(PHONE, {"action": "verify", "code": wrong}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert _flash(response) == ["This code is not correct."]
    assert PhoneNumber.objects.get(user=owner).verified_at is None

    response = client.post(PHONE, {"action": "verify", "code": code}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert _flash(response) == ["Your mobile number is confirmed."]
    assert PhoneNumber.objects.get(user=owner).verified_at is not None
    assert response.context["phone"].is_verified is True
    assert "+32470123456 — <strong>confirmed</strong>" in response.content.decode()


def test_malformed_code_is_refused_without_counting_an_attempt(
    client: Client, owner: User, phone_settings: Any
) -> None:
    sign_in(client, owner)
    client.post(PHONE, {"action": "set", "number": "0470 12 34 56"}, follow=True)

    response = client.post(PHONE, {"action": "verify", "code": "12"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert _flash(response) == ["This code is not correct."]
    phone = PhoneNumber.objects.get(user=owner)
    assert (phone.verified_at, phone.code_attempts) == (None, 0)


def test_invalid_phone_number_is_refused_and_nothing_stored(client: Client, owner: User, phone_settings: Any) -> None:
    sign_in(client, owner)

    response = client.post(PHONE, {"action": "set", "number": "12"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert response.redirect_chain == [(PREFERENCES, 302)]
    assert _flash(response) == ["This is not a valid phone number."]
    assert not PhoneNumber.objects.exists()
    assert not Notification.objects.filter(event_type="phone_verification").exists()


def test_empty_phone_number_is_refused(client: Client, owner: User, phone_settings: Any) -> None:
    sign_in(client, owner)

    response = client.post(PHONE, {"action": "set", "number": ""}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert _flash(response) == ["This is not a valid phone number."]
    assert not PhoneNumber.objects.exists()


def test_phone_number_is_removed(client: Client, owner: User, phone_settings: Any) -> None:
    sign_in(client, owner)
    client.post(PHONE, {"action": "set", "number": "0470 12 34 56"}, follow=True)

    response = client.post(PHONE, {"action": "remove"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert _flash(response) == ["Your mobile number is removed."]
    assert not PhoneNumber.objects.filter(user=owner).exists()
    assert response.context["phone"] is None


def test_unknown_phone_action_answers_404(client: Client, owner: User, phone_settings: Any) -> None:
    sign_in(client, owner)

    response = client.post(PHONE, {"action": "steal", "number": "0470 12 34 56"})

    assert response.status_code == 404
    assert not PhoneNumber.objects.exists()
