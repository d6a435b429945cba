"""An employer's representative reads the news of the enterprise's account in the inbox: a
declaration accepted, one refused to the payroll software, a payment received."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from contributions import payments, services
from contributions.declarations import declaration_submit
from contributions.types import LineInput
from core.periods import Period
from devtools.rates import demo_rates_seed
from notifications.models import ChannelPreference, Notification
from notifications.types import Category
from tests.browser.conftest import look
from tests.browser.test_journeys import _in, _sign_in, _url
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation


class _Provider:
    """The payment provider, outside world: it takes the payment."""

    name = "sandbox"

    def create(self, *, amount: Any, reference: str, description: str, **_kwargs: Any) -> payments.ProviderPayment:
        return payments.ProviderPayment(provider_payment_id=str(uuid.uuid4()), redirect_url="https://pay.example/x")


def test_a_representative_reads_the_news_of_the_enterprises_account(new_page: Any) -> None:
    demo_rates_seed()
    last_month = Period.of(datetime.date.today()).previous()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    sender, reader = UserFactory(), UserFactory(preferred_language="fr")
    for user in (sender, reader):
        representation(user, enterprise, "declarant")
        # Inbox only: no e-mail is queued for a worker that these tests do not run.
        ChannelPreference.objects.create(user=user, category=Category.ENTERPRISE, email=False, sms=False)
    actor = citizen_actor(sender, enterprise_ids=frozenset({enterprise.pk}))
    employees = [PersonFactory(first_name="Marie", last_name="Dubois"), PersonFactory()]
    for employee in employees:
        services.employment_hire(
            actor=actor,
            enterprise_id=enterprise.pk,
            national_number=employee.national_number,
            worker_category="employee",
            start_date=last_month.first_day,
            now=datetime.datetime.combine(last_month.first_day, datetime.time(8), tzinfo=datetime.UTC),
        )
    # Filed by form by the sender: the reader is told.
    accepted = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=str(last_month),
        lines=[LineInput(e.national_number, "employee", "2500.00", "20") for e in employees],
        replace=False,
        channel="form",
        now=timezone.now(),
    )
    assert accepted.accepted
    # A replacement the payroll software sent, refused.
    refused = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=str(last_month),
        lines=[
            LineInput(PersonFactory.build().national_number, "employee", "2500.00", "20"),
            LineInput(employees[0].national_number, "pilot", "2 500", "40"),
        ],
        replace=True,
        channel="api",
        now=timezone.now(),
    )
    assert not refused.accepted
    # Paid online.
    payment = payments.payment_start(
        actor=actor,
        enterprise_id=enterprise.pk,
        amount="2000.00",
        payment_reference="",
        intent=uuid.uuid4(),
        now=timezone.now(),
        provider=_Provider(),
    )
    payments.payment_settle(
        provider_name="sandbox",
        reported=payments.ProviderStatus(payment.provider_payment_id, "succeeded", Decimal("2000.00")),
        now=timezone.now(),
    )
    messages = {
        event: Notification.objects.get(recipient=reader, event_type=event).pk
        for event in ("declaration_accepted", "declaration_rejected", "payment_received")
    }

    page = new_page()
    _sign_in(page, reader.email)
    page.goto("/inbox/")
    expect(page.locator("main tbody tr")).to_have_count(3)
    look(page, "inbox-account-news")
    for event, pk in messages.items():
        page.goto(f"/inbox/{pk}/")
        expect(page).to_have_url(_url(f"/inbox/{pk}/"))
        expect(page.locator("main h1")).to_contain_text("Boulangerie Dupont")
        look(page, f"message-{event.replace('_', '-')}")
    page.goto(f"/inbox/{messages['declaration_rejected']}/")
    expect(page.locator("main article ul")).to_contain_text(_in("fr", "Unknown worker category."))
    page.get_by_role("link", name=_in("fr", "Go to the page")).click()
    expect(page).to_have_url(_url(f"/enterprises/{enterprise.pk}/declarations/"))
