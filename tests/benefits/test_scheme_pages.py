"""The schemes' public pages (who is entitled, the amounts in force for any month) and "am I
entitled?" answered from the person's own file, with the reasons; who may read it, and the reads
of others recorded in the person's trail."""

import datetime
import re

import pytest
from django.urls import reverse

from core.models import AccessRecord
from core.types import Scope
from identity.models import FamilyLink
from tests.benefits.career_helpers import career
from tests.helpers import act_for, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

# 5 December 2026, 11:00 in Brussels: the pages read the clock.
NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)


def _text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\N{NO-BREAK SPACE}", " ").split())


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_list_of_schemes_is_public_and_complete(client, language):
    page = client.get(reverse("benefits:schemes"), headers={"Accept-Language": language})
    assert page.status_code == 200
    for slug in (
        "old-age-pension",
        "survivor-pension",
        "disability-pension",
        "birth-grant",
        "family-allowance",
        "marriage-grant",
        "funeral-grant",
    ):
        assert reverse("benefits:scheme", args=[slug]) in page.content.decode()


def test_the_amounts_in_force_for_any_month(client):
    url = reverse("benefits:scheme", args=["family-allowance"])
    june = _text(client.get(url, {"month": "2026-06"}, headers={"Accept-Language": "en"}))
    july = _text(client.get(url, {"month": "2026-07"}, headers={"Accept-Language": "en"}))
    # Revalued by 2 % on 1 July 2026 (Decree of 9 June 2026): 110.00 → 112.20 for the first band.
    assert "The allowance is 110.00 € a month until the age of 6 years, then 130.00 € until the age of 12 years" in june
    assert "Allowance, first age band 110.00 € 1 January 2024 SIA art. 62" in june
    assert "The allowance is 112.20 € a month until the age of 6 years" in july
    assert "112.20 € 1 July 2026 Decree of 9 June 2026 revaluing family allowances, art. 1" in july
    assert "has not reached the age of 18 years" in july

    french = _text(client.get(url, {"month": "2026-07"}, headers={"Accept-Language": "fr"}))
    assert "112,20 €" in french and "1 juillet 2026" in french

    pension = reverse("benefits:scheme", args=["old-age-pension"])
    before = _text(client.get(pension, {"month": "2029-12"}, headers={"Accept-Language": "en"}))
    after = _text(client.get(pension, {"month": "2030-01"}, headers={"Accept-Language": "en"}))
    assert "the pension age, 65 years, on the first day of the month" in before
    assert "the pension age, 66 years, on the first day of the month" in after
    assert "Accrual rate per year of insurance 1.5 %" in after
    assert "Act of 4 June 2024 amending the SIA, art. 3" in after


