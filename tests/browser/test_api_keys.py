"""An administrator creates an API key without JavaScript, copies it once, and payroll software
uses it; the key page and the API documentation pass axe."""

from playwright.sync_api import expect

from identity.models import ApiKey
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import _sign_in
from tests.identity import factories
from tests.identity.factories import EnterpriseFactory, UserFactory, representation, with_totp


def test_create_a_key_use_it_and_read_the_documentation(new_page, live_server):
    enterprise = EnterpriseFactory(name="Garage Martin")
    admin = with_totp(UserFactory())
    representation(admin, enterprise, "administrator")
    keys_url = f"/enterprises/{enterprise.pk}/api-keys/"

    page = new_page(java_script_enabled=False)
    _sign_in(page, admin.email, totp_secret=factories.TOTP_SECRET)
    page.goto(keys_url)
    page.fill("input[name=name]", "Logiciel de paie")
    page.locator("main form[method=post] button[type=submit]").last.click()
    key = page.locator("#new-key").input_value()
    assert key.startswith(ApiKey.objects.get().prefix + ".")
    created_html = page.content()

    answer = page.request.get(f"{live_server.url}/api/v1/employers/", headers={"Authorization": f"Bearer {key}"})
    assert answer.status == 200
    assert answer.json() == [
        {"enterprise_number": enterprise.enterprise_number, "name": "Garage Martin", "through_mandate": False}
    ]

    checker = new_page()
    checker.set_content(created_html)
    assert_accessible(checker)
    for language in ("fr-FR", "en-GB"):
        docs = new_page(locale=language)
        docs.goto("/api/")
        expect(docs.locator("#op-declarations_submit")).to_be_visible()
        assert_accessible(docs)
