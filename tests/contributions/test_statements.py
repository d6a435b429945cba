"""The citizen's contribution statement: a PDF of the record for all years or a range of years,
registered as a verifiable document whose SHA-256 the registry keeps and that the public page
then confirms with the masked name; years that make no statement are refused with nothing
registered; who may ask for it (the person, a proxy with the view scope, with the read
recorded).

Texts the app translates are compared with what the catalogues say (``_in``), so that the tests
hold whether or not the French catalogue has been compiled."""

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from contributions import services
from contributions.demo import demo_rates_seed
from contributions.documents import StatementContent, contribution_statement_pdf
from contributions.models import Employment
from contributions.record import ContributionRecord, RecordMonth, RecordYear
from contributions.statements import StatementRefused, contribution_statement_issue, statement_years
from identity.country_profiles import country_profile
from mandates import services as mandate_services
from portal.core.actor import ACTING_FOR_SESSION_KEY, LevelOfAssurance
from portal.core.models import AccessRecord, VerifiableDocument
from portal.core.types import Scope
from tests.contributions.test_record import _declare, _employer, _hire, _pay
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

# 10:00 in Brussels on 20 February 2027: every month up to January 2027 is past its due date.
ISSUED_AT = datetime.datetime(2027, 2, 20, 9, 0, tzinfo=datetime.UTC)
CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}(?:-[A-HJKMNP-Z2-9]{4}){5}")
URL = "/my-file/contributions/statement/"


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return str(translation.gettext(message))


def _text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def career(settings):
    """Marie Dupont worked at a bakery from January to March 2025 (the first two months paid,
    March declared and never paid), then at a garage since September 2026 (September paid,
    October declared and not paid, November to January not declared)."""
    settings.DECLARATION_DUE_DAY = 15
    settings.SITE_URL = "https://guichet.example"
    demo_rates_seed()
    person = PersonFactory(first_name="Marie", last_name="Dupont")
    owner = UserFactory(person=person)
    bakery, bakery_actor = _employer("Boulangerie")
    garage, garage_actor = _employer("Garage")
    _hire(bakery, bakery_actor, person, datetime.date(2025, 1, 1))
    services.employment_terminate(
        actor=bakery_actor,
        employment_id=Employment.objects.get(enterprise_id=bakery.pk, person_id=person.pk).pk,
        end_date=datetime.date(2025, 3, 31),
        now=datetime.datetime(2025, 3, 20, tzinfo=datetime.UTC),
    )
    _hire(garage, garage_actor, person, datetime.date(2026, 9, 1))
    january = _declare(bakery, bakery_actor, person, "2025-01", wage="2500.00")
    february = _declare(bakery, bakery_actor, person, "2025-02", wage="2500.00")
    _declare(bakery, bakery_actor, person, "2025-03", wage="3000.00")
    september = _declare(garage, garage_actor, person, "2026-09", wage="1234.56")
    _declare(garage, garage_actor, person, "2026-10", wage="2000.00")
    for enterprise, debit in ((bakery, january), (bakery, february), (garage, september)):
        _pay(enterprise, debit, str(debit.amount))
    return {"person": person, "owner": owner, "actor": citizen_actor(owner)}


@pytest.fixture
def frozen(monkeypatch):
    """The pages read the clock: it stands at ISSUED_AT."""
    monkeypatch.setattr(timezone, "now", lambda: ISSUED_AT)


def _issue(career, year_from, year_to, language="en", actor=None):
    return contribution_statement_issue(
        actor=actor or career["actor"],
        person_id=career["person"].pk,
        year_from=year_from,
        year_to=year_to,
        language=language,
        now=ISSUED_AT,
    )


# --- The document -----------------------------------------------------------------------------


