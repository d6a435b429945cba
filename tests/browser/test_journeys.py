"""End-to-end journeys in a real browser: sign-up, linking one's file, two-factor, languages.

Texts the app translates are compared with what its catalogues say (``_in``, ``_level_label``), so
that the tests hold whether or not a French translation has been written yet.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, cast

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from core.actor import ActingMode, Actor, LevelOfAssurance
from identity import services
from identity.country_profiles import country_profile
from identity.models import Person, User
from tests.browser.conftest import NewPage, assert_accessible
from tests.helpers import deliver_outbox
from tests.identity import factories

CONFIRMATION_PATH = re.compile(r"/accounts/confirm-email/[^/\s]+/")


def _user(**fields: Any) -> User:
    return cast(User, factories.UserFactory(**fields))


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return str(translation.gettext(message))


def _level_label(language: str, level: LevelOfAssurance) -> str:
    with translation.override(language):
        return level.label


def _no_check(page: Page) -> None:
    """Pages browsed without JavaScript cannot run axe-core; they are checked in the other tests."""


def _url(path: str) -> re.Pattern[str]:
    """The page's URL is exactly ``path`` on the live server (any query string allowed)."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def _submit(page: Page) -> None:
    """Clicks the submit button of the page's own form (not the header's language or sign-out forms)."""
    page.locator("main form button[type=submit]:not([form])").first.click()


def _totp_code(secret: str) -> str:
    """The current code, taken early enough in its 30-second window to still be valid when posted."""
    totp = pyotp.TOTP(secret)
    remaining = totp.interval - time.time() % totp.interval
    if remaining < 4:
        time.sleep(remaining + 0.2)
    return totp.now()


def _staff_actor() -> Actor:
    staff = _user(is_staff=True)
    return Actor(
        user_id=staff.pk, level_of_assurance=LevelOfAssurance.SUBSTANTIAL, mode=ActingMode.STAFF, is_staff=True
    )


def _activation_code(person: Person) -> str:
    return services.activation_code_issue(actor=_staff_actor(), person_id=person.pk, now=timezone.now())


def _sign_in(
    page: Page, email: str, *, totp_secret: str | None = None, check: Callable[[Page], None] = _no_check
) -> None:
    page.goto("/accounts/login/")
    check(page)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", factories.PASSWORD)
    _submit(page)
    if totp_secret is not None:
        expect(page).to_have_url(_url("/accounts/2fa/authenticate/"))
        check(page)
        page.fill("input[name=code]", _totp_code(totp_secret))
        _submit(page)


def _reauthenticate_if_asked(page: Page, *, check: Callable[[Page], None] = _no_check) -> None:
    """allauth asks for the password again before a second factor is added (even right after sign-in)."""
    page.wait_for_url(re.compile(r"/accounts/(reauthenticate|2fa/totp/activate)/"))
    if "/accounts/reauthenticate/" in page.url:
        check(page)
        page.fill("input[name=password]", factories.PASSWORD)
        _submit(page)


def _sign_out(page: Page) -> None:
    page.locator("header details summary").click()  # the "My account" menu: <details>, no script
    page.locator("header form[action='/accounts/logout/'] button[type=submit]").click()
    expect(page).to_have_url(_url("/"))
    expect(page.locator("header a[href='/accounts/login/']")).to_be_visible()


