"""The enterprise's viewer consults its file and changes nothing: the matrix walks every page
of the URLconf that names an enterprise (a page added tomorrow must be classified here), reads
answer 200, writes are refused and leave everything as it was; the dashboard offers a viewer
only what a viewer can open."""

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from contributions import ledger, payments, services
from contributions.declarations import declaration_submit
from contributions.models import Declaration, Employment, Payment
from contributions.types import LineInput
from core.actor import LevelOfAssurance
from core.models import VerifiableDocument
from devtools.rates import demo_rates_seed
from identity import services as identity_services
from identity.models import ApiKey, Representation
from mandates import services as mandate_services
from mandates.models import EnterpriseMandate
from tests.contributions.test_payments import FakeProvider
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

# The 20th of November: October was declared on the 10th; 10:00 in Brussels.
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
DECLARED_AT = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def bakery(clock, settings):
    """A bakery with an administrator, a declarant and a viewer; one employee hired, October
    declared, an online payment started, an API key, a bureau mandated to pay."""
    settings.SITE_URL = "https://guichet.example"
    demo_rates_seed()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont SRL")
    admin, declarant, viewer = with_totp(UserFactory()), UserFactory(), UserFactory()
    representation(admin, enterprise, "administrator")
    declarant_role = representation(declarant, enterprise, "declarant")
    representation(viewer, enterprise, "viewer")
    acting = citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk}))
    baker = PersonFactory(first_name="Bruno", last_name="Lambert")
    employment_id = services.employment_hire(
        actor=acting,
        enterprise_id=enterprise.pk,
        national_number=baker.national_number,
        worker_category="employee",
        start_date=datetime.date(2026, 10, 1),
        now=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC),
    )
    result = declaration_submit(
        actor=acting,
        enterprise_id=enterprise.pk,
        period="2026-10",
        lines=[
            LineInput(
                national_number=baker.national_number,
                worker_category="employee",
                gross_wage="3000.00",
                days_worked="21",
            )
        ],
        replace=False,
        channel="form",
        now=DECLARED_AT,
    )
    assert result.accepted
    # October paid by transfer: the bakery is up to date, its certificate can be issued.
    ledger.credit_post(
        enterprise_id=enterprise.pk,
        amount=Decimal("5000.00"),
        payment_reference="",
        source="bank:1",
        booked_on=DECLARED_AT.date(),
        now=DECLARED_AT,
    )
    payment = payments.payment_start(
        actor=acting,
        enterprise_id=enterprise.pk,
        amount="100.00",
        payment_reference="",
        intent=uuid.uuid4(),
        now=NOW,
        provider=FakeProvider(),
    )
    api_key_id, _key = identity_services.api_key_create(
        actor=acting, enterprise_id=enterprise.pk, name="Payroll", scopes=["read"], now=NOW
    )
    bureau = EnterpriseFactory(name="Secrétariat Alpha")
    mandate = mandate_services.enterprise_mandate_grant(
        actor=acting,
        enterprise_id=enterprise.pk,
        bureau_enterprise_number=bureau.enterprise_number,
        scopes=["pay"],
        starts_on=NOW.date(),
        now=NOW,
    )
    return {
        "enterprise": enterprise,
        "viewer": viewer,
        "declarant": declarant,
        "declarant_role": declarant_role,
        "employment_id": employment_id,
        "declaration_id": result.declaration_id,
        "payment_id": payment.pk,
        "api_key_id": api_key_id,
        "mandate_id": mandate if isinstance(mandate, int) else mandate.pk,
    }


def _state():
    """Everything a viewer's write could change."""
    return {
        "declarations": list(Declaration.objects.order_by("pk").values_list("pk", "status")),
        "employments": list(Employment.objects.order_by("pk").values_list("pk", "end_date", "cancelled_at")),
        "payments": Payment.objects.count(),
        "representations": list(Representation.objects.order_by("pk").values_list("pk", "role", "revoked_at")),
        "api_keys": list(ApiKey.objects.order_by("pk").values_list("pk", "revoked_at")),
        "mandates": list(EnterpriseMandate.objects.order_by("pk").values_list("pk", "revoked_at")),
    }


def _enterprise_routes() -> dict[str, list[str]]:
    """Every named route of the URLconf whose address names an enterprise, with its arguments."""
    found: dict[str, list[str]] = {}

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and "enterprise_id" in pattern.pattern.converters:
                found[f"{namespace}{pattern.name}"] = list(pattern.pattern.converters)

    walk(get_resolver().url_patterns)
    return found


