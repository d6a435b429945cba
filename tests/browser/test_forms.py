"""Every form of the portal in a real browser, as the persona who uses it: each page passes axe
and, with GUICHET_SCREENSHOTS set to a folder, is photographed at desktop and phone widths.

The mandate scopes are checked as a person uses them: a label toggles its box, a ticked box looks
ticked, nothing covers the save button, and the form sends the scopes chosen."""

from __future__ import annotations

import datetime
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from core.actor import LevelOfAssurance
from identity.models import User
from mandates import services as mandate_services
from mandates.models import Mandate
from mandates.types import MandateStatus, Scope
from notifications.models import ChannelPreference
from notifications.types import Category
from tests.browser.conftest import NewPage
from tests.browser.test_journeys import _in, _sign_in, _submit, _url
from tests.browser.test_statements import DECEMBER_2026
from tests.browser.test_trust import _look
from tests.contributions.statement_helpers import career_build
from tests.helpers import citizen_actor
from tests.identity import factories

WIDTHS = (1280, 390)


def _look_at_every_width(page: Page, name: str) -> None:
    """axe and the photographs; then, at phone width, the page must not scroll sideways (a wide
    table scrolls in its own box)."""
    _look(page, name)
    page.set_viewport_size({"width": 390, "height": 900})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px phone"


def _citizen(first_name: str, last_name: str, *, second_factor: bool = False) -> User:
    user = cast(User, factories.UserFactory(person=factories.PersonFactory(first_name=first_name, last_name=last_name)))
    ChannelPreference.objects.create(user=user, category=Category.MANDATES, email=False, sms=False)
    return factories.with_totp(user) if second_factor else user


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not drawn"
    return cast(dict[str, float], box)


def _overlap(first: dict[str, float], second: dict[str, float]) -> bool:
    return not (
        first["x"] + first["width"] <= second["x"]
        or second["x"] + second["width"] <= first["x"]
        or first["y"] + first["height"] <= second["y"]
        or second["y"] + second["height"] <= first["y"]
    )


def _drawn_box(label: Locator) -> dict[str, Any]:
    """What the person sees as the box: USWDS hides the native input and draws the box as the
    label's ::before."""
    return cast(
        dict[str, Any],
        label.evaluate(
            """label => {
                const box = getComputedStyle(label, '::before');
                return {width: parseFloat(box.width), height: parseFloat(box.height),
                        background: box.backgroundColor, image: box.backgroundImage,
                        display: box.display};
            }"""
        ),
    )


def _check_scopes_are_usable(page: Page, form: Locator, field: str) -> None:
    """Every scope's label toggles its box, which looks different ticked; no box or label covers
    another field or the submit button, at desktop and phone widths."""
    fieldset = form.locator("fieldset").filter(has=page.locator(f"input[name='{field}']"))
    expect(fieldset.locator("legend")).to_contain_text(_in("fr", "What the person may do"))
    inputs = fieldset.locator(f"input[type=checkbox][name='{field}']")
    expect(inputs).to_have_count(len(Scope.choices))
    submit = form.locator("button[type=submit]")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        others = [
            _box(element)
            for element in form.locator("input:not([type=checkbox]):not([type=hidden]), button[type=submit]").all()
        ]
        for index in range(inputs.count()):
            box = inputs.nth(index)
            identifier = box.get_attribute("id")
            label = fieldset.locator(f"label[for='{identifier}']")
            expect(label).to_have_class("usa-checkbox__label")
            expect(box).to_have_class("usa-checkbox__input")
            for other in others:
                assert not _overlap(_box(label), other), f"the label of {identifier} covers a field at {width} px"
            before = _drawn_box(label)
            assert before["width"] > 0 and before["height"] > 0, before
            assert before["width"] < 64, f"the box of {identifier} is drawn {before['width']} px wide"
            was_checked = box.is_checked()
            label.click()
            assert box.is_checked() is not was_checked, f"clicking the label of {identifier} does not toggle it"
            after = _drawn_box(label)
            assert (after["background"], after["image"]) != (before["background"], before["image"]), (
                f"the box of {identifier} looks the same ticked and unticked: {before} {after}"
            )
            label.click()
            assert box.is_checked() is was_checked
        assert not _overlap(_box(fieldset), _box(submit)), f"the scopes cover the submit button at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_mandate_scopes_are_checkboxes_a_person_can_use(new_page: NewPage) -> None:
    principal = _citizen("Marie", "Peeters", second_factor=True)
    proxy = _citizen("Anne", "Janssens")
    today = timezone.localdate()
    page = new_page()
    _sign_in(page, principal.email, totp_secret=factories.TOTP_SECRET)
    page.goto("/mandates/")
    grant = page.locator("main form[action='/mandates/give/']")
    _check_scopes_are_usable(page, grant, "grant-scopes")
    _look_at_every_width(page, "forms-mandates-fr")

    grant.locator("input[name='grant-national_number']").fill(proxy.person.national_number)
    grant.locator("input[name='grant-last_name']").fill(proxy.person.last_name)
    grant.locator(
        f"label[for='id_grant-scopes_{[value for value, _ in Scope.choices].index(Scope.VIEW_FILE)}']"
    ).click()
    grant.locator(
        f"label[for='id_grant-scopes_{[value for value, _ in Scope.choices].index(Scope.MANAGE_CLAIMS)}']"
    ).click()
    grant.locator("input[name='grant-starts_on']").fill(today.isoformat())
    grant.locator("input[name='grant-ends_on']").fill((today + datetime.timedelta(days=365)).isoformat())
    grant.locator("button[type=submit]").click()
    expect(page).to_have_url(_url("/mandates/"))
    mandate = Mandate.objects.get()
    assert (mandate.scopes, mandate.status) == ([Scope.VIEW_FILE, Scope.MANAGE_CLAIMS], MandateStatus.PENDING)

    mandate_services.mandate_accept(
        actor=citizen_actor(proxy, level=LevelOfAssurance.LOW), mandate_id=mandate.pk, now=timezone.now()
    )
    page.goto(f"/mandates/{mandate.pk}/change/")
    change = page.locator("main form[method=post]")
    expect(change.locator("input[name=scopes]:checked")).to_have_count(2)
    _check_scopes_are_usable(page, change, "scopes")
    _look_at_every_width(page, "forms-mandate-change-fr")
    payment = [value for value, _ in Scope.choices].index(Scope.MANAGE_PAYMENT_DETAILS)
    claims = [value for value, _ in Scope.choices].index(Scope.MANAGE_CLAIMS)
    change.locator(f"label[for='id_scopes_{claims}']").click()
    change.locator(f"label[for='id_scopes_{payment}']").click()
    _submit(page)
    expect(page).to_have_url(_url("/mandates/"))
    current = Mandate.objects.filter(status=MandateStatus.ACTIVE).get()
    assert current.scopes == [Scope.VIEW_FILE, Scope.MANAGE_PAYMENT_DETAILS]


