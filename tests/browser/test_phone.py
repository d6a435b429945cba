"""Reading on a phone (WCAG 1.4.10, reflow): at 390 px the pages with tables scroll only
vertically — the tables stack, each value under its column's name — and pass axe; with
GUICHET_SCREENSHOTS set, each is photographed at desktop and phone widths."""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from contributions import statements
from contributions.declarations import declaration_submit
from contributions.models import LedgerEntry, Payment
from contributions.types import LineInput
from core.audit import access_record
from core.periods import Period
from core.types import AccessPurpose
from identity.country_profiles import country_profile
from identity.models import Enterprise, Person, User
from mandates.models import Mandate
from tests.browser.conftest import NewPage, assert_reflows, look
from tests.browser.test_account import _declared_month
from tests.browser.test_journeys import _sign_in, _submit, _totp_code, _url
from tests.contributions.bulk_helpers import csv_bytes, process, receive
from tests.helpers import citizen_actor, staff_actor
from tests.identity.factories import UserFactory


@pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC), tick=False)
@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_pages_with_tables_reflow_at_phone_width(new_page: NewPage, settings, locale: str) -> None:
    enterprise, declarant, employee = _declared_month(settings)
    owner = UserFactory(person=employee)
    language = locale[:2]

    page = new_page(locale=locale)
    _sign_in(page, owner.email)
    for path, name in (("/my-file/contributions/", "record"), ("/dashboard/", "dashboard-employee")):
        page.goto(path)
        look(page, f"phone-{name}-{language}")

    page = new_page(locale=locale)
    _sign_in(page, declarant.email)
    for path, name in (
        (f"/enterprises/{enterprise.pk}/account/", "account"),
        (f"/enterprises/{enterprise.pk}/declarations/", "declarations"),
        (f"/enterprises/{enterprise.pk}/employees/", "employees"),
        ("/dashboard/", "dashboard-employer"),
    ):
        page.goto(path)
        look(page, f"phone-{name}-{language}")


# --- Every table a citizen or an employer reads, as the demo personas ---------------------------

DEMO_PASSWORD = "Guichet-demo-2026"
DEMO_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _demo_sign_in(page: Page, who: str, *, mfa: bool = False) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", f"{who}@demo.guichet.example")
    page.fill("input[name=password]", DEMO_PASSWORD)
    _submit(page)
    if mfa:
        expect(page).to_have_url(_url("/accounts/2fa/authenticate/"))
        page.fill("input[name=code]", _totp_code(DEMO_TOTP))
        _submit(page)
    expect(page.locator("header form[action='/accounts/logout/']")).to_have_count(1)


