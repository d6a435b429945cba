"""After turning on two-factor authentication, the person sees their recovery codes (the very
codes allauth stored) and downloads them."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from playwright.sync_api import expect

from tests.browser.conftest import NewPage
from tests.browser.test_journeys import _in, _reauthenticate_if_asked, _sign_in, _submit, _totp_code, _url, _user
from tests.browser.test_trust import _look


def test_after_turning_on_totp_the_recovery_codes_are_shown_and_downloaded(new_page: NewPage) -> None:
    user = _user()
    page = new_page()
    _sign_in(page, user.email)
    page.goto("/accounts/2fa/totp/activate/")
    _reauthenticate_if_asked(page)
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", _totp_code(secret))
    _submit(page)

    expect(page).to_have_url(_url("/accounts/2fa/recovery-codes/"))
    codes = RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES))
    unused = codes.get_unused_codes()
    assert len(unused) == 10
    shown = page.get_by_label(_in("fr", "Unused codes"))
    expect(shown).to_be_visible()
    assert shown.evaluate("element => element.tagName") == "TEXTAREA"
    assert shown.input_value().split("\n") == unused
    assert shown.evaluate("element => element.scrollHeight <= element.clientHeight"), "some codes are hidden"
    box = shown.bounding_box()
    assert box is not None and box["height"] > 100, box  # all ten lines, not a one-line input
    _look(page, "recovery-codes-fr")

    with page.expect_download() as download:
        page.locator("main a[href='/accounts/2fa/recovery-codes/download/']").click()
    path = download.value.path()
    assert path is not None
    assert [line for line in path.read_text().splitlines() if line] == unused
