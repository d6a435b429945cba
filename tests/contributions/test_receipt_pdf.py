"""The PDF receipt of an accepted declaration: what it says, in which language, and who gets it."""

import datetime
import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.urls import reverse
from django.utils import translation

from contributions import ledger, services
from contributions.declarations import declaration_submit
from contributions.documents import declaration_receipt_pdf
from contributions.models import Declaration, LedgerEntry
from contributions.selectors import declaration_receipt_get
from contributions.types import LineInput
from core.periods import Period
from devtools.rates import demo_rates_seed
from identity.country_profiles import country_profile
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

# 11:00 in Brussels.
NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
PERIOD = "2026-10"


def _hire(actor, enterprise, person, category):
    services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=person.national_number,
        worker_category=category,
        start_date=datetime.date(2026, 10, 1),
        now=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC),
    )


def _line(person, category, wage, days):
    return LineInput(
        national_number=person.national_number, worker_category=category, gross_wage=wage, days_worked=days
    )


@pytest.fixture
def receipt():
    """A bakery declares October 2026: a white-collar employee above the pension ceiling, a
    blue-collar worker, and an apprentice it never registered (a warning kept on line 3)."""
    demo_rates_seed()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    clerk = PersonFactory(first_name="Alice", last_name="Martin")
    baker = PersonFactory(first_name="Bruno", last_name="Lambert")
    apprentice = PersonFactory(first_name="Chloé", last_name="Dubois")
    _hire(actor, enterprise, clerk, "employee")
    _hire(actor, enterprise, baker, "worker")
    result = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=PERIOD,
        lines=[
            _line(clerk, "employee", "5000.00", "22"),
            _line(baker, "worker", "2000", "20"),
            _line(apprentice, "apprentice", "1000.00", "18"),
        ],
        replace=False,
        channel="form",
        now=NOW,
    )
    assert result.accepted
    return {
        "enterprise": enterprise,
        "declarant": declarant,
        "declaration": Declaration.objects.get(pk=result.declaration_id),
        "url": reverse("contributions:declaration_pdf", args=[enterprise.pk, result.declaration_id]),
        "actor": actor,
        "people": (clerk, baker, apprentice),
    }


