"""Mandates in a real browser: a pensioner gives a mandate, the proxy accepts it and acts in the
pensioner's file, then the pensioner reads what was done with it.

Texts are compared with what the catalogues say (``_in``), so that the test holds whether or not
the French catalogue has been compiled.
"""

from __future__ import annotations

import datetime
from typing import cast

from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from core.models import AccessRecord
from core.types import AccessPurpose
from identity.country_profiles import country_profile
from identity.models import User
from mandates.models import Mandate
from mandates.types import MandateStatus, Scope
from notifications.models import ChannelPreference
from notifications.types import Category
from tests.browser.conftest import NewPage, assert_accessible
from tests.browser.test_journeys import _in, _sign_in, _url
from tests.identity import factories


def _citizen(first_name: str, last_name: str) -> User:
    user = cast(User, factories.UserFactory(person=factories.PersonFactory(first_name=first_name, last_name=last_name)))
    # Inbox only: no e-mail is queued for a worker that these tests do not run.
    ChannelPreference.objects.create(user=user, category=Category.MANDATES, email=False, sms=False)
    return user


def _status_label(status: MandateStatus) -> str:
    with translation.override("fr"):
        return str(status.label)


def _open_mandates(page: Page) -> None:
    page.locator("header details summary").click()  # the "My account" menu
    page.locator("header a[href='/mandates/']").click()
    expect(page).to_have_url(_url("/mandates/"))
    expect(page.locator("main h1")).to_have_text(_in("fr", "Mandates"))


def test_give_a_mandate_accept_it_act_and_read_the_trail(new_page: NewPage) -> None:
    principal = factories.with_totp(_citizen("Marie", "Peeters"))
    proxy = _citizen("Anne", "Van den Berg")
    principal_name, proxy_name = "Marie Peeters", "Anne Van den Berg"
    today = timezone.localdate()

    # The principal, with a second factor, offers a mandate to view her file.
    principal_page = new_page()
    _sign_in(principal_page, principal.email, totp_secret=factories.TOTP_SECRET)
    expect(principal_page).to_have_url(_url("/dashboard/"))
    _open_mandates(principal_page)
    assert_accessible(principal_page)

    grant = principal_page.locator("main form[action='/mandates/give/']")
    grant.locator("input[name='grant-national_number']").fill(
        country_profile().person_number.format(proxy.person.national_number)
    )
    grant.locator("input[name='grant-last_name']").fill(proxy.person.last_name)
    # The design system draws the box from the label (the input itself is off screen): click it.
    view_file = grant.locator(f"input[name='grant-scopes'][value='{Scope.VIEW_FILE}']")
    grant.locator(f"label[for='{view_file.get_attribute('id')}']").click()
    expect(view_file).to_be_checked()
    # The page should prefill both dates; in French it renders them as dd/mm/yyyy, which the
    # browser's date field rejects (see tests/mandates/test_views.py), so they are typed here.
    grant.locator("input[name='grant-starts_on']").fill(today.isoformat())
    grant.locator("input[name='grant-ends_on']").fill((today + datetime.timedelta(days=365)).isoformat())
    grant.locator("button[type=submit]").click()

    expect(principal_page).to_have_url(_url("/mandates/"))
    expect(principal_page.locator("main [role=status]")).to_contain_text(
        _in("fr", "The mandate is offered. It takes effect when the person accepts it.")
    )
    given = principal_page.locator("main section[aria-labelledby=given-heading] tbody tr")
    expect(given).to_have_count(1)
    expect(given).to_contain_text(proxy_name)
    expect(given).to_contain_text(_status_label(MandateStatus.PENDING))
    assert_accessible(principal_page)
    mandate = Mandate.objects.get()
    assert (mandate.principal_id, mandate.proxy_id, mandate.scopes, mandate.status) == (
        principal.person_id,
        proxy.person_id,
        [Scope.VIEW_FILE],
        MandateStatus.PENDING,
    )

    # The proxy, in a browser of her own, accepts and opens the principal's file.
    proxy_page = new_page()
    _sign_in(proxy_page, proxy.email)
    expect(proxy_page).to_have_url(_url("/dashboard/"))
    _open_mandates(proxy_page)
    held = proxy_page.locator("main section[aria-labelledby=held-heading] tbody tr")
    expect(held).to_have_count(1)
    expect(held).to_contain_text(principal_name)
    assert_accessible(proxy_page)

    held.locator(f"form[action='/mandates/{mandate.pk}/accept/'] button").click()
    expect(proxy_page).to_have_url(_url("/mandates/"))
    expect(held).to_contain_text(_status_label(MandateStatus.ACTIVE))
    assert_accessible(proxy_page)

    act = held.locator(f"form[action='/mandates/{mandate.pk}/act/'] button")
    expect(act).to_have_text(_in("fr", "Act on behalf of %(name)s") % {"name": principal_name})
    act.click()

    expect(proxy_page).to_have_url(_url("/dashboard/"))
    banner = proxy_page.locator(".guichet-acting-banner")
    expect(banner).to_contain_text(_in("fr", "You are acting on behalf of %(name)s.") % {"name": principal_name})
    identity = proxy_page.locator("main dl")
    expect(identity).to_contain_text(principal_name)
    expect(identity).to_contain_text(country_profile().person_number.format(principal.person.national_number))
    assert_accessible(proxy_page)

    banner.get_by_role("button", name=_in("fr", "Back to my own file")).click()
    expect(proxy_page).to_have_url(_url("/dashboard/"))
    expect(proxy_page.locator(".guichet-acting-banner")).to_have_count(0)
    expect(proxy_page.locator("main [role=status]")).to_contain_text(_in("fr", "You are back in your own file."))
    expect(proxy_page.locator("main dl")).to_contain_text(proxy_name)
    assert_accessible(proxy_page)

    # The principal sees the one consultation in the mandate's trail.
    _open_mandates(principal_page)
    principal_page.locator(f"main a[href='/mandates/{mandate.pk}/trail/']").click()
    expect(principal_page).to_have_url(_url(f"/mandates/{mandate.pk}/trail/"))
    rows = principal_page.locator("main li")
    expect(rows).to_have_count(1)
    story = _in("fr", "%(who)s, whom you mandated, consulted %(detail)s.") % {
        "who": proxy.get_full_name(),
        "detail": _in("fr", "your summary page"),
    }
    expect(rows).to_contain_text(story)
    assert_accessible(principal_page)
    record = AccessRecord.objects.get()
    assert (record.purpose, record.actor_user_id, record.subject_person_id, record.mandate_id) == (
        AccessPurpose.PROXY_FILE_VIEW,
        proxy.pk,
        principal.person_id,
        mandate.pk,
    )