def _wait_for_mail(smtp_sink: Any, recipient: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliver_outbox()  # what the worker does after the request commits
        for message, body in zip(smtp_sink.messages, smtp_sink.bodies(), strict=True):
            if recipient in str(message["To"]):
                return body
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {recipient}; received: {[str(m['To']) for m in smtp_sink.messages]}")


def _sign_up_and_link(page: Page, smtp_sink: Any, *, check: Callable[[Page], None]) -> tuple[str, Person]:
    """Home → sign-up → e-mail confirmation → dashboard → link to the file → dashboard with identity."""
    person = cast(Person, factories.PersonFactory())
    code = _activation_code(person)
    displayed_number = country_profile().person_number.format(person.national_number)
    email = "nouvelle.personne@example.org"

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    check(page)

    page.locator("header a[href='/accounts/signup/']").click()
    expect(page).to_have_url(_url("/accounts/signup/"))
    check(page)
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", factories.PASSWORD)
    page.fill("input[name=password2]", factories.PASSWORD)
    _submit(page)
    expect(page).to_have_url(_url("/accounts/confirm-email/"))
    check(page)

    body = _wait_for_mail(smtp_sink, email)
    match = CONFIRMATION_PATH.search(body)
    assert match, f"no confirmation link in the e-mail:\n{body}"
    page.goto(match.group(0))
    check(page)
    _submit(page)

    expect(page).to_have_url(_url("/dashboard/"))
    link = page.locator("main a[href='/my-file/link/']")
    expect(link).to_be_visible()
    check(page)
    assert User.objects.get(email=email).person_id is None

    link.click()
    expect(page).to_have_url(_url("/my-file/link/"))
    check(page)
    # A wrong code first: the error state of the form must be as accessible as the form.
    page.fill("input[name=national_number]", displayed_number)
    page.fill("input[name=code]", "AAAA-BBBB-CCCC")
    _submit(page)
    expect(page).to_have_url(_url("/my-file/link/"))
    expect(page.locator("main [role=alert]")).to_be_visible()
    check(page)

    page.fill("input[name=national_number]", displayed_number)
    page.fill("input[name=code]", code)
    _submit(page)
    expect(page).to_have_url(_url("/dashboard/"))
    identity = page.locator("main dl")
    expect(identity).to_contain_text(f"{person.first_name} {person.last_name}")
    expect(identity).to_contain_text(displayed_number)
    check(page)
    assert User.objects.get(email=email).person_id == person.pk
    return email, person


def test_sign_up_confirm_email_and_link_file(page: Page, smtp_sink: Any) -> None:
    _sign_up_and_link(page, smtp_sink, check=assert_accessible)


def test_totp_enrolment_then_sign_in_with_code(page: Page) -> None:
    user = _user()
    _sign_in(page, user.email, check=assert_accessible)
    expect(page).to_have_url(_url("/dashboard/"))
    expect(page.locator("main")).to_contain_text(_level_label("fr", LevelOfAssurance.LOW))

    page.goto("/accounts/2fa/")
    assert_accessible(page)
    page.locator("main a[href='/accounts/2fa/totp/activate/']").click()
    _reauthenticate_if_asked(page, check=assert_accessible)
    expect(page).to_have_url(_url("/accounts/2fa/totp/activate/"))
    assert_accessible(page)
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    page.fill("input[name=code]", _totp_code(secret))
    _submit(page)

    expect(page).to_have_url(_url("/accounts/2fa/recovery-codes/"))
    assert_accessible(page)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    page.goto("/accounts/2fa/")
    expect(page.locator("main")).to_contain_text(_in("fr", "Authentication using an authenticator app is active."))
    expect(page.locator("main a[href='/accounts/2fa/totp/deactivate/']")).to_be_visible()
    assert_accessible(page)

    _sign_out(page)
    _sign_in(page, user.email, totp_secret=secret, check=assert_accessible)
    expect(page).to_have_url(_url("/dashboard/"))
    security = page.locator("main section[aria-labelledby=security-heading]")
    expect(security).to_contain_text(_level_label("fr", LevelOfAssurance.SUBSTANTIAL))
    assert_accessible(page)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(security).to_contain_text("Level of assurance of this session: substantial (two-factor)")


@pytest.mark.parametrize("java_script_enabled", [True, False], ids=["js", "no-js"])
def test_language_switch(new_page: NewPage, java_script_enabled: bool) -> None:
    page = new_page(java_script_enabled=java_script_enabled)
    heading = "Your social security services, in one place"
    page.goto("/")
    html, h1 = page.locator("html"), page.locator("main h1")
    expect(html).to_have_attribute("lang", "fr")
    expect(h1).to_have_text(_in("fr", heading))

    page.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(h1).to_have_text(heading)
    expect(page).to_have_url(_url("/"))
    if java_script_enabled:
        assert_accessible(page)

    page.get_by_role("button", name="Français").click()
    expect(html).to_have_attribute("lang", "fr")
    expect(h1).to_have_text(_in("fr", heading))
    expect(page.get_by_role("button", name="English")).to_be_visible()


def test_staff_without_totp_is_sent_to_enrol(page: Page) -> None:
    staff = _user(is_staff=True)
    _sign_in(page, staff.email)
    _reauthenticate_if_asked(page)
    expect(page).to_have_url(_url("/accounts/2fa/totp/activate/"))

    for path in ("/admin/", "/dashboard/", "/my-file/accesses/"):
        response = page.goto(path)
        assert response is not None
        chain = [page.url]
        request = response.request.redirected_from
        while request is not None:
            chain.insert(0, request.url)
            request = request.redirected_from
        # The portal's own redirect goes to the enrolment page (allauth may then ask for the password).
        assert len(chain) > 1 and chain[0].endswith(path), chain
        assert chain[1].endswith("/accounts/2fa/totp/activate/"), chain
        expect(page).to_have_url(_url("/accounts/2fa/totp/activate/"))
        expect(page.locator("#authenticator_secret")).to_be_visible()


@pytest.fixture
def no_js_page(new_page: NewPage) -> Page:
    page = new_page(java_script_enabled=False)
    page.set_content("<title>off</title><script>document.title = 'on'</script>")
    assert page.title() == "off", "JavaScript is not disabled"
    return page


def test_axe_check_detects_a_violation(page: Page) -> None:
    """Guards the other tests: axe-core really runs on the live pages and reports what it finds."""
    page.goto("/")
    assert_accessible(page)
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')")
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        assert_accessible(page)


def test_journey_without_javascript(no_js_page: Page, smtp_sink: Any) -> None:
    page = no_js_page
    email, person = _sign_up_and_link(page, smtp_sink, check=_no_check)

    _sign_out(page)
    _sign_in(page, email)
    expect(page).to_have_url(_url("/dashboard/"))
    expect(page.locator("main dl")).to_contain_text(f"{person.first_name} {person.last_name}")
    expect(page.locator("main")).to_contain_text(_level_label("fr", LevelOfAssurance.LOW))

    page.locator("header a[href='/']").first.click()
    expect(page).to_have_url(_url("/"))
    expect(page.locator("main h1")).to_have_text(_in("fr", "Your social security services, in one place"))
    expect(page.locator("main #services h3").first).to_be_visible()
