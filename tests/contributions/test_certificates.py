"""The employer's compliance certificate: issued only to an enterprise with nothing overdue and no
declaration missing for a period due during the last twelve months; a PDF that carries its
verification code, whose SHA-256 the registry keeps, and that the public page then confirms; who
may ask for it.

Texts the app translates are compared with what the catalogues say (``_in``), so that the tests
hold whether or not the French catalogue has been compiled."""

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from contributions import ledger, services
from contributions.certificates import (
    CertificateRefused,
    ComplianceStatus,
    compliance_certificate_issue,
    compliance_status,
    months_later,
)
from contributions.declarations import declaration_submit
from contributions.models import Declaration, LedgerEntry
from contributions.types import LineInput
from core.actor import LevelOfAssurance
from core.models import VerifiableDocument
from devtools.rates import demo_rates_seed
from identity.country_profiles import country_profile
from mandates import services as mandate_services
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

DECLARED_AT = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
# The 20th: the declaration of October was due on the 15th.
TODAY = datetime.date(2026, 11, 20)
ISSUED_AT = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)  # 10:00 in Brussels
# One period of two employee lines of 3,000.00 (see test_ledger): 2 × 972.90.
PERIOD_DUE = Decimal("1945.80")
CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}(?:-[A-HJKMNP-Z2-9]{4}){5}")


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return str(translation.gettext(message))


@pytest.fixture
def employer(settings):
    """A bakery employing two people since 1 August 2026, and its declarant."""
    settings.DECLARATION_DUE_DAY = 15
    settings.SITE_URL = "https://guichet.example"
    demo_rates_seed()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont SRL")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    staff = [PersonFactory(), PersonFactory()]
    employment_ids = [
        services.employment_hire(
            actor=actor,
            enterprise_id=enterprise.pk,
            national_number=person.national_number,
            worker_category="employee",
            start_date=datetime.date(2026, 8, 1),
            now=datetime.datetime(2026, 7, 20, tzinfo=datetime.UTC),
        )
        for person in staff
    ]
    return {
        "enterprise": enterprise,
        "declarant": declarant,
        "actor": actor,
        "staff": staff,
        "employment_ids": employment_ids,
    }


@pytest.fixture
def frozen(monkeypatch):
    """The pages read the clock: it stands at 10:00 in Brussels on TODAY."""
    monkeypatch.setattr(timezone, "now", lambda: ISSUED_AT)


def _declare(employer, *periods):
    for period in periods:
        result = declaration_submit(
            actor=employer["actor"],
            enterprise_id=employer["enterprise"].pk,
            period=period,
            lines=[
                LineInput(
                    national_number=person.national_number,
                    worker_category="employee",
                    gross_wage="3000.00",
                    days_worked="20",
                )
                for person in employer["staff"]
            ],
            replace=False,
            channel="form",
            now=DECLARED_AT,
        )
        assert result.accepted, result.anomalies


def _pay(employer, amount, source="bank:1"):
    """A transfer without reference: it settles the oldest debits first."""
    ledger.credit_post(
        enterprise_id=employer["enterprise"].pk,
        amount=Decimal(amount),
        payment_reference="",
        source=source,
        booked_on=DECLARED_AT.date(),
        now=DECLARED_AT,
    )


@pytest.fixture
def compliant(employer):
    _declare(employer, "2026-08", "2026-09", "2026-10")
    _pay(employer, 3 * PERIOD_DUE)
    return employer


def _text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _figures(node) -> list[str]:
    """The alternative texts of the figures in a tagged PDF's structure tree."""
    node = node.get_object()
    if isinstance(node, pypdf.generic.ArrayObject):
        return [alt for child in node for alt in _figures(child)]
    if not isinstance(node, pypdf.generic.DictionaryObject):
        return []
    own = [str(node["/Alt"])] if node.get("/S") == "/Figure" else []
    return own + (_figures(node["/K"]) if "/K" in node else [])


def _status(employer, today=TODAY):
    return compliance_status(enterprise_id=employer["enterprise"].pk, today=today)