def test_a_statement_of_a_range_lists_its_years_months_and_statuses_and_no_other_year(career):
    code, content = _issue(career, 2026, 2027)

    assert CODE.fullmatch(code)
    text = _text(content)
    number = country_profile().person_number.format(career["person"].national_number)
    for expected in [
        "Guichet Social security contributions declared by the employers Contribution statement",
        f"Name Marie Dupont National number {number} Years from 2026 to 2027 Issued on Feb. 20, 2027, 10 a.m.",
        "as Guichet's records stood on Feb. 20, 2027.",
        "Summary per year Year Months declared Months paid Months missing Gross wages (€) "
        "Employee contributions (€) 2026 2 1 2 3,234.56 366.15 2027 0 0 1 0.00 0.00 Total 2 1 3 3,234.56 366.15",
        # (The headers of the narrow columns wrap: their words come out of the PDF glued together.)
        "Months of 2026 Month Employer Gross wage (€) Days worked",
        "Status 2026-09 Garage 1,234.56 20 139.75 declared and paid "
        "2026-10 Garage 2,000.00 20 226.40 declared, not paid by the employer "
        "2026-11 Garage — — — worked, not declared by the employer "
        "2026-12 Garage — — — worked, not declared by the employer Months of 2027",
        "Status 2027-01 Garage — — — worked, not declared by the employer",
        "The months marked “worked, not declared by the employer” or “declared, not paid by the employer” "
        "are what the registers showed on the date of issue",
        f"by scanning the QR code. {code} Verification page: https://guichet.example/verify/",
        f"Guichet — Contribution statement — {code}",
    ]:
        assert expected in text, expected
    assert "2025" not in text
    assert "Boulangerie" not in text
    document = VerifiableDocument.objects.get()
    assert (
        document.kind,
        document.subject_type,
        document.subject_id,
        document.issued_by_id,
        document.issued_at,
        document.valid_until,
        document.holder_name_masked,
        document.code_prefix,
    ) == (
        "contribution_statement",
        "person",
        career["person"].pk,
        career["owner"].pk,
        ISSUED_AT,
        None,
        "M*** D***",
        code[:4],
    )
    assert document.content_sha256 == hashlib.sha256(content).hexdigest()


def test_the_statement_in_french_has_french_amounts_labels_and_title(career):
    with translation.override("en"):
        _code, content = _issue(career, 2025, 2026, language="fr")

    reader = pypdf.PdfReader(io.BytesIO(content))
    assert reader.metadata.title == _in("fr", "Contribution statement")
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"]) is True
    text = _text(content)
    paid, not_paid, not_declared = (
        _in("fr", label)
        for label in ("declared and paid", "declared, not paid by the employer", "worked, not declared by the employer")
    )
    for expected in [
        f"2025-01 Boulangerie 2 500,00 20 281,75 {paid}",
        f"2025-02 Boulangerie 2 500,00 20 281,75 {paid}",
        f"2025-03 Boulangerie 3 000,00 20 338,10 {not_paid}",
        f"2026-09 Garage 1 234,56 20 139,75 {paid}",
        f"2026-10 Garage 2 000,00 20 226,40 {not_paid}",
        f"2026-12 Garage — — — {not_declared}",
        "2025 3 2 0 8 000,00 901,60 2026 2 1 2 3 234,56 366,15",
        "20 février 2027",
    ]:
        assert expected in text, expected
    assert "2027-01" not in text
    assert _in("fr", "Months of %(year)s") % {"year": 2027} not in text


def test_without_years_the_statement_covers_the_whole_record_and_one_year_left_out_is_open(career):
    _code, everything = _issue(career, None, None)
    _code, from_2026 = _issue(career, 2026, None)
    _code, until_2025 = _issue(career, None, 2025)

    text = _text(everything)
    assert "Years from 2025 to 2027" in text
    assert all(f"Months of {year}" in text for year in (2025, 2026, 2027))
    assert "Total 5 3 3 11,234.56 1,267.75" in text
    assert "Years from 2026 to 2027" in _text(from_2026)
    assert "2025-" not in _text(from_2026)
    text = _text(until_2025)
    assert "Years 2025 " in text
    assert "2026-" not in text and "Total" not in text  # one year: its row is the total
    assert VerifiableDocument.objects.count() == 3


def test_the_public_page_confirms_the_statement_with_the_masked_name(career, client, frozen):
    code, _content = _issue(career, 2026, 2027)

    for language in ("en", "fr"):
        body = client.get(reverse("portal:verify"), {"code": code}, HTTP_ACCEPT_LANGUAGE=language).content.decode()

        assert _in(language, "Authentic document, valid today") in body
        assert f">{_in(language, 'Contribution statement')}</dd>" in body
        assert f">{_in(language, 'no end date')}</dd>" in body
        assert ">M*** D***</dd>" in body
        assert "Dupont" not in body


@pytest.mark.parametrize(
    ("year_from", "year_to", "code", "message"),
    [
        (
            2027,
            2026,
            "range_invalid",
            "The range of years is not valid: the first year cannot come after the last one.",
        ),
        (2024, 2026, "range_outside", "Choose years within your contribution record: from 2025 to 2027."),
        (2026, 2028, "range_outside", "Choose years within your contribution record: from 2025 to 2027."),
        (None, 2024, "range_outside", "Choose years within your contribution record: from 2025 to 2027."),
    ],
)
def test_years_that_make_no_statement_are_refused_and_nothing_is_registered(career, year_from, year_to, code, message):
    with pytest.raises(StatementRefused) as refused, translation.override("en"):
        _issue(career, year_from, year_to)

    with translation.override("en"):
        assert (refused.value.code, str(refused.value.message)) == (code, message)
    assert not VerifiableDocument.objects.exists()