def test_a_scope_left_out_shows_the_error_in_the_fieldset(new_page: NewPage) -> None:
    principal = _citizen("Marie", "Peeters", second_factor=True)
    page = new_page()
    _sign_in(page, principal.email, totp_secret=factories.TOTP_SECRET)
    page.goto("/mandates/")
    page.locator("main form[action='/mandates/give/'] button[type=submit]").click()
    fieldset = page.locator("main form[action='/mandates/give/'] fieldset")
    expect(fieldset).to_have_attribute("aria-describedby", "id_grant-scopes_error")
    expect(fieldset.locator("#id_grant-scopes_error")).to_be_visible()
    _look_at_every_width(page, "forms-mandates-errors-fr")
    assert not Mandate.objects.exists()


def test_every_form_of_the_portal_passes_axe_at_desktop_and_phone_widths(new_page: NewPage) -> None:
    citizen = _citizen("Marie", "Peeters", second_factor=True)
    enterprise = factories.EnterpriseFactory(name="Boulangerie Dupont")
    factories.representation(citizen, enterprise, "administrator")

    anonymous = new_page()
    for path, name in (
        ("/accounts/login/", "sign-in"),
        ("/accounts/signup/", "sign-up"),
        ("/accounts/password/reset/", "password-reset"),
    ):
        anonymous.goto(path)
        _look_at_every_width(anonymous, f"forms-{name}-fr")

    page = new_page()
    _sign_in(page, citizen.email, totp_secret=factories.TOTP_SECRET)
    expect(page).to_have_url(_url("/dashboard/"))
    for path, name in (
        ("/my-file/bank-account/", "bank-account"),
        ("/inbox/preferences/", "notification-preferences"),
        (f"/enterprises/{enterprise.pk}/employees/", "employees"),
        (f"/enterprises/{enterprise.pk}/declarations/", "declaration"),
        ("/declarations/files/", "upload"),
        (f"/enterprises/{enterprise.pk}/representatives/", "representatives"),
        (f"/enterprises/{enterprise.pk}/api-keys/", "api-keys"),
        (f"/enterprises/{enterprise.pk}/bureaus/", "bureaus"),
        ("/accounts/password/change/", "password-change"),
        ("/accounts/email/", "email"),
        ("/verify/", "verify"),
    ):
        page.goto(path)
        expect(page.locator("main form").first).to_be_attached()
        _look_at_every_width(page, f"forms-{name}-fr")

    person = factories.PersonFactory(first_name="Jean", last_name="Peeters")
    factories.UserFactory(person=person, email="jean@example.org")
    clerk = factories.with_totp(factories.UserFactory(is_staff=True, first_name="Camille", last_name="Leroy"))
    clerk.groups.set([Group.objects.get(name="Registry clerk")])
    counter = new_page()
    _sign_in(counter, clerk.email, totp_secret=factories.TOTP_SECRET)
    counter.goto(f"/counter/open/{person.pk}/")
    _look_at_every_width(counter, "forms-counter-open-fr")
    counter.fill("main [name=reason]", "change de compte bancaire")
    _submit(counter)
    counter.goto("/counter/sign-in-address/")
    _look_at_every_width(counter, "forms-counter-sign-in-address-fr")


@pytest.mark.time_machine(DECEMBER_2026, tick=False)
def test_the_statement_form_passes_axe_at_desktop_and_phone_widths(new_page: NewPage, settings: Any) -> None:
    owner = career_build(settings)["owner"]
    page = new_page()
    _sign_in(page, owner.email)
    page.goto("/my-file/contributions/statement/")
    expect(page.locator("main form select").first).to_be_visible()
    _look_at_every_width(page, "forms-statement-fr")