# For each enterprise page: the arguments after the enterprise, what a viewer's GET answers and
# what a viewer's POST answers (None: the method is not allowed, 405). Reads are 200; writes
# are refused (404 where the viewer may not open the page at all, the page's own refusal where
# the page is the viewer's to read) and change nothing.
VIEWER_MATRIX = {
    "contributions:declarations": ((), 200, 404),
    "contributions:declaration": (("declaration_id",), 200, 405),
    "contributions:declaration_pdf": (("declaration_id",), 200, 405),
    "contributions:account": ((), 200, 405),
    "contributions:statement_csv": ((), 200, 405),
    # Issuing the certificate is a read of the file (policies.can_view_account): 200, a PDF.
    "contributions:certificate": ((), 200, 200),
    "contributions:pay": ((), 405, 404),
    "contributions:refund": ((), 405, 404),
    "contributions:payment": (("payment_id",), 404, 405),
    "contributions:employees": ((), 404, 404),
    "contributions:employee_action": (("employment_id", "terminate"), 405, 404),
    "identity:representatives": ((), 200, 200),  # the page says only an administrator grants
    "identity:representative_revoke": (("declarant_role",), 405, 302),  # back, with the refusal
    "identity:api_keys": ((), 404, 404),
    "identity:api_key_revoke": (("api_key_id",), 405, 404),
    "mandates:enterprise_bureaus": ((), 200, 400),  # the form's refusal
    "mandates:enterprise_bureau_revoke": (("mandate_id",), 405, 302),  # back, with the refusal
}


def test_every_enterprise_page_is_classified_for_viewers():
    assert sorted(_enterprise_routes()) == sorted(VIEWER_MATRIX)


@pytest.mark.parametrize("name", sorted(VIEWER_MATRIX))
def test_viewer_matrix(bakery, name):
    extra, get_expected, post_expected = VIEWER_MATRIX[name]
    arguments = [bakery["enterprise"].pk]
    for item in extra:
        value = bakery.get(item, item)
        arguments.append(value.pk if hasattr(value, "pk") else value)
    url = reverse(name, args=arguments)
    client = sign_in(Client(), bakery["viewer"])
    before = _state()
    documents_before = VerifiableDocument.objects.count()

    assert client.get(url).status_code == get_expected
    posted = client.post(
        url,
        {
            "intent": str(uuid.uuid4()),
            "amount": "1",
            "email": bakery["declarant"].email,
            "role": "administrator",
            "name": "Mine",
            "scopes": ["declare"],
            "bureau_enterprise_number": bakery["enterprise"].enterprise_number,
            "starts_on": NOW.date().isoformat(),
            "national_number": "85073003328",
            "worker_category": "employee",
            "gross_wage": "1",
            "days_worked": "1",
            "period": "2026-10",
            "replace": "1",
            "end_date": NOW.date().isoformat(),
        },
    )

    assert posted.status_code == post_expected
    assert _state() == before
    if name == "contributions:certificate":
        assert posted["Content-Type"] == "application/pdf"
        assert VerifiableDocument.objects.count() == documents_before + 1
    else:
        assert VerifiableDocument.objects.count() == documents_before


def test_the_viewer_reads_the_declarations_and_the_account_without_their_forms(bakery):
    client = sign_in(Client(), bakery["viewer"])
    enterprise_id = bakery["enterprise"].pk

    declarations = client.get(
        reverse("contributions:declarations", args=[enterprise_id]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    account = client.get(reverse("contributions:account", args=[enterprise_id]), HTTP_ACCEPT_LANGUAGE="en")
    receipt = client.get(
        reverse("contributions:declaration", args=[enterprise_id, bakery["declaration_id"]]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    csv = b"".join(
        client.get(
            reverse("contributions:statement_csv", args=[enterprise_id]), HTTP_ACCEPT_LANGUAGE="en"
        ).streaming_content
    )

    assert "<h1>Declarations of Boulangerie Dupont SRL</h1>" in declarations
    assert 'name="gross_wage"' not in declarations
    assert "Send the declaration" not in declarations
    detail = reverse("contributions:declaration", args=[enterprise_id, bakery["declaration_id"]])
    assert f'href="{detail}"' in declarations
    assert "Bruno Lambert" in receipt
    page = account.content.decode()
    assert "<h1>Account of Boulangerie Dupont SRL</h1>" in page
    assert "Pay online" not in page
    assert "Your role lets you consult the account" in page
    assert reverse("contributions:payment", args=[enterprise_id, bakery["payment_id"]]) not in page
    assert "Download the whole account (CSV)" in page
    assert [line.split(",")[1] for line in csv.decode("utf-8-sig").splitlines()[1:]] == ["declaration", "payment"]


def test_the_dashboard_offers_a_viewer_only_what_a_viewer_can_open(bakery):
    client = sign_in(Client(), bakery["viewer"])
    enterprise_id = bakery["enterprise"].pk

    page = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    offered = [
        reverse("identity:representatives", args=[enterprise_id]),
        reverse("contributions:declarations", args=[enterprise_id]),
        reverse("contributions:account", args=[enterprise_id]),
        reverse("contributions:certificate", args=[enterprise_id]),
    ]
    withheld = [
        reverse("contributions:employees", args=[enterprise_id]),
        reverse("identity:api_keys", args=[enterprise_id]),
        reverse("contributions:bulk_uploads"),
    ]
    for url in offered:
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
    for url in withheld:
        assert f'href="{url}"' not in page
        assert client.get(url).status_code == 404
    assert "Declarations of Boulangerie Dupont SRL" in page
    assert "Account of Boulangerie Dupont SRL" in page


def test_a_viewer_sends_no_declaration_file(bakery):
    client = sign_in(Client(), bakery["viewer"])
    url = reverse("contributions:bulk_uploads")
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    # A declarant of the same enterprise still has the page.
    assert sign_in(Client(), bakery["declarant"]).get(url).status_code == 200