def test_a_record_without_any_month_makes_no_statement(career):
    stranger = UserFactory(person=PersonFactory())

    with pytest.raises(StatementRefused) as refused:
        contribution_statement_issue(
            actor=citizen_actor(stranger),
            person_id=stranger.person.pk,
            year_from=None,
            year_to=None,
            language="en",
            now=ISSUED_AT,
        )

    assert refused.value.code == "no_months"
    assert not VerifiableDocument.objects.exists()


def test_a_range_between_two_periods_of_work_has_no_month_to_state():
    def year(value):
        return RecordYear(value, 12, 12, 0, Decimal("36000.00"), Decimal("4075.20"))

    record = ContributionRecord(months=[], years=[year(2023), year(2020)])

    assert statement_years(record=record, year_from=2021, year_to=2023) == (2021, 2023)
    assert statement_years(record=record, year_from=None, year_to=None) == (2020, 2023)
    with pytest.raises(StatementRefused) as refused:
        statement_years(record=record, year_from=2021, year_to=2022)
    assert refused.value.code == "no_months"


def test_someone_who_may_not_read_the_record_gets_no_statement(career):
    stranger = UserFactory(person=PersonFactory())
    for actor in (citizen_actor(stranger), citizen_actor(UserFactory())):
        with pytest.raises(services.NotFound):
            _issue(career, None, None, actor=actor)
    assert not VerifiableDocument.objects.exists()


def test_the_statement_runs_a_constant_number_of_queries_whatever_the_history(career):
    with CaptureQueriesContext(connection) as short:
        _issue(career, None, None)
    atelier, atelier_actor = _employer("Atelier")
    _hire(atelier, atelier_actor, career["person"], datetime.date(2026, 1, 1))
    for month in range(1, 8):
        _declare(atelier, atelier_actor, career["person"], f"2026-{month:02d}")
    with CaptureQueriesContext(connection) as long:
        _code, content = _issue(career, None, None)

    assert "2026-07 Atelier 3,000.00 20 339.60" in _text(content)
    assert len(long) == len(short)


def test_forty_years_render_without_a_query(django_assert_num_queries):
    """480 months: every cell formatted once, the template only places them."""
    months = tuple(
        RecordMonth(f"{year}-{month:02d}", 1, "Boulangerie", Decimal("3000.00"), 20, Decimal("339.60"), "paid")
        for year in range(1987, 2027)
        for month in range(1, 13)
    )
    years = tuple(RecordYear(year, 12, 12, 0, Decimal("36000.00"), Decimal("4075.20")) for year in range(1987, 2027))
    statement = StatementContent(
        person_name="Marie Dupont",
        national_number_display="85.07.30-033.28",
        issued_at=ISSUED_AT,
        year_from=1987,
        year_to=2026,
        years=years,
        months=months,
        code="ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2",
        verification_page="https://guichet.example/verify/",
        verification_url="https://guichet.example/verify/?code=ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2",
    )

    with django_assert_num_queries(0):
        pdf = contribution_statement_pdf(statement=statement, language="en")

    text = _text(pdf.content)
    assert "1987-01 Boulangerie 3,000.00 20 339.60 declared and paid 1987-02 Boulangerie" in text
    assert "2026-12 Boulangerie 3,000.00 20 339.60 declared and paid" in text
    assert "Total 480 480 0 1,440,000.00 163,008.00" in text
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    assert len(pages) > 15
    assert all("Contribution statement — ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2" in page.extract_text() for page in pages)
    assert pdf.filename == "statement-ABCD.pdf"


# --- The page ---------------------------------------------------------------------------------