# --- Compliance -------------------------------------------------------------------------------


def test_an_enterprise_that_declared_and_paid_every_period_is_compliant(compliant):
    status = _status(compliant)

    assert status == ComplianceStatus(
        enterprise_id=compliant["enterprise"].pk, as_of=TODAY, overdue=Decimal("0.00"), missing_periods=()
    )
    assert (status.compliant, status.reasons) == (True, ())


def test_the_status_is_read_in_four_queries(compliant, django_assert_num_queries):
    # The balance, the unsettled debits, the employments per period, the declared periods.
    with django_assert_num_queries(4):
        _status(compliant)


def test_an_overdue_debit_makes_the_enterprise_not_compliant(employer):
    _declare(employer, "2026-08", "2026-09", "2026-10")
    _pay(employer, PERIOD_DUE)  # August only

    status = _status(employer)

    assert (status.overdue, status.missing_periods) == (2 * PERIOD_DUE, ())
    assert status.reasons == ("contributions_overdue",)


def test_a_debit_is_overdue_the_day_after_its_due_date(employer):
    _declare(employer, "2026-08", "2026-09", "2026-10")
    _pay(employer, 2 * PERIOD_DUE)  # October, due on 15 November, is left

    assert [
        _status(employer, today=day).overdue
        for day in (datetime.date(2026, 11, 10), datetime.date(2026, 11, 15), datetime.date(2026, 11, 16))
    ] == [Decimal("0.00"), Decimal("0.00"), PERIOD_DUE]


def test_a_missing_declaration_of_a_period_past_due_makes_the_enterprise_not_compliant(employer):
    _declare(employer, "2026-08", "2026-10")
    _pay(employer, 2 * PERIOD_DUE)

    status = _status(employer)

    assert (status.overdue, status.missing_periods, status.reasons) == (
        Decimal("0.00"),
        ("2026-09",),
        ("declarations_missing",),
    )


def test_a_declaration_is_missing_the_day_after_its_due_date(employer):
    _declare(employer, "2026-08")
    _pay(employer, PERIOD_DUE)

    assert _status(employer, today=datetime.date(2026, 10, 15)).missing_periods == ()
    assert _status(employer, today=datetime.date(2026, 10, 16)).missing_periods == ("2026-09",)
    assert _status(employer, today=TODAY).missing_periods == ("2026-09", "2026-10")


def test_periods_without_employment_need_no_declaration(employer):
    for employment_id in employer["employment_ids"]:
        services.employment_terminate(
            actor=employer["actor"],
            employment_id=employment_id,
            end_date=datetime.date(2026, 8, 31),
            now=datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC),
        )
    _declare(employer, "2026-08")
    _pay(employer, PERIOD_DUE)

    assert _status(employer).compliant is True


def test_a_cancelled_hire_needs_no_declaration():
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    hired_on = datetime.datetime(2026, 7, 20, tzinfo=datetime.UTC)
    employment_id = services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=PersonFactory().national_number,
        worker_category="employee",
        start_date=datetime.date(2026, 8, 1),
        now=hired_on,
    )
    services.employment_cancel(actor=actor, employment_id=employment_id, now=hired_on)

    assert compliance_status(enterprise_id=enterprise.pk, today=TODAY).missing_periods == ()


