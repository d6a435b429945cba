"""The citizen's contribution statement: a PDF of the record for all years or a range of years,
registered as a verifiable document whose SHA-256 the registry keeps and that the public page
then confirms with the masked name; asked for on a page that answers at once (the years checked,
the request stored with who asked and for whom), rendered by a worker, downloaded from its page;
years that make no statement are refused with nothing stored; who may ask for it and download
it (the person, a proxy with the view scope, staff at the counter, with the reads recorded).

Texts the app translates are compared with what the catalogues say (``in_language``), so that
the tests hold whether or not the French catalogue has been compiled."""

import datetime
import hashlib
import io
import uuid
from decimal import Decimal

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from contributions import statements
from contributions.documents import StatementContent, contribution_statement_pdf
from contributions.models import StatementRequest
from contributions.services import NotFound
from contributions.statements import StatementRefused, statement_years
from contributions.types import ContributionRecord, RecordMonth, RecordYear
from core.actor import ActingMode, Actor, LevelOfAssurance
from core.documents import DocumentLimitReached
from core.models import AccessRecord, VerifiableDocument
from core.types import Scope
from identity.country_profiles import country_profile
from mandates import services as mandate_services
from notifications.models import Notification
from tests.contributions.statement_helpers import (
    CODE,
    ISSUED_AT,
    RENDERED_AT,
    URL,
    ask,
    career_build,
    in_language,
    issue,
    pdf_text,
    proxy_for,
    render,
)
from tests.contributions.test_record import _declare, _employer, _hire
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db


@pytest.fixture
def career(settings):
    return career_build(settings)


@pytest.fixture
def frozen(monkeypatch):
    """The pages read the clock: it stands at RENDERED_AT, when the worker renders what is asked."""
    monkeypatch.setattr(timezone, "now", lambda: RENDERED_AT)


def _nothing_stored():
    assert not StatementRequest.objects.exists()
    assert not VerifiableDocument.objects.exists()


# --- The document -----------------------------------------------------------------------------


def test_a_statement_of_a_range_lists_its_years_months_and_statuses_and_no_other_year(career):
    code, content = issue(career, 2026, 2027)

    assert CODE.fullmatch(code)
    text = pdf_text(content)
    number = country_profile().person_number.format(career["person"].national_number)
    for expected in [
        "Guichet Social security contributions declared by the employers Contribution statement",
        f"Name Marie Dupont National number {number} Years from 2026 to 2027 Issued on 20 February 2027, 10:00",
        "as Guichet's records stood on 20 February 2027.",
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
        RENDERED_AT,
        None,
        "M*** D***",
        code[:4],
    )
    assert document.content_sha256 == hashlib.sha256(content).hexdigest()
    statement = StatementRequest.objects.get()
    assert (statement.document_id, statement.size, statement.finished_at) == (document.pk, len(content), RENDERED_AT)


