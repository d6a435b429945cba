"""A reported problem, end to end in a browser: the person reports a month from their record,
a case worker judges it in the back office on the month's declarations, the register and the
employer's account, asks the employer to correct it with a reason; the person reads where it
stands on their record and on the case's page. In French, checked by axe and at phone width.
Dates are relative to today: the pages read the clock."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from contributions import services
from contributions.declarations import declaration_submit
from contributions.models import DiscrepancyReport
from contributions.types import LineInput
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.browser.conftest import NewPage, look
from tests.browser.test_journeys import _sign_in, _sign_out
from tests.helpers import citizen_actor
from tests.identity import factories


def test_a_reported_month_is_answered_and_the_person_follows_it(new_page: NewPage) -> None:
    demo_rates_seed()
    month = Period.of(timezone.localdate()).previous().previous()
    person = factories.PersonFactory(first_name="Marie", last_name="Dubois")
    citizen = factories.UserFactory(person=person)
    bakery = factories.EnterpriseFactory(name="Boulangerie Lemaire")
    declarant = factories.UserFactory()
    factories.representation(declarant, bakery, "declarant")
    employer = citizen_actor(declarant, enterprise_ids=frozenset({bakery.pk}))
    start = month.first_day - datetime.timedelta(days=40)
    services.employment_hire(
        actor=employer,
        enterprise_id=bakery.pk,
        national_number=person.national_number,
        worker_category="employee",
        start_date=start,
        now=datetime.datetime.combine(start, datetime.time(8), tzinfo=datetime.UTC) - datetime.timedelta(days=1),
    )
    declared = declaration_submit(
        actor=employer,
        enterprise_id=bakery.pk,
        period=str(month),
        lines=[
            LineInput(
                national_number=person.national_number,
                worker_category="employee",
                gross_wage="1500.00",
                days_worked="20",
            )
        ],
        replace=False,
        channel="form",
        now=timezone.now(),
    )
    assert declared.accepted

    # The person reports the month from their record.
    page = new_page()
    _sign_in(page, citizen.email)
    page.goto(f"{reverse('contributions:record')}?year={month.year}")
    page.get_by_role("link", name=f"Signaler un problème pour {month} chez Boulangerie Lemaire").click()
    page.fill("textarea[name=message]", "Mon salaire de ce mois était de 2 100 euros, pas 1 500.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("link", name="Signalé : en cours de traitement")).to_be_visible()
    _sign_out(page)

    # A case worker reads the case with its evidence and asks the employer to correct.
    worker = factories.with_totp(factories.UserFactory(is_staff=True, first_name="Luc", last_name="Agent"))
    worker.groups.add(Group.objects.get(name="Case worker"))
    report = DiscrepancyReport.objects.get()
    _sign_in(page, worker.email, totp_secret=factories.TOTP_SECRET)
    page.goto(reverse("admin:contributions_discrepancyreport_changelist"))
    look(page, "reported-problem-queue")
    page.goto(reverse("admin:contributions_discrepancyreport_change", args=[report.pk]))
    expect(page.get_by_text("1 500,00").first).to_be_visible()
    look(page, "reported-problem-case-staff")
    page.get_by_label("Employeur invité à corriger").check()
    page.fill("textarea[name=reason]", "Déclarez le salaire de la fiche de paie : 2 100 euros.")
    page.get_by_role("button", name="Enregistrer l’issue").click()
    expect(page.locator(".messagelist")).to_contain_text("employeur invité à corriger")
    report.refresh_from_db()
    assert report.status == "awaiting_employer"

    # The person reads where it stands, and why.
    page = new_page()
    _sign_in(page, citizen.email)
    page.goto(f"{reverse('contributions:record')}?year={month.year}")
    look(page, "reported-problem-record")
    page.get_by_role("link", name="Signalé : l’employeur est invité à corriger").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Le problème que vous avez signalé pour {month}")
    expect(page.get_by_text("Déclarez le salaire de la fiche de paie : 2 100 euros.")).to_be_visible()
    look(page, "reported-problem-case")