def test_only_the_periods_due_during_the_last_twelve_months_count(settings):
    settings.DECLARATION_DUE_DAY = 15
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    employment_id = services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=PersonFactory().national_number,
        worker_category="employee",
        start_date=datetime.date(2025, 9, 1),
        now=datetime.datetime(2025, 8, 20, tzinfo=datetime.UTC),
    )
    services.employment_terminate(
        actor=actor,
        employment_id=employment_id,
        end_date=datetime.date(2025, 10, 31),
        now=datetime.datetime(2025, 11, 1, tzinfo=datetime.UTC),
    )

    # October 2025 was due on 15 November 2025: within the twelve months on 10 November 2026.
    assert compliance_status(enterprise_id=enterprise.pk, today=datetime.date(2026, 11, 10)).missing_periods == (
        "2025-10",
    )
    assert compliance_status(enterprise_id=enterprise.pk, today=TODAY).missing_periods == ()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 11, 20), datetime.date(2027, 5, 20)),
        (datetime.date(2026, 8, 31), datetime.date(2027, 2, 28)),
        (datetime.date(2027, 8, 31), datetime.date(2028, 2, 29)),
        (datetime.date(2026, 7, 31), datetime.date(2027, 1, 31)),
        (datetime.date(2026, 12, 31), datetime.date(2027, 6, 30)),
    ],
)
def test_six_months_later_ends_at_the_end_of_a_shorter_month(day, expected):
    assert months_later(day, 6) == expected


# --- Issuing ----------------------------------------------------------------------------------


def test_the_certificate_names_the_enterprise_and_carries_its_code_and_validity(compliant):
    enterprise = compliant["enterprise"]

    code, content = compliance_certificate_issue(
        actor=compliant["actor"], enterprise_id=enterprise.pk, language="en", now=ISSUED_AT
    )

    assert CODE.fullmatch(code)
    text = _text(content)
    number = country_profile().enterprise_number.format(enterprise.enterprise_number)
    for expected in [
        "Guichet Social security contributions of employers Compliance certificate",
        f"Enterprise Boulangerie Dupont SRL Enterprise number {number}",
        "Situation as of 20 November 2026",
        "Issued on 20 November 2026, 10:00",
        "Valid until 20 May 2027",
        "Guichet certifies that, as of 20 November 2026, the enterprise Boulangerie Dupont SRL is up to date "
        "with its declarations and contribution payments.",
        "This certificate is valid until 20 May 2027.",
        f"on the verification page or by scanning the QR code. {code} Verification page: https://guichet.example/verify/",
    ]:
        assert expected in text, expected
    document = VerifiableDocument.objects.get()
    assert (
        document.kind,
        document.subject_type,
        document.subject_id,
        document.issued_by_id,
        document.issued_at,
        document.valid_until,
        document.holder_name_masked,
        document.revoked_at,
    ) == (
        "compliance_certificate",
        "enterprise",
        enterprise.pk,
        compliant["declarant"].pk,
        ISSUED_AT,
        datetime.date(2027, 5, 20),
        "Boul*** Dup*** SRL",
        None,
    )
    assert document.content_sha256 == hashlib.sha256(content).hexdigest()


def test_the_pdf_is_titled_tagged_and_in_the_language_asked(employer):
    # On 31 August nothing is due yet; six months later is the last day of February.
    issued_at = datetime.datetime(2026, 8, 31, 10, 0, tzinfo=datetime.UTC)
    with translation.override("en"):
        _code, content = compliance_certificate_issue(
            actor=employer["actor"], enterprise_id=employer["enterprise"].pk, language="fr", now=issued_at
        )

    reader = pypdf.PdfReader(io.BytesIO(content))
    assert reader.metadata.title == _in("fr", "Compliance certificate")
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"]) is True
    assert _figures(reader.trailer["/Root"]["/StructTreeRoot"]) == [_in("fr", "QR code of the verification address")]
    text = _text(content)
    assert f"{_in('fr', 'Valid until')} 28 février 2027" in text
    assert f"{_in('fr', 'Situation as of')} 31 août 2026" in text
    assert VerifiableDocument.objects.get().valid_until == datetime.date(2027, 2, 28)