def _text(content: bytes) -> str:
    """The PDF's text with every run of white space (line breaks, narrow no-break spaces) as one space."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _reference(receipt):
    return ledger.structured_reference(
        enterprise_number=receipt["enterprise"].enterprise_number, letter="D", period=Period.parse(PERIOD)
    )


def test_the_stored_totals_are_the_hand_computed_ones(receipt):
    # employee 5000 (pension on the 4005 ceiling), worker 2000 (work injury 1 % for workers),
    # apprentice 1000 (apprentice rates).
    assert receipt["declaration"].totals == {
        "pension": ["414.35", "533.43"],  # 276.35 + 138.00 + 0.00 | 342.43 + 171.00 + 20.00
        "health": ["258.50", "281.00"],  # 177.50 + 71.00 + 10.00 | 190.00 + 76.00 + 15.00
        "unemployment": ["60.90", "107.20"],  # 43.50 + 17.40 + 0.00 | 73.00 + 29.20 + 5.00
        "family": ["0.00", "525.00"],  # 350.00 + 140.00 + 35.00
        "work_injury": ["0.00", "38.00"],  # 15.00 + 20.00 + 3.00
    }
    assert receipt["declaration"].total_wages == Decimal("8000.00")


def test_the_receipt_in_english_gives_the_reference_totals_warnings_and_lines(client, receipt):
    declaration = receipt["declaration"]
    sign_in(client, receipt["declarant"])

    response = client.get(receipt["url"], HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{declaration.reference}.pdf"'
    assert "no-store" in response["Cache-Control"]
    text = _text(response.content)
    number = country_profile().enterprise_number.format(receipt["enterprise"].enterprise_number)
    for expected in [
        f"Receipt {declaration.reference}",
        f"Enterprise Boulangerie Dupont Enterprise number {number}",
        "Period 2026-10 — version 1 (in force)",
        f"Reference {declaration.reference}",
        "Received 10 November 2026, 11:00 (web form)",
        "Lines 3",
        "Total gross wages 8,000.00 €",
        "Contributions per branch Branch Employee share Employer share Total",
        "pension 414.35 € 533.43 € 947.78 €",
        "health care 258.50 € 281.00 € 539.50 €",
        "unemployment 60.90 € 107.20 € 168.10 €",
        "family benefits 0.00 € 525.00 € 525.00 €",
        "work injury 0.00 € 38.00 € 38.00 €",
        "Total 733.75 € 1,484.63 € 2,218.38 €",
        f"Payment Total contributions due 2,218.38 € Payment reference {_reference(receipt)} Due date 15 November 2026",
        "3 not_hired This employee is not registered as hired by the enterprise during the period.",
        "1 Alice Martin employee (white-collar) 5,000.00 22 497.35 € 970.43 €",
        "2 Bruno Lambert worker (blue-collar) 2,000.00 20 226.40 € 436.20 €",
        "3 Chloé Dubois apprentice 1,000.00 18 10.00 € 78.00 €",
    ]:
        assert expected in text, expected
    assert "Cotisations" not in text


def test_the_receipt_in_french_has_french_labels_and_numbers(client, receipt):
    declaration = receipt["declaration"]
    sign_in(client, receipt["declarant"])

    response = client.get(receipt["url"], HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    text = _text(response.content)
    for expected in [
        f"Accusé de réception {declaration.reference}",
        "Période 2026-10 — version 1 (en vigueur)",
        f"Référence {declaration.reference}",
        "Reçue 10 novembre 2026 11:00 (formulaire web)",
        "Total des salaires bruts 8 000,00 €",
        "Cotisations par branche Branche Part du travailleur Part de l’employeur Total",
        "pension 414,35 € 533,43 € 947,78 €",
        "soins de santé 258,50 € 281,00 € 539,50 €",
        "Total 733,75 € 1 484,63 € 2 218,38 €",
        f"Paiement Total des cotisations dues 2 218,38 € Communication structurée {_reference(receipt)}"
        " Date d’échéance 15 novembre 2026",
        "Avertissements",
        "3 not_hired Ce travailleur n’est pas inscrit comme engagé par l’entreprise pendant la période.",
        "Lignes de la déclaration",
        "1 Alice Martin employé 5 000,00 22 497,35 € 970,43 €",
    ]:
        assert expected in text, expected
    assert "Contributions per branch" not in text and "Employee share" not in text


def test_the_document_is_in_the_language_asked_not_the_active_one(receipt):
    with translation.override("en"):
        document = declaration_receipt_pdf(
            enterprise_id=receipt["enterprise"].pk, declaration_id=receipt["declaration"].pk, language="fr"
        )
    assert document.filename == f"{receipt['declaration'].reference}.pdf"
    text = _text(document.content)
    assert "Cotisations par branche" in text and "Total 733,75 € 1 484,63 € 2 218,38 €" in text
    with pytest.raises(LookupError):
        declaration_receipt_pdf(
            enterprise_id=EnterpriseFactory().pk, declaration_id=receipt["declaration"].pk, language="fr"
        )


def test_the_pdf_is_titled_and_carries_its_language_and_font(client, receipt):
    sign_in(client, receipt["declarant"])

    reader = pypdf.PdfReader(io.BytesIO(client.get(receipt["url"], HTTP_ACCEPT_LANGUAGE="fr").content))

    assert reader.metadata.title == f"Accusé de réception {receipt['declaration'].reference}"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4: 210 mm
    fonts = {str(font.get_object()["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts and all("Public-Sans" in font or "PublicSans" in font for font in fonts), fonts


def test_the_receipt_is_read_in_six_queries_whatever_its_lines(receipt, django_assert_num_queries):
    # The declaration, its lines, its warnings, the period's ledger entries, the enterprise's name
    # and number, the names.
    with django_assert_num_queries(6):
        read = declaration_receipt_get(enterprise_id=receipt["enterprise"].pk, declaration_id=receipt["declaration"].pk)
    assert [line.person_name for line in read.lines] == ["Alice Martin", "Bruno Lambert", "Chloé Dubois"]
    assert (read.total_employee, read.total_employer, read.total) == (
        Decimal("733.75"),
        Decimal("1484.63"),
        Decimal("2218.38"),
    )


def test_the_html_receipt_links_to_the_pdf(client, receipt):
    sign_in(client, receipt["declarant"])
    page = client.get(
        reverse("contributions:declaration", args=[receipt["enterprise"].pk, receipt["declaration"].pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert f'href="{receipt["url"]}" download>Download the receipt (PDF)</a>' in page


def test_anonymous_visitors_are_sent_to_sign_in(client, receipt):
    response = client.get(receipt["url"])
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={receipt['url']}"


def test_a_viewer_of_the_enterprise_gets_it(client, receipt):
    viewer = UserFactory()
    representation(viewer, receipt["enterprise"], "viewer")
    sign_in(client, viewer)
    response = client.get(receipt["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_a_representative_of_another_enterprise_does_not_get_it(client, receipt):
    other = EnterpriseFactory()
    stranger = UserFactory()
    representation(stranger, other, "declarant")
    sign_in(client, stranger)

    assert client.get(receipt["url"]).status_code == 404
    # Nor through their own enterprise's address.
    forged = reverse("contributions:declaration_pdf", args=[other.pk, receipt["declaration"].pk])
    assert client.get(forged).status_code == 404


def test_a_declaration_of_another_enterprise_is_not_found_under_ones_own(client, receipt):
    other = EnterpriseFactory()
    other_declarant = UserFactory()
    representation(other_declarant, other, "declarant")
    actor = citizen_actor(other_declarant, enterprise_ids=frozenset({other.pk}))
    person = PersonFactory()
    _hire(actor, other, person, "employee")
    theirs = declaration_submit(
        actor=actor,
        enterprise_id=other.pk,
        period=PERIOD,
        lines=[_line(person, "employee", "100", "1")],
        replace=False,
        channel="form",
        now=NOW,
    )
    sign_in(client, receipt["declarant"])

    forged = reverse("contributions:declaration_pdf", args=[receipt["enterprise"].pk, theirs.declaration_id])

    assert client.get(forged).status_code == 404
    assert client.get(receipt["url"]).status_code == 200


def _replace(receipt, clerk_wage):
    clerk, baker, apprentice = receipt["people"]
    result = declaration_submit(
        actor=receipt["actor"],
        enterprise_id=receipt["enterprise"].pk,
        period=PERIOD,
        lines=[
            _line(clerk, "employee", clerk_wage, "22"),
            _line(baker, "worker", "2000", "20"),
            _line(apprentice, "apprentice", "1000.00", "18"),
        ],
        replace=True,
        channel="form",
        now=NOW + datetime.timedelta(days=1),
    )
    assert result.accepted, result.anomalies
    return result.declaration_id


def test_the_html_receipt_gives_the_total_due_the_reference_and_the_due_date(client, receipt):
    sign_in(client, receipt["declarant"])

    page = client.get(
        reverse("contributions:declaration", args=[receipt["enterprise"].pk, receipt["declaration"].pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()

    payment = page[page.index('<h2 id="payment">') :]
    facts = re.findall(r'<dt class="text-bold">([^<]+)</dt><dd[^>]*>(?:<code>)?([^<]+)', payment)
    assert facts[:3] == [
        ("Total contributions due", "2,218.38 €"),
        ("Payment reference", _reference(receipt)),
        ("Due date", "15 November 2026"),
    ]


def test_a_replacement_receipt_says_what_it_posted_to_the_account(client, receipt):
    # The clerk's wage from 5,000.00 to 4,000.00: the ledger holds the (negative) difference.
    replacement = _replace(receipt, "4000.00")
    posted = LedgerEntry.objects.get(declaration_id=replacement).amount
    assert posted < 0
    sign_in(client, receipt["declarant"])
    enterprise_id = receipt["enterprise"].pk

    page = client.get(
        reverse("contributions:declaration", args=[enterprise_id, replacement]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    pdf = client.get(
        reverse("contributions:declaration_pdf", args=[enterprise_id, replacement]), HTTP_ACCEPT_LANGUAGE="en"
    )

    credited = f"{-posted:,.2f} € credited"
    assert (
        '<dt class="text-bold">Posted to your account by this replacement</dt>'
        f'<dd class="margin-left-0 margin-bottom-1">{credited}</dd>'
    ) in page
    assert f"Posted to your account by this replacement {credited} Payment reference {_reference(receipt)}" in _text(
        pdf.content
    )


def test_a_replacement_that_changes_no_amount_posts_nothing_and_says_so(receipt):
    replacement = _replace(receipt, "5000.00")

    read = declaration_receipt_get(enterprise_id=receipt["enterprise"].pk, declaration_id=replacement)

    assert read.posted is None
    assert read.payment_reference == _reference(receipt)
    assert read.payment_due_on == datetime.date(2026, 11, 15)
