"""Trust pages in a real browser: the person changes their sign-in address through the verified
flow; staff at the counter start the change with the person; the person reads who accessed their
data as a story. Every page passes axe, in French and English; with GUICHET_SCREENSHOTS set to a
folder, each page is also photographed at desktop and phone widths."""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.audit import access_record
from core.types import AccessPurpose
from tests.browser.conftest import NewPage, assert_accessible
from tests.browser.test_journeys import _in, _sign_in, _submit, _url
from tests.helpers import staff_actor
from tests.identity import factories

SHOTS = os.environ.get("GUICHET_SCREENSHOTS", "")


def _look(page: Page, name: str) -> None:
    """Check the page with axe; photograph it when asked (desktop, then 390 px wide)."""
    assert_accessible(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width, suffix in ((1280, "desktop"), (390, "phone")):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{suffix}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_the_person_reads_who_accessed_their_data_as_a_story(new_page: NewPage) -> None:
    citizen = factories.UserFactory(person=factories.PersonFactory(first_name="Jean", last_name="Peeters"))
    clerk = factories.UserFactory(is_staff=True, first_name="Camille", last_name="Leroy")
    now = timezone.now()
    access_record(
        actor=staff_actor(clerk),
        subject_person_id=citizen.person_id,
        purpose=AccessPurpose.STAFF_REGISTRY_VIEW,
        now=now,
    )
    access_record(
        actor=staff_actor(clerk),
        subject_person_id=citizen.person_id,
        purpose=AccessPurpose.STAFF_REGISTRY_SEARCH,
        now=now,
    )
    for locale, language in (("fr-FR", "fr"), ("en-GB", "en")):
        page = new_page(locale=locale)
        _sign_in(page, citizen.email)
        page.goto("/my-file/accesses/")
        expect(page.locator("main h1")).to_have_text(_in(language, "Who accessed my data"))
        story = _in(language, "%(who)s, of our staff, consulted your record in the back office.") % {
            "who": "Camille Leroy"
        }
        expect(page.locator("main li").filter(has_text=story)).to_have_count(1)
        _look(page, f"access-log-{language}")


def test_the_person_changes_their_sign_in_address_after_typing_their_password(new_page: NewPage) -> None:
    citizen = factories.UserFactory(person=factories.PersonFactory())
    page = new_page()
    _sign_in(page, citizen.email)
    page.goto("/accounts/email/")
    _look(page, "email-change-fr")
    page.fill("main input[name=email]", "jean.nouveau@example.org")
    _submit(page)
    # A session left open is not enough: the password first, then the link is sent.
    expect(page).to_have_url(_url("/accounts/reauthenticate/"))
    _look(page, "reauthenticate-fr")
    page.fill("input[name=password]", factories.PASSWORD)
    _submit(page)
    expect(page.locator("main")).to_contain_text("jean.nouveau@example.org")
    _look(page, "email-change-sent-fr")


def test_staff_at_the_counter_start_the_change_with_the_person(new_page: NewPage) -> None:
    person = factories.PersonFactory(first_name="Jean", last_name="Peeters")
    factories.UserFactory(person=person, email="jean@example.org")
    clerk = factories.with_totp(factories.UserFactory(is_staff=True, first_name="Camille", last_name="Leroy"))
    clerk.groups.set([Group.objects.get(name="Registry clerk")])
    page = new_page()
    _sign_in(page, clerk.email, totp_secret=factories.TOTP_SECRET)
    page.goto(f"/counter/open/{person.pk}/")
    page.fill("main [name=reason]", "a perdu l’accès à sa boîte mail")
    _submit(page)
    page.locator(".guichet-acting-banner a").click()
    expect(page).to_have_url(_url("/counter/sign-in-address/"))
    _look(page, "counter-sign-in-address-fr")
    page.fill("main input[name=address]", "jean.nouveau@example.org")
    page.fill("main input[name=address_again]", "jean.autre@example.org")
    _submit(page)
    expect(page.locator("main")).to_contain_text(_in("fr", "The two addresses differ."))
    _look(page, "counter-sign-in-address-error-fr")
    page.fill("main input[name=address]", "jean.nouveau@example.org")
    page.fill("main input[name=address_again]", "jean.nouveau@example.org")
    _submit(page)
    expect(page).to_have_url(_url("/dashboard/"))