def test_the_public_page_confirms_the_certificate_with_the_masked_name(compliant, client, frozen):
    code, _content = compliance_certificate_issue(
        actor=compliant["actor"], enterprise_id=compliant["enterprise"].pk, language="en", now=ISSUED_AT
    )

    body = client.get(reverse("portal:verify"), {"code": code}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Authentic document, valid today" in body
    assert ">Compliance certificate (contributions)</dd>" in body
    assert ">Boul*** Dup*** SRL</dd>" in body
    assert ">20 May 2027</dd>" in body
    assert "Boulangerie" not in body


def test_an_enterprise_with_an_overdue_debit_is_refused_and_nothing_is_registered(employer):
    _declare(employer, "2026-08", "2026-09", "2026-10")
    _pay(employer, PERIOD_DUE)

    with pytest.raises(CertificateRefused) as refused:
        compliance_certificate_issue(
            actor=employer["actor"], enterprise_id=employer["enterprise"].pk, language="en", now=ISSUED_AT
        )

    assert refused.value.code == "contributions_overdue"
    assert refused.value.status.overdue == 2 * PERIOD_DUE
    assert str(refused.value.message) == (
        "The certificate cannot be issued: contributions are overdue on the enterprise's account. Pay them first."
    )
    assert not VerifiableDocument.objects.exists()


def test_an_enterprise_missing_a_declaration_is_refused_and_nothing_is_registered(employer):
    _declare(employer, "2026-08", "2026-10")
    _pay(employer, 2 * PERIOD_DUE)

    with pytest.raises(CertificateRefused) as refused:
        compliance_certificate_issue(
            actor=employer["actor"], enterprise_id=employer["enterprise"].pk, language="en", now=ISSUED_AT
        )

    assert (refused.value.code, refused.value.status.missing_periods) == ("declarations_missing", ("2026-09",))
    assert not VerifiableDocument.objects.exists()


def test_a_viewer_of_the_enterprise_may_issue_its_certificate(compliant):
    viewer = UserFactory()
    representation(viewer, compliant["enterprise"], "viewer")
    actor = citizen_actor(viewer, enterprise_ids=frozenset({compliant["enterprise"].pk}))

    code, content = compliance_certificate_issue(
        actor=actor, enterprise_id=compliant["enterprise"].pk, language="en", now=ISSUED_AT
    )

    assert content.startswith(b"%PDF")
    assert VerifiableDocument.objects.get().issued_by_id == viewer.pk
    assert CODE.fullmatch(code)


def test_someone_who_may_not_see_the_account_gets_no_certificate(compliant):
    other = UserFactory()
    representation(other, EnterpriseFactory(), "viewer")
    for actor in (
        citizen_actor(other, enterprise_ids=frozenset({other.representations.get().enterprise_id})),
        citizen_actor(UserFactory(person=PersonFactory())),
    ):
        with pytest.raises(services.NotFound):
            compliance_certificate_issue(
                actor=actor, enterprise_id=compliant["enterprise"].pk, language="en", now=ISSUED_AT
            )
    assert not VerifiableDocument.objects.exists()


# --- The page ---------------------------------------------------------------------------------


def _url(employer):
    return reverse("contributions:certificate", args=[employer["enterprise"].pk])


def test_the_page_shows_a_compliant_enterprise_and_issues_the_pdf(compliant, client, frozen):
    sign_in(client, compliant["declarant"])

    page = client.get(_url(compliant), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert "On 20 November 2026 the enterprise is up to date: the certificate can be issued." in body
    assert '<button class="usa-button" type="submit">Issue the certificate (PDF)</button>' in body

    response = client.post(_url(compliant), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="compliance-certificate-{compliant["enterprise"].pk}-2026-11-20.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert VerifiableDocument.objects.get().content_sha256 == hashlib.sha256(response.content).hexdigest()
    codes = CODE.findall(_text(response.content))
    assert len(codes) == 1
    verified = client.get(reverse("portal:verify"), {"code": codes[0]}, HTTP_ACCEPT_LANGUAGE="en")
    assert ">Boul*** Dup*** SRL</dd>" in verified.content.decode()


def test_the_page_gives_the_reasons_and_refuses_to_issue(employer, client, frozen):
    _declare(employer, "2026-08", "2026-10")  # September is missing, nothing is paid
    sign_in(client, employer["declarant"])

    body = client.get(_url(employer), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The certificate cannot be issued yet" in body
    assert "Contributions overdue: 3,891.60 €." in body
    declarations = reverse("contributions:declarations", args=[employer["enterprise"].pk])
    assert f'Monthly declarations missing: <a href="{declarations}?period=2026-09">2026-09</a>' in body
    assert "Issue the certificate (PDF)" not in body

    response = client.post(_url(employer), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    assert "contributions are overdue on the enterprise&#x27;s account. Pay them first." in response.content.decode()
    assert not VerifiableDocument.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("citizen", 404),
        ("viewer", 200),
        ("other_admin", 404),
        ("unpaid_bureau", 404),
        ("declarant", 200),
        ("administrator", 200),
        ("paying_bureau", 200),
    ],
)
def test_certificate_page_matrix(compliant, client, frozen, who, expected):
    enterprise = compliant["enterprise"]
    admin = with_totp(UserFactory())
    representation(admin, enterprise, "administrator")
    users = {
        "declarant": compliant["declarant"],
        "administrator": admin,
        "citizen": UserFactory(person=PersonFactory()),
    }
    users["viewer"] = UserFactory()
    representation(users["viewer"], enterprise, "viewer")
    users["other_admin"] = with_totp(UserFactory())
    representation(users["other_admin"], EnterpriseFactory(), "administrator")
    for name, scopes in (("paying_bureau", ["pay"]), ("unpaid_bureau", ["declare"])):
        bureau = EnterpriseFactory()
        users[name] = UserFactory()
        representation(users[name], bureau, "declarant")
        mandate_services.enterprise_mandate_grant(
            actor=citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk})),
            enterprise_id=enterprise.pk,
            bureau_enterprise_number=bureau.enterprise_number,
            scopes=scopes,
            starts_on=TODAY,
            now=ISSUED_AT,
        )
    if who != "anonymous":
        sign_in(client, users[who], mfa=who in ("other_admin", "administrator"))
    url = _url(compliant)

    response = client.get(url)

    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    posted = client.post(url)
    assert posted.status_code == expected
    assert VerifiableDocument.objects.count() == (1 if expected == 200 else 0)
    if expected == 200:
        assert posted["Content-Type"] == "application/pdf"
        assert VerifiableDocument.objects.get().issued_by_id == users[who].pk