@pytest.mark.time_machine(NOW, tick=False)
@pytest.mark.parametrize("typed", ["2026-13", "9999-01", "26-01", "1900-01", "<script>"])
def test_a_wrong_month_is_said_and_this_month_shown(client, typed):
    page = client.get(
        reverse("benefits:scheme", args=["birth-grant"]), {"month": typed}, headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    text = _text(page)
    assert "Enter a month as YYYY-MM" in text
    assert "In force in December 2026" in text
    assert "<script>" not in page.content.decode().split("<main", 1)[1].split("</main>")[0]


def test_a_scheme_that_does_not_exist_is_not_found(client):
    assert client.get("/benefits/housing-benefit/").status_code == 404


def test_a_month_before_the_scheme_existed(client):
    text = _text(client.get(reverse("benefits:scheme", args=["family-allowance"]), {"month": "2023-12"}))
    assert "did not exist yet" in text or "n’existait pas encore" in text or "n'existait pas encore" in text


@pytest.mark.time_machine(NOW, tick=False)
def test_an_anonymous_reader_is_asked_to_sign_in(client):
    text = _text(client.get(reverse("benefits:scheme", args=["old-age-pension"]), headers={"Accept-Language": "en"}))
    assert "Sign in: we answer from your own file" in text
    assert "Not entitled" not in text


@pytest.fixture
def worker():
    """Born on 15 February 1965, 312 months credited (January 2000 to December 2025)."""
    person = PersonFactory(first_name="Ana", birth_date=datetime.date(1965, 2, 15), country="BE")
    career(person, "2000-01", "2025-12", "2500.00")
    return person


@pytest.mark.time_machine(NOW, tick=False)
def test_am_i_entitled_to_the_old_age_pension(client, worker):
    sign_in(client, UserFactory(person=worker))
    text = _text(client.get(reverse("benefits:scheme", args=["old-age-pension"]), headers={"Accept-Language": "en"}))
    assert "Not entitled today" in text
    assert "Not met: Age on the first day of the month: 61 years; the pension age is 65 years." in text
    assert "Met: 312 months credited to the record; 180 months are required." in text
    # 66 from 1 January 2030: the 66th birthday is 15 February 2031, the pension starts in March.
    assert "The pension age is reached on 1 March 2031." in text
    assert not AccessRecord.objects.exists()  # one's own file: nobody else read it

    french = _text(client.get(reverse("benefits:scheme", args=["old-age-pension"]), headers={"Accept-Language": "fr"}))
    assert "312 mois" in french and "1 mars 2031" in french


@pytest.mark.time_machine(NOW, tick=False)
def test_a_birth_of_this_year_gives_the_birth_grant_and_the_allowance(client, worker):
    baby = PersonFactory(first_name="Léo", birth_date=datetime.date(2026, 11, 14), country="BE")
    FamilyLink.objects.create(person=worker, relative=baby, kind="parent_child", started_on=baby.birth_date)
    sign_in(client, UserFactory(person=worker))
    grant = _text(client.get(reverse("benefits:scheme", args=["birth-grant"]), headers={"Accept-Language": "en"}))
    assert "Léo, born on 14 November 2026 — Entitled: 1,200.00 €" in grant
    assert "Met: Born on 14 November 2026." in grant
    assert "Met: A parent has 312 months credited to their record; 6 months are required." in grant
    assert "Computed for November 2026." in grant

    allowance = _text(
        client.get(reverse("benefits:scheme", args=["family-allowance"]), headers={"Accept-Language": "en"})
    )
    assert "Léo, born on 14 November 2026 — Entitled: 112.20 € a month" in allowance
    assert "Met: Lives in the country." in allowance


@pytest.mark.time_machine(NOW, tick=False)
def test_no_recent_birth_is_said_plainly(client, worker):
    sign_in(client, UserFactory(person=worker))
    text = _text(client.get(reverse("benefits:scheme", args=["birth-grant"]), headers={"Accept-Language": "en"}))
    assert "Not entitled today" in text
    assert "No child born or adopted in the last twelve months is registered in the file." in text


@pytest.mark.time_machine(NOW, tick=False)
def test_a_widow_sees_the_survivors_pension_and_the_funeral_grant(client, worker):
    husband = PersonFactory(
        first_name="Paul", birth_date=datetime.date(1958, 5, 1), death_date=datetime.date(2026, 10, 3)
    )
    career(husband, "1990-01", "2023-04", "3000.00")
    FamilyLink.objects.create(
        person=husband,
        relative=worker,
        kind="marriage",
        started_on=datetime.date(1990, 6, 2),
        ended_on=husband.death_date,
    )
    sign_in(client, UserFactory(person=worker))
    survivor = _text(
        client.get(reverse("benefits:scheme", args=["survivor-pension"]), headers={"Accept-Language": "en"})
    )
    assert "Met: The husband, wife or partner died on 3 October 2026." in survivor
    assert "Met: Married or partners for 436 months at the death" in survivor
    assert "Entitled:" in survivor
    funeral = _text(client.get(reverse("benefits:scheme", args=["funeral-grant"]), headers={"Accept-Language": "en"}))
    assert "Paul" in funeral and "Entitled:" in funeral
    assert "Computed for October 2026." in funeral


@pytest.mark.time_machine(NOW, tick=False)
def test_a_proxy_reads_it_with_the_view_scope_only_and_the_read_is_recorded(client, worker):
    owner = UserFactory(person=worker)
    url = reverse("benefits:scheme", args=["old-age-pension"])
    for scopes, answered in (([Scope.VIEW_FILE], True), ([Scope.MANAGE_CLAIMS], False)):
        proxy, mandate_id = act_for(client, owner, scopes)
        text = _text(client.get(url, headers={"Accept-Language": "en"}))
        assert ("312 months credited" in text) is answered
        assert ("Your mandate does not allow viewing this file." in text) is not answered
        records = AccessRecord.objects.filter(actor_user=proxy, subject_person=worker, mandate_id=mandate_id)
        assert records.count() == (1 if answered else 0)
        if answered:
            assert records.get().detail == "benefit entitlement"
