"""A citizen without a second factor wants to record a bank account: the page says what is
needed, leads to setting up an authenticator app and back, and the account is saved in the same
session, without signing out and in again."""

from __future__ import annotations

import re
from typing import cast

from playwright.sync_api import expect

from identity.models import BankAccount, User
from tests.browser.conftest import NewPage
from tests.browser.test_journeys import _in, _reauthenticate_if_asked, _sign_in, _submit, _totp_code, _url
from tests.browser.test_trust import _look
from tests.identity import factories


def test_a_citizen_without_a_second_factor_sets_one_up_and_saves_the_bank_account(new_page: NewPage) -> None:
    citizen = cast(User, factories.UserFactory(person=factories.PersonFactory(first_name="Marie", last_name="Dubois")))
    page = new_page()
    _sign_in(page, citizen.email)
    expect(page).to_have_url(_url("/dashboard/"))

    page.goto("/my-file/bank-account/")
    step_up = page.locator("main [data-second-factor=set-up]")
    expect(step_up).to_contain_text(_in("fr", "A change of bank account needs your second factor."))
    expect(step_up).to_contain_text(_in("fr", "Set up my second factor"))
    expect(page.locator("main [data-second-factor=confirm]")).to_have_count(0)
    _look(page, "step-up-bank-account-fr")

    step_up.get_by_role("link", name=_in("fr", "Set up my second factor")).click()
    _reauthenticate_if_asked(page)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", _totp_code(secret))
    _submit(page)

    expect(page).to_have_url(_url("/accounts/2fa/recovery-codes/"))
    back = page.get_by_role("link", name=_in("fr", "go back to the page you were on"))
    expect(back).to_be_visible()
    _look(page, "step-up-recovery-codes-fr")
    back.click()

    expect(page).to_have_url(_url("/my-file/bank-account/"))
    expect(page.locator("main [data-second-factor]")).to_have_count(0)
    page.fill("main input[name=iban]", "BE71 0961 2345 6769")
    page.fill("main input[name=holder_name]", "Marie Dubois")
    _submit(page)
    expect(page.locator("main")).to_contain_text(
        _in("fr", "The bank account is changed. Payments will go to it from now on.")
    )
    _look(page, "step-up-bank-account-saved-fr")
    account = BankAccount.objects.get()
    assert (account.iban, account.holder_name, account.created_by_id) == (
        "BE71096123456769",
        "Marie Dubois",
        citizen.pk,
    )