def test_the_page_offers_the_years_of_the_record_and_issues_the_pdf(career, client, frozen):
    sign_in(client, career["owner"])
    assert reverse("contributions:statement") == URL

    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    body = page.content.decode()
    assert (
        '<select class="usa-select" id="statement-from" name="year_from"><option value="2025" selected>2025</option>'
        '<option value="2026">2026</option><option value="2027">2027</option></select>'
    ) in body
    assert (
        '<select class="usa-select" id="statement-to" name="year_to"><option value="2025">2025</option>'
        '<option value="2026">2026</option><option value="2027" selected>2027</option></select>'
    ) in body

    response = client.post(URL, {"year_from": "2026", "year_to": "2026"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    document = VerifiableDocument.objects.get()
    assert response["Content-Disposition"] == f'attachment; filename="statement-{document.code_prefix}.pdf"'
    assert document.content_sha256 == hashlib.sha256(response.content).hexdigest()
    text = _text(response.content)
    assert "Years 2026 " in text and "2026-10 Garage 2,000.00" in text
    assert "2025-" not in text and "2027-" not in text
    [code] = set(CODE.findall(text))  # in the verification section, and at the foot of each page
    assert code.startswith(document.code_prefix)
    verified = client.get(reverse("portal:verify"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Authentic document, valid today" in verified
    assert ">M*** D***</dd>" in verified
    assert not AccessRecord.objects.exists()  # the person reads their own record


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        (
            {"year_from": "2027", "year_to": "2025"},
            "The range of years is not valid: the first year cannot come after the last one.",
        ),
        ({"year_from": "2020", "year_to": "2025"}, "Choose years within your contribution record: from 2025 to 2027."),
        (
            {"year_from": "deux mille", "year_to": "2025"},
            "The range of years is not valid: the first year cannot come after the last one.",
        ),
    ],
)
def test_years_that_make_no_statement_show_the_form_again_with_the_message(career, client, frozen, posted, message):
    sign_in(client, career["owner"])

    response = client.post(URL, posted, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert f'<span class="usa-error-message" id="statement-error" role="alert">{message}</span>' in body
    assert 'aria-describedby="statement-error"' in body
    assert not VerifiableDocument.objects.exists()


def _proxy(client, owner, scopes):
    """A proxy of ``owner`` signed in on ``client`` and acting on the owner's file."""
    proxy = UserFactory(person=PersonFactory(last_name="Proxy"))
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(owner, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=proxy.person.national_number,
        proxy_last_name="Proxy",
        scopes=scopes,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
        now=timezone.now(),
    )
    mandate_services.mandate_accept(actor=citizen_actor(proxy), mandate_id=mandate_id, now=timezone.now())
    sign_in(client, proxy)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = mandate_id
    session.save()
    return proxy, mandate_id


def test_a_proxy_with_the_view_scope_issues_the_statement_and_the_read_is_recorded(career, client, frozen):
    proxy, mandate_id = _proxy(client, career["owner"], [Scope.VIEW_FILE])

    response = client.post(URL, {"year_from": "2025", "year_to": "2027"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Marie Dupont" in _text(response.content)
    document = VerifiableDocument.objects.get()
    assert (document.subject_id, document.issued_by_id) == (career["person"].pk, proxy.pk)
    [access] = AccessRecord.objects.filter(subject_person=career["person"])
    assert (access.actor_user_id, access.mandate_id) == (proxy.pk, mandate_id)


def test_a_proxy_without_the_view_scope_gets_404_and_nothing_is_issued_or_recorded(career, client, frozen):
    _proxy(client, career["owner"], [Scope.MANAGE_CLAIMS])

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"year_from": "2025", "year_to": "2027"}).status_code == 404
    assert client.post(URL, {"year_from": "2027", "year_to": "2025"}).status_code == 404
    assert not VerifiableDocument.objects.exists()
    assert not AccessRecord.objects.filter(subject_person=career["person"]).exists()


def test_anonymous_is_sent_to_sign_in(career, client, frozen):
    for response in (client.get(URL), client.post(URL, {"year_from": "2025", "year_to": "2027"})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={URL}"
    assert not VerifiableDocument.objects.exists()


def test_another_citizen_only_ever_reaches_their_own_empty_record(career, client, frozen):
    sign_in(client, UserFactory(person=PersonFactory()))

    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "No employer has declared you yet." in page.content.decode()
    assert "<select" not in page.content.decode()
    response = client.post(URL, {"year_from": "2025", "year_to": "2027"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Your contribution record has no month in the years chosen" in response.content.decode()
    assert not VerifiableDocument.objects.exists()


def test_an_account_not_linked_to_a_file_is_sent_to_link_it(client):
    sign_in(client, UserFactory())
    assert client.get(URL)["Location"] == reverse("identity:link_person")


def test_a_holder_gets_a_limited_number_of_statements_a_day(career, settings):
    from portal.core.documents import DocumentLimitReached

    settings.DOCUMENTS_PER_HOLDER_PER_DAY = 2
    _issue(career, None, None)
    _issue(career, None, None)
    with pytest.raises(DocumentLimitReached):
        _issue(career, None, None)
    assert VerifiableDocument.objects.count() == 2
