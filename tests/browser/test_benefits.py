"""The benefits as people read them, without JavaScript, in French and in English: the list of
schemes, a scheme's page with "am I entitled?" for a mother of a newborn, a month asked for, and
the pension simulator with a wrong field then an estimate — axe and reflow at phone width."""

import datetime

import pytest
from playwright.sync_api import expect

from identity.models import FamilyLink
from tests.benefits.career_helpers import career
from tests.browser.conftest import PHONE_WIDTH, SHOTS, look
from tests.browser.test_journeys import _sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC))


@pytest.fixture
def family():
    mother = PersonFactory(first_name="Marie", last_name="Dubois", birth_date=datetime.date(1990, 7, 30), country="BE")
    career(mother, "2012-01", "2026-11", "3200.00")
    baby = PersonFactory(first_name="Léa", last_name="Dubois", birth_date=datetime.date(2026, 11, 14), country="BE")
    FamilyLink.objects.create(person=mother, relative=baby, kind="parent_child", started_on=baby.birth_date)
    return UserFactory(person=mother)


@pytest.mark.parametrize(("locale", "words"), [("fr-FR", "fr"), ("en-GB", "en")])
def test_schemes_entitlement_and_simulator_without_javascript(new_page, family, locale, words):
    french = words == "fr"
    page = new_page(java_script_enabled=False, locale=locale)
    checker = new_page(locale=locale)
    checker.goto("/")

    def look_at(name):
        checker.set_content(page.content())
        look(checker, f"benefits-{name}-{words}-checked")
        if SHOTS:  # the page as shown, its fonts loaded (the checker's copy has none)
            for width, suffix in ((1280, "desktop"), (PHONE_WIDTH, "phone")):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=f"{SHOTS}/benefits-{name}-{words}-{suffix}.png", full_page=True)

    page.goto("/benefits/")
    expect(page.locator("h1")).to_have_text(
        "Les prestations et qui y a droit" if french else "Benefits and who is entitled"
    )
    look_at("schemes")

    _sign_in(page, family.email)
    page.goto("/benefits/birth-grant/")
    main = page.locator("main")
    expect(main).to_contain_text("Léa, né(e) le 14 novembre 2026" if french else "Léa, born on 14 November 2026")
    expect(main).to_contain_text("1 200,00" if french else "1,200.00")
    look_at("birth-grant")

    page.goto("/benefits/family-allowance/")
    page.fill("#month", "2026-06")
    page.get_by_role("button", name="Afficher ce mois" if french else "Show this month").click()
    expect(page.locator("caption")).to_contain_text("juin 2026" if french else "June 2026")
    expect(main).to_contain_text("110,00" if french else "110.00")
    look_at("family-allowance-june")

    page.goto("/my-file/pension-estimate/")
    expect(page.locator("#id_retirement")).to_have_value("2056-08")  # 66 on 30 July 2056
    look_at("simulator")
    page.fill("#id_retirement", "2026-01")
    page.get_by_role("button", name="Estimer" if french else "Estimate").click()
    expect(page.locator("#id_retirement_error")).to_contain_text(
        "Choisissez ce mois-ci ou un mois ultérieur." if french else "Choose this month or a later one."
    )
    look_at("simulator-error")
    page.fill("#id_retirement", "2057-01")
    page.fill("#id_wage", "40000" if not french else "40000,00")
    page.get_by_role("button", name="Estimer" if french else "Estimate").click()
    expect(page.locator("h2").first).to_contain_text("1 janvier 2057" if french else "1 January 2057")
    expect(main).to_contain_text("Salaire annuel moyen, revalorisé" if french else "Average yearly wage, revalued")
    expect(page.locator("tbody tr")).to_have_count(25)
    look_at("simulator-estimate")


def test_a_supervisor_composes_a_benefit_in_the_back_office_and_a_citizen_reads_it(new_page):
    from django.contrib.auth.models import Group

    from tests.identity.factories import TOTP_SECRET, with_totp

    supervisor = with_totp(UserFactory(is_staff=True))
    supervisor.groups.add(Group.objects.get(name="Supervisor"))
    staff = new_page(locale="fr-FR")
    _sign_in(staff, supervisor.email, totp_secret=TOTP_SECRET)
    staff.goto("/admin/benefits/composedscheme/add/")
    look(staff, "admin-composed-scheme-add")
    for field, value in (
        ("slug", "energy-cheque"),
        ("title_fr", "Chèque énergie"),
        ("title_en", "Energy cheque"),
        ("summary_fr", "Une aide unique pour les factures d’énergie de l’hiver."),
        ("summary_en", "A one-off help with this winter's energy bills."),
        ("legal_basis", "Arrêté du 1er décembre 2026, art. 2"),
        ("valid_from", "01/12/2026"),
        ("child_under", "6"),
        ("flat_amount", "250.00"),
    ):
        staff.locator(f"#id_{field}").fill(value)
    staff.get_by_label("Vivre dans le pays").check()
    staff.get_by_label("un montant forfaitaire").check()
    staff.locator("#id_periodicity").select_option("once")
    staff.get_by_label("Publiée").check()
    staff.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(staff.locator(".messagelist")).to_contain_text("Chèque énergie")

    page = new_page(java_script_enabled=False, locale="fr-FR")
    page.goto("/benefits/energy-cheque/")
    main = page.locator("main")
    expect(main).to_contain_text("Parent d’un enfant de moins de 6\u00a0ans.")
    expect(main).to_contain_text("La prestation est de 250,00\u00a0€, versée une fois.")
    checker = new_page(locale="fr-FR")
    checker.goto("/")
    checker.set_content(page.content())
    look(checker, "benefits-composed-fr")
