"""The record's and the account's tables are rendered once and read back from the cache: a
payment, a declaration or a report shows on the next request, and nobody is shown the tables of
another person, another enterprise, another year or another language."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contributions import ledger
from contributions.discrepancies import discrepancy_report
from contributions.models import LedgerEntry
from identity.models import User
from tests.contributions.test_record import NOW, _declare, _employer, _hire, _pay, history  # noqa: F401 — fixture
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory, representation

# The pages read the clock; the history (tests/contributions/test_record.py) is fixed in 2026: read
# them on the day the history is read, not on the real date.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

ENGLISH = {"Accept-Language": "en"}
FRENCH = {"Accept-Language": "fr"}


def _record_row(page, period, employer):
    """The status and the report cells of a month's row on the record page, as text."""
    html = page.content.decode()
    row = re.search(rf'<th scope="row"[^>]*>{period}</th><td[^>]*>{employer}</td>(.*?)</tr>', html, re.DOTALL)
    assert row is not None, html
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)
    ]
    return cells[-2], cells[-1]


@pytest.fixture
def owner_client(history, client):  # noqa: F811 — the fixture imported above
    sign_in(client, UserFactory(person=history["person"]))
    return client


def test_a_payment_shows_on_the_record_page_at_the_next_request(history, owner_client):  # noqa: F811
    url = reverse("contributions:record")
    before = owner_client.get(url, headers=ENGLISH)
    assert _record_row(before, "2026-08", "Garage")[0] == "declared, not paid by the employer"

    _pay(history["garage"], LedgerEntry.objects.get(enterprise=history["garage"], period="2026-08"), "324.30")

    after = owner_client.get(url, headers=ENGLISH)
    assert _record_row(after, "2026-08", "Garage")[0] == "declared and paid"


def test_a_report_shows_on_the_record_page_at_the_next_request(history, owner_client):  # noqa: F811
    url = reverse("contributions:record")
    assert (
        "Report a problem with 2026-08 at Garage"
        in _record_row(owner_client.get(url, headers=ENGLISH), "2026-08", "Garage")[1]
    )
    owner = User.objects.get(person=history["person"])
    discrepancy_report(
        actor=citizen_actor(owner),
        person_id=history["person"].pk,
        enterprise_id=history["garage"].pk,
        period="2026-08",
        message="I was paid but it says otherwise.",
        now=timezone.now(),
    )
    assert _record_row(owner_client.get(url, headers=ENGLISH), "2026-08", "Garage")[1] == "Reported: being handled"


def test_the_record_tables_follow_the_language_and_the_year(history, owner_client):  # noqa: F811
    url = reverse("contributions:record")
    assert _record_row(owner_client.get(url, headers=ENGLISH), "2026-08", "Garage")[0] == (
        "declared, not paid by the employer"
    )
    assert _record_row(owner_client.get(url, headers=FRENCH), "2026-08", "Garage")[0] == (
        "déclaré, non payé par l’employeur"
    )
    other_year = owner_client.get(url, {"year": "2025"}, headers=ENGLISH).content.decode()
    assert "Months of 2025" in other_year
    assert "Nothing this year." in other_year


def test_each_person_sees_only_their_own_record_tables(history, owner_client):  # noqa: F811
    url = reverse("contributions:record")
    assert "Boulangerie" in owner_client.get(url, headers=ENGLISH).content.decode()
    stranger = PersonFactory()
    workshop, workshop_actor = _employer("Atelier du coin")
    _hire(workshop, workshop_actor, stranger, datetime.date(2026, 6, 1))
    _declare(workshop, workshop_actor, stranger, "2026-08")
    other_client = owner_client.__class__()
    sign_in(other_client, UserFactory(person=stranger))

    theirs = other_client.get(url, headers=ENGLISH).content.decode()
    assert "Atelier du coin" in theirs
    assert "Boulangerie" not in theirs
    assert "Atelier du coin" not in owner_client.get(url, headers=ENGLISH).content.decode()


def _account_client(client, enterprise):
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    return sign_in(client, declarant)


def _balance(page):
    match = re.search(r'<dd class="margin-left-0 font-sans-lg">([^<]*) €</dd>', page.content.decode())
    assert match is not None, page.content.decode()
    return match.group(1)


def test_a_payment_shows_on_the_account_page_at_the_next_request(history, client):  # noqa: F811
    garage = history["garage"]
    url = reverse("contributions:account", args=[garage.pk])
    _account_client(client, garage)
    assert _balance(client.get(url, headers=ENGLISH)) == "324.30"
    assert _balance(client.get(url, headers=FRENCH)) == "324,30"

    _pay(garage, LedgerEntry.objects.get(enterprise=garage, period="2026-08"), "324.30")

    page = client.get(url, headers=ENGLISH)
    assert _balance(page) == "0.00"
    assert "Nothing to pay: every debt is paid." in page.content.decode()


def test_each_enterprise_and_year_has_its_own_account_tables(history, client):  # noqa: F811
    bakery, garage = history["bakery"], history["garage"]
    _account_client(client, bakery)
    bakery_page = client.get(reverse("contributions:account", args=[bakery.pk]), headers=ENGLISH)
    other_client = client.__class__()
    _account_client(other_client, garage)
    garage_page = other_client.get(reverse("contributions:account", args=[garage.pk]), headers=ENGLISH)

    assert _balance(garage_page) == "324.30"
    assert _balance(bakery_page) != _balance(garage_page)
    earlier = other_client.get(reverse("contributions:account", args=[garage.pk]), {"year": "2025"}, headers=ENGLISH)
    assert "Entries of 2025" in earlier.content.decode()
    assert "No entry this year." in earlier.content.decode()
    # The other enterprise's representative is still refused the first one's page.
    assert other_client.get(reverse("contributions:account", args=[bakery.pk])).status_code == 404


def test_a_transfer_without_a_reference_shows_at_once(history, client):  # noqa: F811
    garage = history["garage"]
    url = reverse("contributions:account", args=[garage.pk])
    _account_client(client, garage)
    assert _balance(client.get(url, headers=ENGLISH)) == "324.30"
    ledger.credit_post(
        enterprise_id=garage.pk,
        amount=Decimal("24.30"),
        payment_reference="",
        source="bank:partial",
        booked_on=datetime.date(2026, 11, 9),
        now=datetime.datetime(2026, 11, 9, tzinfo=datetime.UTC),
    )
    assert _balance(client.get(url, headers=ENGLISH)) == "300.00"
