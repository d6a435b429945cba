"""An employer downloads its compliance certificate, without JavaScript; a customer types the code
printed on it into the public verification page and reads that it is authentic. Every page is
checked with axe."""

import io
import re

import pypdf
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import _in, _sign_in
from tests.identity.factories import EnterpriseFactory, UserFactory, representation

CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}(?:-[A-HJKMNP-Z2-9]{4}){5}")


def test_issue_a_certificate_and_verify_its_code(new_page):
    # An enterprise that has employed no one yet owes nothing and misses no declaration.
    enterprise = EnterpriseFactory(name="Boulangerie Dupont SRL")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    certificate_url = f"/enterprises/{enterprise.pk}/certificate/"

    employer = new_page(java_script_enabled=False)
    _sign_in(employer, declarant.email)
    employer.goto(certificate_url)
    with employer.expect_download() as download:
        employer.get_by_role("button", name=_in("fr", "Issue the certificate (PDF)")).click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as pdf:
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.read())).pages)
    codes = CODE.findall(text)
    assert len(codes) == 1

    customer = new_page(java_script_enabled=False)
    customer.goto("/verify/")
    customer.get_by_label(_in("fr", "Verification code")).fill(codes[0].lower().replace("-", " "))
    customer.get_by_role("button", name=_in("fr", "Verify"), exact=True).click()
    expect(customer.get_by_role("status")).to_contain_text(_in("fr", "Authentic document, valid today"))
    expect(customer.get_by_role("status")).to_contain_text("Boul*** Dup*** SRL")
    authentic_html = customer.content()
    customer.get_by_label(_in("fr", "Verification code")).fill("ABCD-ABCD-ABCD-ABCD-ABCD-ABCD")
    customer.get_by_role("button", name=_in("fr", "Verify"), exact=True).click()
    expect(customer.locator("#id_code_error")).to_be_visible()
    expect(customer.get_by_role("status")).to_have_count(0)
    not_found_html = customer.content()

    # axe needs JavaScript: the same pages, in JavaScript-enabled contexts.
    checker = new_page()
    _sign_in(checker, declarant.email)
    checker.goto(certificate_url)
    assert_accessible(checker)
    checker.goto("/verify/")
    assert_accessible(checker)
    for html in (authentic_html, not_found_html):
        checker.set_content(html)
        assert_accessible(checker)
