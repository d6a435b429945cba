"""The inbox in a real browser: the unread count in the header, reading a message, the preferences.

Texts are compared with what the catalogues say (``_in``, ``_count``), so that the test holds
whether or not the French catalogue has been compiled.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from identity.models import User
from notifications.models import ChannelPreference, Notification, PhoneNumber
from notifications.services import notify
from notifications.types import Category, Recipient
from tests.browser.conftest import assert_accessible, look
from tests.browser.test_journeys import _in, _sign_in, _url
from tests.identity import factories


def _count(language: str, singular: str, plural: str, count: int) -> str:
    with translation.override(language):
        return str(translation.ngettext(singular, plural, count)) % {"counter": count}


def _unread_tag(count: int) -> str:
    return _count("fr", "%(counter)s unread", "%(counter)s unread", count)


def _unread_sentence(count: int) -> str:
    return _count("fr", "%(counter)s unread message.", "%(counter)s unread messages.", count)


def _subject(message: str, enterprise_name: str) -> str:
    return _in("fr", message) % {"enterprise_name": enterprise_name}


def _user_with_two_messages() -> tuple[User, Notification, Notification]:
    user = cast(User, factories.UserFactory())
    # Inbox only: no e-mail is queued for a worker that these tests do not run.
    ChannelPreference.objects.create(user=user, category=Category.ENTERPRISE, email=False, sms=False)
    now = timezone.now()
    for event, name, at in (
        ("role_granted", "Boulangerie Dupont", now - datetime.timedelta(hours=1)),
        ("role_revoked", "Garage Martin", now),
    ):
        notify(
            recipients=[Recipient(user.pk)],
            event=event,
            context={"enterprise_name": name, "role": "declarant"},
            now=at,
            link="/dashboard/",
        )
    granted, revoked = Notification.objects.filter(recipient=user).order_by("created_at")
    return user, granted, revoked


def test_read_a_message_then_choose_how_to_be_notified(page: Page, settings: Any, tmp_path: Any) -> None:
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.PHONE_DEFAULT_REGION = "BE"
    user, granted, revoked = _user_with_two_messages()
    inbox_link = page.locator("header a[href='/inbox/']")
    main = page.locator("main")

    _sign_in(page, user.email, check=assert_accessible)
    expect(page).to_have_url(_url("/dashboard/"))
    expect(inbox_link.locator(".usa-tag")).to_have_text(_unread_tag(2))
    assert_accessible(page)

    inbox_link.click()
    expect(page).to_have_url(_url("/inbox/"))
    expect(page.locator("main h1")).to_have_text(_in("fr", "My messages"))
    expect(main).to_contain_text(_unread_sentence(2))
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(2)
    granted_subject = _subject("You now act for %(enterprise_name)s", "Boulangerie Dupont")
    revoked_subject = _subject("You no longer act for %(enterprise_name)s", "Garage Martin")
    expect(rows.nth(0).locator("th a")).to_have_text(revoked_subject)
    expect(rows.nth(1).locator("th a")).to_have_text(granted_subject)
    assert_accessible(page)

    page.locator(f"main a[href='/inbox/{granted.pk}/']").click()
    expect(page).to_have_url(_url(f"/inbox/{granted.pk}/"))
    expect(page.locator("main h1")).to_have_text(granted_subject)
    expect(page.locator("main article")).to_contain_text(
        _subject("You are now a declarant for %(enterprise_name)s.", "Boulangerie Dupont")
    )
    assert_accessible(page)

    page.get_by_role("link", name=_in("fr", "Back to my messages")).click()
    expect(page).to_have_url(_url("/inbox/"))
    expect(inbox_link.locator(".usa-tag")).to_have_text(_unread_tag(1))
    expect(main).to_contain_text(_unread_sentence(1))
    granted.refresh_from_db()
    revoked.refresh_from_db()
    assert granted.read_at is not None
    assert revoked.read_at is None

    page.locator("main a[href='/inbox/preferences/']").click()
    expect(page).to_have_url(_url("/inbox/preferences/"))
    expect(page.locator("main legend")).to_have_count(6)  # six categories, benefit claims the last
    assert_accessible(page)

    information_email = page.locator("#id_information_email")
    expect(information_email).not_to_be_checked()
    expect(page.locator("#id_account_email")).to_be_disabled()
    page.locator("label[for=id_information_email]").click()
    expect(information_email).to_be_checked()
    page.get_by_role("button", name=_in("fr", "Save my preferences")).click()
    expect(page).to_have_url(_url("/inbox/preferences/"))
    expect(page.locator("main [role=status]")).to_have_text(_in("fr", "Your preferences are saved."))
    expect(information_email).to_be_checked()
    assert_accessible(page)
    assert dict(ChannelPreference.objects.filter(user=user).values_list("category", "email").order_by("category")) == {
        "account": True,
        "benefits": True,  # decisions on claims are legal notices: their e-mail stays on
        "documents": True,
        "enterprise": False,
        "information": True,
        "mandates": True,
    }

    # The mobile number: its form, the code form and the confirmed state must be as accessible.
    page.fill("input[name=number]", "0470 12 34 56")
    page.get_by_role("button", name=_in("fr", "Add my mobile number")).click()
    expect(page.locator("main [role=status]")).to_contain_text("+32470123456")
    expect(page.locator("input[name=code]")).to_be_visible()
    assert_accessible(page)

    page.fill("input[name=code]", "not-it")
    page.get_by_role("button", name=_in("fr", "Confirm my number")).click()
    expect(page.locator("main [role=alert]")).to_have_text(_in("fr", "This code is not correct."))
    assert_accessible(page)

    code = Notification.objects.get(recipient=user, event_type="phone_verification").context["code"]
    page.fill("input[name=code]", code)
    page.get_by_role("button", name=_in("fr", "Confirm my number")).click()
    expect(page.locator("main [role=status]")).to_have_text(_in("fr", "Your mobile number is confirmed."))
    expect(page.locator("input[name=code]")).to_have_count(0)
    assert_accessible(page)
    assert PhoneNumber.objects.get(user=user).verified_at is not None


def test_an_important_message_is_marked_legibly(new_page: Any) -> None:
    """The "important" tag of a legal notice reads at AA contrast, in the list and on the message."""
    user = cast(User, factories.UserFactory())
    ChannelPreference.objects.create(user=user, category=Category.ACCOUNT, email=False, sms=False)
    notify(recipients=[Recipient(user.pk)], event="account_linked", context={}, now=timezone.now(), link="/dashboard/")
    for locale, language in (("fr-FR", "fr"), ("en-GB", "en")):
        page = new_page(locale=locale)
        _sign_in(page, user.email)
        page.goto("/inbox/")
        tag = page.locator("main .usa-tag", has_text=_in(language, "important").upper()).first
        expect(tag).to_be_visible()
        look(page, f"inbox-important-{language}")
        page.locator("main a", has_text=_in(language, "Your account is now linked to your file")).first.click()
        expect(page.locator("main .usa-tag").first).to_be_visible()
        look(page, f"message-important-{language}")
