"""The record page and the account page run the same number of queries whatever the length of
the history (computed, and read back from the cache)."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contributions import ledger
from tests.contributions.test_record import _declare, _employer, _hire
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _history(months):
    from devtools.rates import demo_rates_seed

    demo_rates_seed()
    person = PersonFactory()
    enterprise, actor = _employer("Atelier")
    _hire(enterprise, actor, person, datetime.date(2026, 1, 1))
    for month in range(1, months + 1):
        debit = _declare(enterprise, actor, person, f"2026-{month:02d}")
        ledger.credit_post(
            enterprise_id=enterprise.pk,
            amount=Decimal("972.90"),
            payment_reference=debit.payment_reference,
            source=f"bank:{month}",
            booked_on=datetime.date(2026, month + 1, 1),
            now=datetime.datetime(2026, 11, 6, tzinfo=datetime.UTC),
        )
    return person, enterprise, actor


def _queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as computed:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert client.get(url).status_code == 200
    return len(computed), len(cached)


def test_the_record_page_runs_a_constant_number_of_queries(client, settings):
    settings.DECLARATION_DUE_DAY = 15
    short_person, *_ = _history(1)
    long_person, *_ = _history(9)
    short_client, long_client = client, client.__class__()
    sign_in(short_client, UserFactory(person=short_person))
    sign_in(long_client, UserFactory(person=long_person))
    url = reverse("contributions:record")
    short = _queries(short_client, url)
    assert _queries(long_client, url) == short
    assert short[1] < short[0]


def test_the_account_page_runs_a_constant_number_of_queries(client, settings):
    settings.DECLARATION_DUE_DAY = 15
    _person, short_enterprise, short_actor = _history(1)
    _person, long_enterprise, long_actor = _history(9)
    short_client, long_client = client, client.__class__()
    from identity.models import User

    sign_in(short_client, User.objects.get(pk=short_actor.user_id))
    sign_in(long_client, User.objects.get(pk=long_actor.user_id))
    short = _queries(short_client, reverse("contributions:account", args=[short_enterprise.pk]))
    assert _queries(long_client, reverse("contributions:account", args=[long_enterprise.pk])) == short
    assert short[1] < short[0]


def test_a_row_committed_after_one_with_a_higher_id_still_refreshes_the_account(settings):
    """Ids are handed out at insert, rows appear at commit: the cached overview follows counts
    too, so a late row with a lower id is not missed."""
    from contributions.account import account_overview
    from contributions.models import LedgerEntry

    settings.DECLARATION_DUE_DAY = 15
    _person, enterprise, _actor = _history(1)
    top = LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    today = datetime.date(2026, 11, 10)

    def penalty(pk):
        LedgerEntry.objects.create(
            pk=pk,
            enterprise=enterprise,
            kind="penalty",
            amount=Decimal("100.00"),
            booked_on=today,
            due_on=today,
            period="2026-01",
            source=f"penalty:test:{pk}",
            created_at=datetime.datetime(2026, 11, 10, tzinfo=datetime.UTC),
        )

    penalty(top + 100)
    before = account_overview(enterprise_id=enterprise.pk, today=today, year=None).summary.balance
    penalty(top + 50)  # a lower id, appearing later
    after = account_overview(enterprise_id=enterprise.pk, today=today, year=None).summary.balance
    assert after - before == Decimal("100.00")