def test_the_dashboard_links_declarants_to_the_certificate(compliant, client, frozen):
    sign_in(client, compliant["declarant"])
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="{_url(compliant)}">Compliance certificate — Boulangerie Dupont SRL</a>' in body


# --- The declarations page lists the missing months ---------------------------------------------


def _missing_links(client, employer):
    page = client.get(
        reverse("contributions:declarations", args=[employer["enterprise"].pk]), headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    if 'id="missing-declarations"' not in html:
        return None
    listed = html[html.index('id="missing-declarations"') :]
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', listed[: listed.index("</ul>")])


@pytest.mark.time_machine(ISSUED_AT, tick=False)
def test_the_declarations_page_lists_the_missing_months_each_with_a_link_to_declare_it(employer, client):
    _declare(employer, "2026-08")
    sign_in(client, employer["declarant"])
    url = reverse("contributions:declarations", args=[employer["enterprise"].pk])

    assert _missing_links(client, employer) == [
        (f"{url}?period=2026-09", "Declare 2026-09"),
        (f"{url}?period=2026-10", "Declare 2026-10"),
    ]


@pytest.mark.time_machine(ISSUED_AT, tick=False)
def test_the_declarations_page_lists_no_missing_month_when_every_one_is_declared(employer, client):
    _declare(employer, "2026-08", "2026-09", "2026-10")
    sign_in(client, employer["declarant"])

    assert _missing_links(client, employer) is None


@pytest.mark.time_machine(ISSUED_AT, tick=False)
def test_the_missing_months_cost_the_same_queries_whatever_their_number(employer, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, employer["declarant"])
    url = reverse("contributions:declarations", args=[employer["enterprise"].pk])
    with CaptureQueriesContext(connection) as three_missing:
        client.get(url)
    _declare(employer, "2026-08", "2026-09")
    with CaptureQueriesContext(connection) as one_missing:
        client.get(url)

    assert len(_missing_links(client, employer)) == 1
    assert len(three_missing) == len(one_missing)


# --- A replacement starts from the declaration in force -----------------------------------------


def _form_fields(html):
    """The form's lines as (national number, category, wage, days), and whether "replace" is ticked."""
    numbers = re.findall(r'id="nn-\d+" name="national_number" value="([^"]*)"', html)
    categories = re.findall(r'<option value="([^"]+)" selected>', html)
    wages = re.findall(r'id="wage-\d+" name="gross_wage" value="([^"]*)"', html)
    days = re.findall(r'id="days-\d+" name="days_worked" value="([^"]*)"', html)
    return list(zip(numbers, categories, wages, days, strict=True)), 'name="replace" value="1" checked' in html


@pytest.mark.time_machine(ISSUED_AT, tick=False)
def test_the_form_of_a_declared_month_is_prefilled_with_the_declaration_in_force(employer, client):
    _declare(employer, "2026-09")
    declared = Declaration.objects.get(enterprise=employer["enterprise"], period="2026-09")
    sign_in(client, employer["declarant"])
    url = reverse("contributions:declarations", args=[employer["enterprise"].pk])

    html = client.get(url, {"period": "2026-09"}, headers={"Accept-Language": "en"}).content.decode()

    lines, replace_ticked = _form_fields(html)
    assert lines == [
        (line.person.national_number, line.worker_category, str(line.gross_wage), str(line.days_worked))
        for line in declared.lines.select_related("person").order_by("line_number")
    ]
    assert lines == [(person.national_number, "employee", "3000.00", "20") for person in employer["staff"]]
    assert replace_ticked
    assert f"2026-09 is already declared (version 1, {declared.reference})" in html


@pytest.mark.time_machine(ISSUED_AT, tick=False)
def test_the_form_of_a_month_not_declared_is_prefilled_with_the_employees_only(employer, client):
    _declare(employer, "2026-09")
    sign_in(client, employer["declarant"])
    url = reverse("contributions:declarations", args=[employer["enterprise"].pk])

    html = client.get(url, {"period": "2026-10"}).content.decode()

    lines, replace_ticked = _form_fields(html)
    assert lines == [(person.national_number, "employee", "", "") for person in employer["staff"]]
    assert not replace_ticked
    assert 'id="replacing"' not in html


@pytest.mark.time_machine(ISSUED_AT, tick=False)
def test_sending_the_prefilled_form_unchanged_makes_an_identical_version_and_posts_nothing(employer, client):
    # Accepted (the employer may confirm a month as it is): version 2 has the same lines, and the
    # account is not touched, the amounts being the same.
    _declare(employer, "2026-09")
    sign_in(client, employer["declarant"])
    url = reverse("contributions:declarations", args=[employer["enterprise"].pk])
    lines, _replace_ticked = _form_fields(client.get(url, {"period": "2026-09"}).content.decode())
    entries_before = list(LedgerEntry.objects.filter(enterprise=employer["enterprise"]).values_list("pk", flat=True))

    sent = client.post(
        url,
        {
            "period": "2026-09",
            "replace": "1",
            "national_number": [line[0] for line in lines],
            "worker_category": [line[1] for line in lines],
            "gross_wage": [line[2] for line in lines],
            "days_worked": [line[3] for line in lines],
        },
    )

    versions = Declaration.objects.filter(enterprise=employer["enterprise"], period="2026-09").order_by("version")
    assert sent.status_code == 302
    assert [(v.version, v.status) for v in versions] == [(1, "replaced"), (2, "in_force")]
    assert [
        (line.person_id, line.worker_category, line.gross_wage, line.days_worked)
        for line in versions[1].lines.order_by("line_number")
    ] == [
        (line.person_id, line.worker_category, line.gross_wage, line.days_worked)
        for line in versions[0].lines.order_by("line_number")
    ]
    assert list(LedgerEntry.objects.filter(enterprise=employer["enterprise"]).values_list("pk", flat=True)) == (
        entries_before
    )
