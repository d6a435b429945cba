"""Paying by bank transfer: the institution's account checked at start-up, the exact EPC QR
content (EPC069-12) and the code segno draws from it, and the account page showing the IBAN,
the BIC, the amount due and the reference with the code."""

import datetime
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest
import segno
from django.urls import reverse

from contributions import ledger, services, transfers
from contributions.declarations import declaration_submit
from contributions.types import LineInput
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def institution(settings):
    settings.INSTITUTION_NAME = "Office de sécurité sociale"
    settings.INSTITUTION_IBAN = "BE71096123456769"
    settings.INSTITUTION_BIC = "GKCCBEBB"


def test_the_epc_payload_names_the_institution_the_amount_and_the_creditor_reference(institution):
    details = transfers.transfer_details(amount=Decimal("1234.50"), reference="RF18539007547034")

    assert transfers.transfer_payload(details) == (
        "BCD\n002\n1\nSCT\nGKCCBEBB\nOffice de sécurité sociale\nBE71096123456769\nEUR1234.5\n\nRF18539007547034"
    )


@pytest.mark.parametrize(
    ("amount", "written"), [("100.00", "EUR100"), ("0.10", "EUR0.1"), ("972.90", "EUR972.9"), ("5.05", "EUR5.05")]
)
def test_the_epc_amount_has_at_most_two_decimals_and_no_trailing_zero(institution, amount, written):
    details = transfers.transfer_details(amount=Decimal(amount), reference="RF18539007547034")

    assert transfers.transfer_payload(details).split("\n")[7] == written


def test_segno_draws_exactly_that_payload_at_level_m_within_version_13(institution):
    details = transfers.transfer_details(amount=Decimal("972.90"), reference="RF18539007547034")

    drawn = transfers.transfer_qr(details)

    expected = segno.make_qr(transfers.transfer_payload(details).encode("utf-8"), error="m", boost_error=False)
    assert drawn.matrix == expected.matrix
    assert drawn.error == "M"
    assert drawn.version <= 13


def test_the_qr_code_is_an_image_named_by_its_text_alternative(institution):
    details = transfers.transfer_details(amount=Decimal("10.00"), reference="RF18539007547034")

    svg = transfers.transfer_qr_svg(details, title="A transfer <of> 10 €")

    assert svg.startswith('<svg role="img" ')
    assert "<title>A transfer &lt;of&gt; 10 €</title>" in svg
    assert "<script" not in svg


@pytest.mark.parametrize(
    ("variable", "value"),
    [("INSTITUTION_IBAN", "BE71096123456768"), ("INSTITUTION_BIC", "GKCC"), ("INSTITUTION_NAME", "x" * 71)],
)
def test_an_invalid_institution_account_stops_the_start(variable, value):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "true", variable: value}

    started = subprocess.run(
        [sys.executable, "-c", "import portal.settings"], env=environment, capture_output=True, text=True, check=False
    )

    assert started.returncode == 1
    assert "ImproperlyConfigured" in started.stderr
    assert variable in started.stderr


def test_the_demo_institution_account_is_valid():
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"INSTITUTION_IBAN", "INSTITUTION_BIC", "INSTITUTION_NAME"}
    }
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import portal.settings as s; print(s.INSTITUTION_IBAN, s.INSTITUTION_BIC)",
        ],
        env={**environment, "DEBUG": "true"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert started.stdout.split() == ["BE71096123456769", "GKCCBEBB"]


# --- The account page ---------------------------------------------------------------------------


@pytest.fixture
def employer(db, settings, institution):
    settings.DECLARATION_DUE_DAY = 15
    demo_rates_seed()
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    person = PersonFactory()
    services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=person.national_number,
        worker_category="employee",
        start_date=datetime.date(2026, 8, 1),
        now=datetime.datetime(2026, 7, 20, tzinfo=datetime.UTC),
    )
    return {"enterprise": enterprise, "declarant": declarant, "actor": actor, "person": person}


def _declare(employer, period, wage):
    result = declaration_submit(
        actor=employer["actor"],
        enterprise_id=employer["enterprise"].pk,
        period=period,
        lines=[
            LineInput(
                national_number=employer["person"].national_number,
                worker_category="employee",
                gross_wage=wage,
                days_worked="20",
            )
        ],
        replace=False,
        channel="form",
        now=NOW,
    )
    assert result.accepted, result.anomalies


@pytest.mark.time_machine(NOW, tick=False)
def test_the_account_page_shows_the_institution_account_the_amount_due_and_the_reference(employer, client):
    # 3,000.00 in September and 2,000.00 in October (see test_ledger): 972.90 + 648.60 owed.
    _declare(employer, "2026-09", "3000.00")
    _declare(employer, "2026-10", "2000.00")
    september = ledger.structured_reference(
        enterprise_number=employer["enterprise"].enterprise_number, letter="D", period=Period(2026, 9)
    )
    sign_in(client, employer["declarant"])

    page = client.get(reverse("contributions:account", args=[employer["enterprise"].pk]), headers=ENGLISH)

    html = page.content.decode()
    transfer = html[html.index('<h2 id="transfer">') : html.index('<h2 id="pay-online">')]
    facts = dict(re.findall(r'<dt class="text-bold">([^<]+)</dt><dd[^>]*>(?:<code>)?([^<]+)', transfer))
    assert facts == {
        "Beneficiary": "Office de sécurité sociale",
        "IBAN": "BE71 0961 2345 6769",
        "BIC": "GKCCBEBB",
        "Amount due": "1,621.50 €",
        "Payment reference": september,
    }
    assert (
        f"<title>QR code of a transfer of 1,621.50 € to BE71 0961 2345 6769, reference {september}</title>" in transfer
    )
    drawn = transfers.transfer_qr_svg(
        transfers.transfer_details(amount=Decimal("1621.50"), reference=september),
        title=f"QR code of a transfer of 1,621.50 € to BE71 0961 2345 6769, reference {september}",
    )
    assert drawn in transfer


@pytest.mark.time_machine(NOW, tick=False)
def test_with_nothing_owed_the_page_shows_the_account_but_no_amount_nor_code(employer, client):
    sign_in(client, employer["declarant"])

    page = client.get(reverse("contributions:account", args=[employer["enterprise"].pk]), headers=ENGLISH)

    html = page.content.decode()
    transfer = html[html.index('<h2 id="transfer">') : html.index('<h2 id="pay-online">')]
    assert "BE71 0961 2345 6769" in transfer
    assert "Amount due" not in transfer
    assert "<svg" not in transfer
