"""Benefits proposed without an application as people meet them, without JavaScript, in French
and English: Ana, whose baby's birth the civil registry sent, finds the two benefits it opens
on her dashboard, reads why the birth grant is due and accepts it (the benefit opens), then
declines the family allowance with a reason — axe and reflow at phone width on every page. In
the back office, a supervisor runs the birth grant's rule dry from its page and reads, month by
month, what it would have proposed for the registry's births of the last months."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from benefits import services
from benefits.models import AttributionDryRun, AttributionRule, Entitlement, Proposal
from tests.benefits.claim_helpers import IBAN, parent_with_newborn
from tests.benefits.proposal_helpers import birth_event, proposed
from tests.browser.conftest import look
from tests.browser.test_journeys import _sign_in
from tests.browser.test_payments import _look
from tests.identity.factories import TOTP_SECRET, UserFactory, with_totp

pytestmark = pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC))


def _ana() -> dict:
    family = parent_with_newborn(born=datetime.date(2026, 11, 14))
    now = timezone.now()
    event_id = birth_event(family, now=now)
    family["grant"] = proposed(family, now=now, event_id=event_id)
    family["allowance"] = proposed(family, scheme="family_allowance", now=now, event_id=event_id)
    return family


def _link(page, name: str, *args: int):
    return page.locator(f'main a[href="{reverse(name, args=args)}"]').first


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_a_parent_accepts_the_birth_grant_proposed_and_declines_the_allowance(new_page, locale):
    fr = locale == "fr-FR"
    ana = _ana()
    page = new_page(java_script_enabled=False, locale=locale)
    _sign_in(page, ana["user"].email)
    page.goto(reverse("portal:dashboard"))
    main = page.locator("main")
    # The alert of the two waiting for an answer, and the dashboard's own link, lead to the list.
    expect(page.locator(f'main .usa-alert a[href="{reverse("benefits:proposals")}"]')).to_have_count(1)
    expect(page.locator(".usa-alert", has_text="2")).to_have_count(1)
    _look(new_page, page, f"proposals-dashboard-{locale[:2]}", locale)

    _link(page, "benefits:proposals").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("benefits:proposals")) + "$"))
    expect(main).to_contain_text("Allocation de naissance" if fr else "Birth grant")
    expect(main).to_contain_text("1 200,00 €, versés une fois." if fr else "1,200.00 €, paid once.")
    expect(main).to_contain_text(
        "112,20 € par mois, à partir du 1 novembre 2026." if fr else "112.20 € a month, from 1 November 2026."
    )
    _look(new_page, page, f"proposals-list-{locale[:2]}", locale)

    # The birth grant: why it is due, then accepted.
    _link(page, "benefits:proposal", ana["grant"]).click()
    expect(page.locator("h1")).to_have_text("Allocation de naissance" if fr else "Birth grant")
    expect(main).to_contain_text("Né(e) le 14 novembre 2026." if fr else "Born on 14 November 2026.")
    expect(main).to_contain_text(
        "Un parent a 192 mois validés à son compte ; 6 mois sont requis."
        if fr
        else "A parent has 192 months credited to their record; 6 months are required."
    )
    expect(main).to_contain_text("BE** **** **** 6769")
    _look(new_page, page, f"proposal-offered-{locale[:2]}", locale)
    page.get_by_role("button", name="Accepter" if fr else "Accept", exact=True).click()
    expect(_link(page, "benefits:payments")).to_have_text(
        "Mes paiements de prestations" if fr else "My benefit payments"
    )
    expect(page.get_by_role("button", name="Accepter" if fr else "Accept", exact=True)).to_have_count(0)
    entitlement = Entitlement.objects.get()
    assert (entitlement.scheme, entitlement.amount, entitlement.start_on, entitlement.iban) == (
        "birth_grant",
        Decimal("1200.00"),
        datetime.date(2026, 11, 1),
        IBAN,
    )
    _look(new_page, page, f"proposal-accepted-{locale[:2]}", locale)

    # The family allowance: declined, with a reason.
    page.goto(reverse("benefits:proposals"))
    _link(page, "benefits:proposal", ana["allowance"]).click()
    expect(page.locator("h1")).to_have_text("Allocations familiales" if fr else "Family allowance")
    # Léo was born after the first day of the month: no negative age.
    expect(main).to_contain_text(
        "Né(e) au cours du mois, le 14 novembre 2026 ; l’allocation prend fin à 18 ans."
        if fr
        else "Born during the month, on 14 November 2026; the allowance ends at 18 years."
    )
    _look(new_page, page, f"proposal-allowance-{locale[:2]}", locale)
    page.get_by_label("Pourquoi (facultatif)" if fr else "Why (optional)").fill("Nous vivons à l’étranger.")
    page.get_by_role("button", name="Refuser" if fr else "Decline", exact=True).click()
    expect(page.get_by_role("button", name="Refuser" if fr else "Decline", exact=True)).to_have_count(0)
    expect(main).to_contain_text("“Nous vivons à l’étranger.”")
    allowance = Proposal.objects.get(pk=ana["allowance"])
    assert (allowance.status, allowance.note) == ("declined", "Nous vivons à l’étranger.")
    assert Entitlement.objects.count() == 1
    _look(new_page, page, f"proposal-declined-{locale[:2]}", locale)


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_a_supervisor_runs_the_birth_grant_rule_dry_and_reads_what_it_would_have_proposed(new_page, locale):
    fr = locale == "fr-FR"
    # Léo's birth, last month, is in the registry; the rule is off and has proposed nothing.
    parent_with_newborn(born=datetime.date(2026, 11, 14))
    # Created by a migration; made again where a test flushed the tables (the live server's).
    rule, _created = AttributionRule.objects.update_or_create(
        trigger="birth", scheme="birth_grant", defaults={"enabled": False, "auto_verify": False, "sample_share": 0}
    )
    supervisor = with_totp(UserFactory(is_staff=True))
    supervisor.groups.add(Group.objects.get(name="Supervisor"))
    page = new_page(locale=locale)
    _sign_in(page, supervisor.email, totp_secret=TOTP_SECRET)

    page.goto(reverse("admin:benefits_attributionrule_change", args=[rule.pk]))
    main = page.locator("#content-main")
    expect(main).to_contain_text(
        "faites-la tourner sur les événements du registre des 12 derniers mois sans rien écrire"
        if fr
        else "run it over the registry’s events of the last 12 months without writing anything"
    )
    look(page, f"dry-run-rule-{locale[:2]}")
    page.get_by_role("link", name="Essai à blanc" if fr else "Dry run", exact=True).click()

    expect(page).to_have_url(re.compile(re.escape(reverse("admin:benefits_attributionrule_dry_run", args=[rule.pk]))))
    expect(page.locator("h1")).to_have_text("Essai à blanc : Allocation de naissance" if fr else "Dry run: Birth grant")
    expect(main).to_contain_text(
        "Aucun essai à blanc de cette règle n’a encore été fait." if fr else "This rule has not been run dry yet."
    )
    look(page, f"dry-run-ask-{locale[:2]}")
    page.get_by_role("button", name="Lancer l’essai à blanc" if fr else "Run the dry run").click()
    expect(page.get_by_role("status")).to_contain_text(
        "un processus de traitement l’exécute" if fr else "a worker is running it"
    )
    look(page, f"dry-run-waiting-{locale[:2]}")
    # The worker's part (a real worker computes it in tests/benefits/test_dry_runs.py).
    assert services.attribution_dry_run_perform(run_id=AttributionDryRun.objects.get().pk, now=timezone.now())
    page.get_by_role(
        "link", name="Actualisez cette page pour lire son résultat." if fr else "Refresh this page to read its result."
    ).click()
    expect(main).to_contain_text(
        "Rien n’a été écrit. Le registre a enregistré 1 tel événement au cours des 12 derniers mois"
        if fr
        else "Nothing was written. The registry recorded 1 such event in the last 12 months"
    )
    # The table scrolls in its own region (named by its heading): a phone's screen does not.
    table = page.get_by_role("region", name="Ce que la règle proposerait" if fr else "What the rule would propose")
    table = table.locator("table#dry-run-table")
    expect(table.locator("thead th")).to_have_text(
        ["Prestation", "À partir du mois", "Propositions", "Montant au total"]
        if fr
        else ["Benefit", "From the month", "Proposals", "Amount in total"]
    )
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("th, td")).to_have_text(
        ["Allocation de naissance", "novembre 2026", "1", "1 200,00 €"]
        if fr
        else ["Birth grant", "November 2026", "1", "1,200.00 €"]
    )
    expect(rows.last.locator("th, td")).to_have_text(
        ["Total", "1", "1 200,00 €"] if fr else ["Total", "1", "1,200.00 €"]
    )
    runs = page.get_by_role("region", name="Essais à blanc demandés" if fr else "Dry runs asked").locator("tbody tr")
    expect(runs).to_have_count(1)
    expect(runs.first.locator("td")).to_have_text(
        [supervisor.email, "Terminé", "1", "1 200,00 €"] if fr else [supervisor.email, "Done", "1", "1,200.00 €"]
    )
    look(page, f"dry-run-result-{locale[:2]}")
    assert Proposal.objects.count() == 0