def _demo_world(settings: Any) -> dict[str, Any]:
    """The demo, and what its people would have done by now: the bakery's declarant declared the
    last two months (unpaid, so the account has periods to pay), an administrator started an
    online payment, the bureau sent a file that was refused with anomalies and one that was
    accepted, Marie asked for her contribution statement, and a clerk corrected her address."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    bakery = Enterprise.objects.get(name="Boulangerie Dupont SRL")
    bureau = Enterprise.objects.get(name="Secrétariat Social Horizon ASBL")
    marie = Person.objects.get(first_name="Marie", last_name="Dubois")
    users = {user.email.split("@")[0]: user for user in User.objects.filter(email__endswith="@demo.guichet.example")}
    now = timezone.now()
    this_month = Period.of(timezone.localdate())
    declarant = citizen_actor(users["claire"], enterprise_ids=frozenset({bakery.pk}))
    declared = []
    for period in (this_month.previous().previous(), this_month.previous()):
        result = declaration_submit(
            actor=declarant,
            enterprise_id=bakery.pk,
            period=str(period),
            lines=[LineInput(marie.national_number, "employee", "3125.40", "21")],
            replace=False,
            channel="form",
            now=now,
        )
        assert result.accepted, result.anomalies
        declared.append(result.declaration_id)
    payment = Payment.objects.create(
        enterprise=bakery,
        amount="1013.51",
        payment_reference=LedgerEntry.objects.filter(enterprise=bakery).values_list("payment_reference", flat=True)[0],
        provider="sandbox",
        intent=uuid.uuid4(),
        created_by=users["paul"],
        created_at=now,
    )
    bureau_actor = citizen_actor(users["bureau"], enterprise_ids=frozenset({bureau.pk}))
    number = country_profile().enterprise_number.format(bakery.enterprise_number)
    earlier = str(this_month.previous().previous().previous())
    rows = [
        [number, earlier, marie.national_number, "Dubois", "Marie", "employee", "-12.00", "21"],
        [number, earlier, "00000000000", "Inconnu", "Personne", "employee", "3000.00", "21"],
    ]
    refused = process(receive(bureau_actor, csv_bytes(rows), name="paie-erreurs.csv").upload)
    rows = [[number, earlier, marie.national_number, "Dubois", "Marie", "employee", "3125.40", "21"]]
    accepted = process(receive(bureau_actor, csv_bytes(rows), name="paie-ok.csv").upload)
    assert (refused.status, accepted.status) == ("rejected", "accepted")
    statements.statement_ask(
        actor=citizen_actor(users["marie"]),
        person_id=marie.pk,
        year_from=None,
        year_to=None,
        language="fr",
        intent=uuid.uuid4(),
        now=now,
    )
    access_record(
        actor=staff_actor(users["registry"]),
        subject_person_id=marie.pk,
        purpose=AccessPurpose.STAFF_REGISTRY_CHANGE,
        now=now,
        detail="street, postal_code, city",
    )
    return {
        "bakery": bakery,
        "bureau": bureau,
        "declaration": declared[-1],
        "payment": payment,
        "uploads": (refused, accepted),
        "mandate": Mandate.objects.get(principal__first_name="Jean"),
    }


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_every_table_a_citizen_or_an_employer_reads_reflows_at_phone_width(
    new_page: NewPage, settings, tmp_path, locale: str
) -> None:
    settings.BULK_UPLOAD_DIR = tmp_path / "uploads"
    demo = _demo_world(settings)
    bakery, bureau = demo["bakery"].pk, demo["bureau"].pk
    refused, accepted = demo["uploads"]
    language = locale[:2]
    personas = {
        # Marie: her record's statement, who read her data (a list), her messages.
        ("marie", False): ["/my-file/contributions/statement/", "/my-file/accesses/", "/inbox/", "/mandates/"],
        # Jean mandated his daughter; she acts for him.
        ("jean", False): ["/mandates/", f"/mandates/{demo['mandate'].pk}/trail/", "/my-file/accesses/"],
        ("sophie", False): ["/mandates/"],
        # The bakery: what it owes and paid, a receipt, its keys, people and bureaus.
        ("paul", True): [
            f"/enterprises/{bakery}/account/",
            f"/enterprises/{bakery}/declarations/{demo['declaration']}/",
            f"/enterprises/{bakery}/payments/{demo['payment'].pk}/",
            f"/enterprises/{bakery}/api-keys/",
            f"/enterprises/{bakery}/representatives/",
            f"/enterprises/{bakery}/bureaus/",
        ],
        # The bureau: its clients, its keys, its files.
        ("bureau", True): [
            "/mandates/clients/",
            f"/enterprises/{bureau}/api-keys/",
            "/declarations/files/",
            f"/declarations/files/{refused.pk}/",
            f"/declarations/files/{accepted.pk}/",
        ],
        # Anyone: the public tables.
        ("anne", True): ["/contributions/rates/", "/api/", "/declarations/files/format/", "/status/"],
    }
    for (who, mfa), paths in personas.items():
        page = new_page(locale=locale)
        _demo_sign_in(page, who, mfa=mfa)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            name = f"phone-{who}-{path.strip('/').replace('/', '-')}-{language}"
            if language == "fr":
                look(page, name)  # axe (the same pages' markup in both languages) and reflow
            else:
                assert_reflows(page)