def test_the_statement_in_french_has_french_amounts_labels_and_title(career):
    with translation.override("en"):
        _code, content = issue(career, 2025, 2026, language="fr")

    reader = pypdf.PdfReader(io.BytesIO(content))
    assert reader.metadata.title == in_language("fr", "Contribution statement")
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"]) is True
    text = pdf_text(content)
    paid, not_paid, not_declared = (
        in_language("fr", label)
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
    assert in_language("fr", "Months of %(year)s") % {"year": 2027} not in text


def test_without_years_the_statement_covers_the_whole_record_and_one_year_left_out_is_open(career):
    _code, everything = issue(career, None, None)
    _code, from_2026 = issue(career, 2026, None)
    _code, until_2025 = issue(career, None, 2025)

    text = pdf_text(everything)
    assert "Years from 2025 to 2027" in text
    assert all(f"Months of {year}" in text for year in (2025, 2026, 2027))
    assert "Total 5 3 3 11,234.56 1,267.75" in text
    assert "Years from 2026 to 2027" in pdf_text(from_2026)
    assert "2025-" not in pdf_text(from_2026)
    text = pdf_text(until_2025)
    assert "Years 2025 " in text
    assert "2026-" not in text and "Total" not in text  # one year: its row is the total
    assert VerifiableDocument.objects.count() == 3
    assert sorted(StatementRequest.objects.values_list("year_from", "year_to", "status")) == [
        (2025, 2025, "ready"),
        (2025, 2027, "ready"),
        (2026, 2027, "ready"),
    ]


def test_the_public_page_confirms_the_statement_with_the_masked_name(career, client, frozen):
    code, _content = issue(career, 2026, 2027)

    for language in ("en", "fr"):
        body = client.get(reverse("portal:verify"), {"code": code}, HTTP_ACCEPT_LANGUAGE=language).content.decode()

        assert in_language(language, "Authentic document, valid today") in body
        assert f">{in_language(language, 'Contribution statement')}</dd>" in body
        assert f">{in_language(language, 'no end date')}</dd>" in body
        assert ">M*** D***</dd>" in body
        assert "Dupont" not in body


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

    text = pdf_text(pdf.content)
    assert "1987-01 Boulangerie 3,000.00 20 339.60 declared and paid 1987-02 Boulangerie" in text
    assert "2026-12 Boulangerie 3,000.00 20 339.60 declared and paid" in text
    assert "Total 480 480 0 1,440,000.00 163,008.00" in text
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    assert len(pages) > 15
    assert all("Contribution statement — ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2" in page.extract_text() for page in pages)
    assert pdf.filename == "contribution-statement-ABCD.pdf"


# --- Asking: the years, who asks, once -------------------------------------------------------


def test_asking_stores_who_asked_for_whom_and_which_years_and_renders_nothing_yet(career):
    asked = ask(career, 2026, None, language="fr")

    assert asked.created is True
    statement = StatementRequest.objects.get()
    assert (
        statement.pk,
        statement.person_id,
        statement.requested_by_id,
        statement.acting_mode,
        statement.mandate_id,
        statement.year_from,
        statement.year_to,
        statement.language,
        statement.status,
        statement.requested_at,
        statement.queued_at,
        statement.attempts,
        statement.document_id,
        statement.content,
    ) == (
        asked.statement_id,
        career["person"].pk,
        career["owner"].pk,
        "self",
        None,
        2026,
        2027,
        "fr",
        "pending",
        ISSUED_AT,
        ISSUED_AT,
        0,
        None,
        None,
    )
    assert not VerifiableDocument.objects.exists()
    assert not AccessRecord.objects.exists()  # the person reads their own record


def test_the_rendering_is_queued_on_the_documents_queue_once_the_request_is_committed(
    career, monkeypatch, django_capture_on_commit_callbacks
):
    from core import tasks
    from portal.celery import app

    sent = []
    monkeypatch.setattr(tasks.current_app, "send_task", lambda name, kwargs: sent.append((name, kwargs)))
    with django_capture_on_commit_callbacks() as callbacks:
        asked = ask(career, None, None)
        assert sent == []  # nothing is queued before the commit

    assert len(callbacks) == 1
    callbacks[0]()
    assert sent == [("contributions.statement_render", {"statement_id": asked.statement_id})]
    assert app.amqp.router.route({}, "contributions.statement_render", (), {})["queue"].name == "documents"


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
def test_years_that_make_no_statement_are_refused_and_nothing_is_stored(career, year_from, year_to, code, message):
    with pytest.raises(StatementRefused) as refused, translation.override("en"):
        ask(career, year_from, year_to)

    with translation.override("en"):
        assert (refused.value.code, str(refused.value.message)) == (code, message)
    _nothing_stored()


def test_a_record_without_any_month_makes_no_statement(career):
    stranger = UserFactory(person=PersonFactory())

    with pytest.raises(StatementRefused) as refused:
        statements.statement_ask(
            actor=citizen_actor(stranger),
            person_id=stranger.person.pk,
            year_from=None,
            year_to=None,
            language="en",
            intent=uuid.uuid4(),
            now=ISSUED_AT,
        )

    assert refused.value.code == "no_months"
    _nothing_stored()


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
    employer_user = career["garage_actor"]
    for actor in (citizen_actor(stranger), citizen_actor(UserFactory()), employer_user):
        with pytest.raises(NotFound):
            ask(career, None, None, actor=actor)
    _nothing_stored()
    assert not AccessRecord.objects.exists()


def test_the_same_form_sent_twice_asks_once(career):
    intent = uuid.uuid4()
    first = ask(career, 2025, 2026, intent=intent)
    render(first.statement_id)  # even once it is ready

    again = ask(career, 2025, 2026, intent=intent, now=ISSUED_AT + datetime.timedelta(seconds=5))

    assert (again.statement_id, again.created) == (first.statement_id, False)
    assert StatementRequest.objects.count() == 1
    assert VerifiableDocument.objects.count() == 1


def test_the_same_years_asked_while_being_prepared_get_the_statement_being_prepared(career):
    first = ask(career, 2025, 2026)
    proxy = UserFactory(person=PersonFactory(last_name="Proxy"))
    proxy_actor = Actor(
        user_id=proxy.pk,
        level_of_assurance=LevelOfAssurance.LOW,
        mode=ActingMode.PROXY,
        person_id=proxy.person_id,
        subject_person_id=career["person"].pk,
        mandate_id=4242,
        scopes=frozenset({Scope.VIEW_FILE}),
    )

    by_the_person = ask(career, 2025, 2026)
    by_a_proxy = ask(career, 2025, 2026, actor=proxy_actor)
    in_french = ask(career, 2025, 2026, language="fr")
    other_years = ask(career, 2026, 2026)

    assert [(a.statement_id == first.statement_id, a.created) for a in (by_the_person, by_a_proxy)] == [
        (True, False),
        (True, False),
    ]
    assert in_french.created and other_years.created
    assert StatementRequest.objects.count() == 3
    render(first.statement_id)
    assert ask(career, 2025, 2026).created is True  # once ready, a new ask is a new statement


def test_a_form_of_another_file_sent_again_is_refused_as_expired(career):
    intent = uuid.uuid4()
    ask(career, None, None, intent=intent)
    principal = PersonFactory()
    atelier, atelier_actor = _employer("Atelier")
    _hire(atelier, atelier_actor, principal, datetime.date(2026, 1, 1))
    _declare(atelier, atelier_actor, principal, "2026-01")
    # Marie, now acting for someone who mandated her, sends the form of her own file again.
    in_another_file = Actor(
        user_id=career["owner"].pk,
        level_of_assurance=LevelOfAssurance.LOW,
        mode=ActingMode.PROXY,
        person_id=career["person"].pk,
        subject_person_id=principal.pk,
        mandate_id=1,
        scopes=frozenset({Scope.VIEW_FILE}),
    )

    with pytest.raises(StatementRefused) as refused:
        statements.statement_ask(
            actor=in_another_file,
            person_id=principal.pk,
            year_from=None,
            year_to=None,
            language="en",
            intent=intent,
            now=ISSUED_AT,
        )

    assert refused.value.code == "form_expired"
    assert list(StatementRequest.objects.values_list("person_id", flat=True)) == [career["person"].pk]


def test_a_holder_gets_a_limited_number_of_statements_a_day(career, settings):
    settings.DOCUMENTS_PER_HOLDER_PER_DAY = 2
    render(ask(career, None, None).statement_id)
    ask(career, 2026, None)  # still being prepared: it counts

    with pytest.raises(DocumentLimitReached):
        ask(career, 2025, None)

    assert StatementRequest.objects.count() == 2
    assert VerifiableDocument.objects.count() == 1
    render(StatementRequest.objects.get(status="pending").pk)
    with pytest.raises(DocumentLimitReached):
        ask(career, 2025, None)
    assert (StatementRequest.objects.count(), VerifiableDocument.objects.count()) == (2, 2)
    tomorrow = ISSUED_AT + datetime.timedelta(days=1)
    assert ask(career, 2025, None, now=tomorrow).created is True


def test_asking_and_rendering_run_a_constant_number_of_queries_whatever_the_history(career):
    with CaptureQueriesContext(connection) as short_ask:
        asked = ask(career, None, None)
    with CaptureQueriesContext(connection) as short_render:
        render(asked.statement_id)
    atelier, atelier_actor = _employer("Atelier")
    _hire(atelier, atelier_actor, career["person"], datetime.date(2026, 1, 1))
    for month in range(1, 8):
        _declare(atelier, atelier_actor, career["person"], f"2026-{month:02d}")
    with CaptureQueriesContext(connection) as long_ask:
        asked = ask(career, None, None)
    with CaptureQueriesContext(connection) as long_render:
        statement = render(asked.statement_id)

    assert "2026-07 Atelier 3,000.00 20 339.60" in pdf_text(bytes(statement.content))
    assert len(long_ask) == len(short_ask)
    assert len(long_render) == len(short_render)


# --- The pages --------------------------------------------------------------------------------


def _intent(page) -> str:
    return str(page.context["intent"])


def test_the_page_offers_the_years_of_the_record_and_asking_answers_at_once_with_the_statements_page(
    career, client, frozen
):
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
    assert f'<input type="hidden" name="intent" value="{_intent(page)}">' in body

    response = client.post(
        URL, {"year_from": "2026", "year_to": "2026", "intent": _intent(page)}, HTTP_ACCEPT_LANGUAGE="en"
    )

    statement = StatementRequest.objects.get()
    detail = f"/my-file/contributions/statements/{statement.pk}/"
    assert (response.status_code, response["Location"]) == (302, detail)
    assert (statement.year_from, statement.year_to, statement.language, statement.status) == (
        2026,
        2026,
        "en",
        "pending",
    )
    assert not VerifiableDocument.objects.exists()  # the worker renders it

    pending = client.get(detail, HTTP_ACCEPT_LANGUAGE="en")
    assert pending.status_code == 200
    assert "no-store" in pending["Cache-Control"]
    body = pending.content.decode()
    assert '<span data-field="status_label">being prepared</span>' in body
    assert f'<a href="{detail}">Refresh to see whether it is ready</a>' in body
    assert "guichet/js/progress.js" in body
    assert "<dt>Years</dt><dd>2026</dd>" in body
    assert "<dt>Asked by</dt><dd>you</dd>" in body
    assert client.get(f"{detail}status/", HTTP_ACCEPT_LANGUAGE="en").json() == {
        "status": "pending",
        "status_label": "being prepared",
        "finished": False,
    }
    assert client.get(f"{detail}statement.pdf").status_code == 404  # not ready yet

    render(statement.pk)

    assert client.get(f"{detail}status/", HTTP_ACCEPT_LANGUAGE="en").json() == {
        "status": "ready",
        "status_label": "ready",
        "finished": True,
    }
    ready = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    document = VerifiableDocument.objects.get()
    size = StatementRequest.objects.get().size
    assert "Your statement is ready." in ready
    assert f'<a class="usa-button" href="{detail}statement.pdf" download>Download the statement (PDF, ' in ready
    assert (
        f"Its verification code begins with {document.code_prefix}. Guichet keeps the file until 22 March 2027" in ready
    )
    assert "guichet/js/progress.js" not in ready and "Refresh to see" not in ready
    download = client.get(f"{detail}statement.pdf")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert "no-store" in download["Cache-Control"]
    assert download["Content-Disposition"] == f'attachment; filename="releve-cotisations-{document.code_prefix}.pdf"'
    assert len(download.content) == size
    assert document.content_sha256 == hashlib.sha256(download.content).hexdigest()
    text = pdf_text(download.content)
    assert "Years 2026 " in text and "2026-10 Garage 2,000.00" in text
    assert "2025-" not in text and "2027-" not in text
    [code] = set(CODE.findall(text))
    assert code.startswith(document.code_prefix)
    verified = client.get(reverse("portal:verify"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Authentic document, valid today" in verified
    assert ">M*** D***</dd>" in verified
    assert not AccessRecord.objects.exists()  # the person reads their own record


def test_the_status_answers_json_for_the_pages_script(career, client, frozen):
    sign_in(client, career["owner"])
    statement_id = ask(career, None, None).statement_id

    response = client.get(f"/my-file/contributions/statements/{statement_id}/status/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "status": "pending",
        "status_label": in_language("fr", "being prepared"),
        "finished": False,
    }


def test_the_same_form_sent_twice_from_the_page_makes_one_statement(career, client, frozen):
    sign_in(client, career["owner"])
    intent = _intent(client.get(URL))
    posted = {"year_from": "2025", "year_to": "2027", "intent": intent}

    first = client.post(URL, posted, HTTP_ACCEPT_LANGUAGE="en")
    second = client.post(URL, posted, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    statement = StatementRequest.objects.get()
    assert first["Location"] == second.redirect_chain[0][0] == f"/my-file/contributions/statements/{statement.pk}/"
    assert "This statement was already asked for: here it is." in second.content.decode()


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
        ({"year_from": "2025", "year_to": "2026", "intent": ""}, "The form has expired: try again."),
        ({"year_from": "2025", "year_to": "2026", "intent": "not-a-token"}, "The form has expired: try again."),
    ],
)
def test_years_that_make_no_statement_show_the_form_again_with_the_message(career, client, frozen, posted, message):
    sign_in(client, career["owner"])

    response = client.post(URL, {"intent": str(uuid.uuid4()), **posted}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert f'<span class="usa-error-message" id="statement-error" role="alert">{message}</span>' in body
    assert 'aria-describedby="statement-error"' in body
    _nothing_stored()


def test_past_the_days_limit_the_page_says_so_and_stores_nothing_more(career, client, frozen, settings):
    settings.DOCUMENTS_PER_HOLDER_PER_DAY = 1
    ask(career, None, None)
    sign_in(client, career["owner"])

    response = client.post(
        URL, {"year_from": "2025", "year_to": "2025", "intent": str(uuid.uuid4())}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 429
    assert (
        "The limit of documents of this kind issued today is reached. Use one already issued (it stays valid), "
        "or try again tomorrow."
    ) in response.content.decode()
    assert StatementRequest.objects.count() == 1
    assert not VerifiableDocument.objects.exists()


def test_the_page_lists_the_recent_statements_in_a_constant_number_of_queries(career, client, frozen):
    sign_in(client, career["owner"])
    render(ask(career, 2025, 2025).statement_id)
    client.get(URL)  # the record is cached on the first page
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for years in ((2026, 2026), (2027, 2027), (2025, 2027)):
        ask(career, *years)
    render(ask(career, 2026, 2027).statement_id)

    with CaptureQueriesContext(connection) as five:
        page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert len(five) == len(one)
    body = page.content.decode()
    rows = [row for row in page.context["statements"]]
    assert [(row.year_from, row.year_to, row.status) for row in rows] == [
        (2026, 2027, "ready"),
        (2025, 2027, "pending"),
        (2027, 2027, "pending"),
        (2026, 2026, "pending"),
        (2025, 2025, "ready"),
    ]
    assert body.count('>Download<span class="usa-sr-only">') == 2
    assert body.count('>See<span class="usa-sr-only">') == 3
    assert f'href="/my-file/contributions/statements/{rows[0].id}/statement.pdf" download>' in body
    assert (
        '<td data-label="Years">2026 to 2027</td><td data-label="Language">English</td>'
        '<td data-label="Status">ready</td>'
    ) in body


# --- Who may ask, see and download ------------------------------------------------------------


def _detail(statement_id: int) -> str:
    return f"/my-file/contributions/statements/{statement_id}/"


def _urls(statement_id: int) -> list[str]:
    return [_detail(statement_id), f"{_detail(statement_id)}status/", f"{_detail(statement_id)}statement.pdf"]


@pytest.fixture
def ready(career):
    """A ready statement of Marie's record."""
    return render(ask(career, 2025, 2027).statement_id)


def test_anonymous_is_sent_to_sign_in(career, client, frozen, ready):
    for url in [URL, *_urls(ready.pk)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    response = client.post(URL, {"year_from": "2025", "year_to": "2027", "intent": str(uuid.uuid4())})
    assert response["Location"] == f"{reverse('account_login')}?next={URL}"
    assert StatementRequest.objects.count() == 1
    assert not AccessRecord.objects.exists()


def test_a_proxy_with_the_view_scope_asks_sees_and_downloads_and_each_read_is_recorded(career, client, frozen, ready):
    proxy, mandate_id = proxy_for(client, career["owner"], [Scope.VIEW_FILE])
    page = client.get(URL)
    AccessRecord.objects.all().delete()  # (the page shows the record: its own read, tested elsewhere)

    response = client.post(URL, {"year_from": "2026", "year_to": "2027", "intent": _intent(page)})

    statement = StatementRequest.objects.get(year_from=2026)
    assert response["Location"] == _detail(statement.pk)
    assert (statement.requested_by_id, statement.person_id, statement.acting_mode, statement.mandate_id) == (
        proxy.pk,
        career["person"].pk,
        "proxy",
        mandate_id,
    )
    [asked] = AccessRecord.objects.all()
    assert (asked.actor_user_id, asked.subject_person_id, asked.mandate_id, asked.detail) == (
        proxy.pk,
        career["person"].pk,
        mandate_id,
        "contribution record",
    )
    statement = render(statement.pk)
    detail = client.get(_detail(statement.pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<dt>Asked by</dt><dd>you</dd>" in detail
    assert (
        "<dt>Asked by</dt><dd>Marie Dupont</dd>"
        in client.get(_detail(ready.pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )

    download = client.get(f"{_detail(statement.pk)}statement.pdf")

    assert download.status_code == 200
    assert "Marie Dupont" in pdf_text(download.content)
    document = VerifiableDocument.objects.get(pk=statement.document_id)
    assert (document.subject_id, document.issued_by_id) == (career["person"].pk, proxy.pk)
    assert list(
        AccessRecord.objects.filter(detail="contribution statement").values_list(
            "actor_user_id", "subject_person_id", "purpose", "mandate_id"
        )
    ) == [(proxy.pk, career["person"].pk, "proxy_file_view", mandate_id)]


def test_a_proxy_without_the_view_scope_gets_404_and_nothing_is_stored_or_recorded(career, client, frozen, ready):
    _proxy_user, _mandate_id = proxy_for(client, career["owner"], [Scope.MANAGE_CLAIMS])

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"year_from": "2025", "year_to": "2027", "intent": str(uuid.uuid4())}).status_code == 404
    assert client.post(URL, {"year_from": "2027", "year_to": "2025"}).status_code == 404
    assert client.post(URL, {"year_from": "2025", "year_to": "2027"}).status_code == 404
    for url in _urls(ready.pk):
        assert client.get(url).status_code == 404
    assert StatementRequest.objects.count() == 1
    assert VerifiableDocument.objects.count() == 1
    assert not AccessRecord.objects.exists()


def test_a_revoked_mandate_stops_the_download_at_once(career, client, frozen, ready):
    _proxy_user, mandate_id = proxy_for(client, career["owner"], [Scope.VIEW_FILE])
    assert client.get(f"{_detail(ready.pk)}statement.pdf").status_code == 200
    AccessRecord.objects.all().delete()

    mandate_services.mandate_revoke(actor=career["actor"], mandate_id=mandate_id, now=ISSUED_AT)

    for url in _urls(ready.pk):
        assert client.get(url).status_code == 404
    assert not AccessRecord.objects.exists()


def test_an_expired_mandate_gets_404(career, client, frozen, ready, monkeypatch):
    proxy_for(client, career["owner"], [Scope.VIEW_FILE])  # 30 days from ISSUED_AT

    monkeypatch.setattr(timezone, "now", lambda: RENDERED_AT + datetime.timedelta(days=45))

    for url in _urls(ready.pk):
        assert client.get(url).status_code == 404
    assert not AccessRecord.objects.exists()


def test_another_citizen_and_an_employer_user_only_ever_reach_their_own_file(career, client, frozen, ready):
    stranger = UserFactory(person=PersonFactory())
    sign_in(client, stranger)

    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "No employer has declared you yet." in page.content.decode()
    assert "<select" not in page.content.decode()
    assert "Statements asked for recently" not in page.content.decode()
    response = client.post(URL, {"year_from": "2025", "year_to": "2027", "intent": str(uuid.uuid4())})
    assert response.status_code == 400
    for url in _urls(ready.pk):
        assert client.get(url).status_code == 404

    employer = UserFactory(person=PersonFactory())
    representation(employer, career["garage"], "declarant")
    sign_in(client, employer)
    for url in _urls(ready.pk):
        assert client.get(url).status_code == 404
    assert StatementRequest.objects.count() == 1
    assert not AccessRecord.objects.exists()


def test_staff_at_the_counter_ask_and_download_with_the_reason_recorded(career, client, frozen, ready):
    from tests.portal.test_assisted import _counter_staff, _open

    staff = _counter_staff(first_name="Camille", last_name="Leroy")
    sign_in(client, staff, mfa=True)
    _open(client, career["person"], reason="asks for a statement for the bank")
    AccessRecord.objects.all().delete()

    response = client.post(URL, {"year_from": "2026", "year_to": "2027", "intent": str(uuid.uuid4())})

    statement = StatementRequest.objects.get(year_from=2026)
    assert response["Location"] == _detail(statement.pk)
    assert (statement.requested_by_id, statement.acting_mode, statement.mandate_id) == (staff.pk, "assisted", None)
    render(statement.pk)
    AccessRecord.objects.all().delete()
    assert client.get(f"{_detail(statement.pk)}statement.pdf").status_code == 200
    assert list(AccessRecord.objects.values_list("actor_user_id", "subject_person_id", "purpose", "detail")) == [
        (staff.pk, career["person"].pk, "assisted_view", "asks for a statement for the bank")
    ]
    # The person is told; staff at the counter are not.
    assert list(Notification.objects.filter(link=_detail(statement.pk)).values_list("recipient_id", flat=True)) == [
        career["owner"].pk
    ]


def test_an_account_not_linked_to_a_file_is_sent_to_link_it(client, career, ready):
    sign_in(client, UserFactory())
    assert client.get(URL)["Location"] == reverse("identity:link_person")
    for url in _urls(ready.pk):
        assert client.get(url).status_code == 404
