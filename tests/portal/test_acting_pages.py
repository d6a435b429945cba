"""Acting in someone else's file, every page knows whose file it is. The test walks every named
page of the URLconf while Sophie acts for Jean under a mandate, and checks each against its
class in ``portal.acting``: the principal's pages name Jean (in French and in English) and lead
to none of Sophie's own pages; Sophie's own pages are not offered (404 with the way back);
nobody's pages stay as they are. A page not classified fails the first test."""

import dataclasses
import datetime
import re
import uuid

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from benefits.models import Claim, ClaimDocument, Proposal
from contributions import services as contribution_services
from contributions import statements
from contributions.declarations import declaration_submit
from contributions.discrepancies import discrepancy_report
from contributions.types import LineInput
from core.actor import ActingMode, LevelOfAssurance
from core.audit import access_record
from core.models import AccessRecord
from core.types import AccessPurpose, Scope
from devtools.rates import demo_rates_seed
from mandates import services as mandate_services
from portal.acting import PAGES, UNWALKED_NAMESPACES, UNWALKED_PAGES, WhileActing
from tests.helpers import citizen_actor, sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
NOT_OFFERED = "Not part of the file of Jean Peeters"
NOT_OFFERED_FR = "Hors du dossier de Jean Peeters"


def _routes() -> dict[str, URLPattern]:
    """Every named page a person can reach, by its name (the unwalked ones left out)."""
    found: dict[str, URLPattern] = {}

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in UNWALKED_NAMESPACES:
                    continue
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}{pattern.name}"
                if name not in UNWALKED_PAGES:
                    found.setdefault(name, pattern)

    walk(get_resolver().url_patterns)
    return found


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acting(clock):
    """Sophie acts for Jean under a mandate to view his file and manage his bank account. Jean
    worked for a bakery in October, which declared it; Sophie asked for his statement. Sophie
    has her own inbox, her own trail (a clerk read her record), and represents a garage."""
    demo_rates_seed()
    jean = UserFactory(
        first_name="Jean", last_name="Peeters", person=PersonFactory(first_name="Jean", last_name="Peeters")
    )
    sophie = UserFactory(
        first_name="Sophie", last_name="Martin", person=PersonFactory(first_name="Sophie", last_name="Martin")
    )
    bakery = EnterpriseFactory(name="Boulangerie Dupont")
    declarant = UserFactory()
    representation(declarant, bakery, "declarant")
    employer = citizen_actor(declarant, enterprise_ids=frozenset({bakery.pk}))
    contribution_services.employment_hire(
        actor=employer,
        enterprise_id=bakery.pk,
        national_number=jean.person.national_number,
        worker_category="employee",
        start_date=datetime.date(2026, 10, 1),
        now=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC),
    )
    declared = declaration_submit(
        actor=employer,
        enterprise_id=bakery.pk,
        period="2026-10",
        lines=[
            LineInput(
                national_number=jean.person.national_number,
                worker_category="employee",
                gross_wage="3000.00",
                days_worked="21",
            )
        ],
        replace=False,
        channel="form",
        now=datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC),
    )
    assert declared.accepted
    # Jean reported that October is wrong: a case of his file.
    report_id = discrepancy_report(
        actor=citizen_actor(jean),
        person_id=jean.person_id,
        enterprise_id=bakery.pk,
        period="2026-10",
        message="My wage was higher.",
        now=NOW,
    )
    garage = EnterpriseFactory(name="Garage Martin")
    representation(sophie, garage, "declarant")
    clerk = UserFactory(is_staff=True, first_name="Camille", last_name="Leroy")
    access_record(
        actor=staff_actor(clerk), subject_person_id=sophie.person_id, purpose=AccessPurpose.STAFF_REGISTRY_VIEW, now=NOW
    )
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(jean, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=sophie.person.national_number,
        proxy_last_name="Martin",
        scopes=[Scope.VIEW_FILE, Scope.MANAGE_PAYMENT_DETAILS],
        starts_on=NOW.date(),
        ends_on=NOW.date() + datetime.timedelta(days=365),
        now=NOW,
    )
    mandate_services.mandate_accept(actor=citizen_actor(sophie), mandate_id=mandate_id, now=NOW)
    client = sign_in(Client(), sophie)
    assert client.post(reverse("mandates:act", args=[mandate_id])).status_code == 302
    proxy = dataclasses.replace(
        citizen_actor(sophie),
        mode=ActingMode.PROXY,
        subject_person_id=jean.person_id,
        mandate_id=mandate_id,
        scopes=frozenset({Scope.VIEW_FILE}),
        subject_name="Jean Peeters",
    )
    asked = statements.statement_ask(
        actor=proxy,
        person_id=jean.person_id,
        year_from=2026,
        year_to=2026,
        language="en",
        intent=uuid.uuid4(),
        now=NOW,
    )
    # Jean filed a claim (its pages are his file's; Sophie's mandate lets her read it, not act on it).
    claim = Claim.objects.create(
        person_id=jean.person_id,
        scheme="old_age_pension",
        month="2026-12",
        status="submitted",
        step="declaration",
        reference="BEN-2026-000001",
        created_at=NOW,
        updated_at=NOW,
        submitted_at=NOW,
        created_by=jean,
        submitted_by=jean,
        receipt_pdf=b"%PDF-1.7 receipt",
        receipt_document_id=1,
    )
    document = ClaimDocument.objects.create(
        claim=claim,
        purpose="claim",
        filename="id.pdf",
        content_type="application/pdf",
        size=9,
        sha256="0" * 64,
        content=b"%PDF-1.7\n",
        uploaded_at=NOW,
        uploaded_by=jean,
    )
    # A benefit was proposed to Jean without an application (Sophie may read it, not answer it).
    proposal = Proposal.objects.create(
        reference="PRO-2026-000001",
        person_id=jean.person_id,
        scheme="marriage_grant",
        periodicity="once",
        trigger="marriage",
        month=datetime.date(2026, 11, 1),
        amount="500.00",
        computation={"conditions": []},
        rules_fingerprint="test",
        openfisca_core="test",
        data_version="test",
        status="offered",
        created_at=NOW,
        offered_at=NOW,
    )
    return {
        "client": client,
        "claim_id": claim.pk,
        "proposal_id": proposal.pk,
        "document_id": document.pk,
        "jean": jean,
        "sophie": sophie,
        "mandate_id": mandate_id,
        "bakery": bakery,
        "garage": garage,
        "statement_id": asked.statement_id,
        "report_id": report_id,
    }


def _url(name: str, pattern: URLPattern, world) -> str:
    """The page's address, with arguments that exist where it matters (the principal's pages)."""
    values = {
        "statement_id": world["statement_id"],
        "report_id": world["report_id"],
        "claim_id": world["claim_id"],
        "proposal_id": world["proposal_id"],
        "document_id": world["document_id"],
        "step": "about",
        "slug": "old-age-pension",
        "mandate_id": world["mandate_id"],
        "enterprise_id": world["garage"].pk,
        "action": "revoke",
        "kind": "employer",
        "key": "x",
        "uidb36": "1",
    }
    names = list(pattern.pattern.regex.groupindex)
    url = reverse(name, kwargs={argument: values.get(argument, 1) for argument in names})
    if name == "contributions:record_report":
        url += f"?enterprise={world['bakery'].pk}&period=2026-10"
    return url


CLAIM_ACTIONS = {
    "benefits:claim_start": 405,
    "benefits:claim_document_add": 405,
    "benefits:claim_document_remove": 405,
    "benefits:claim_message": 405,
    "benefits:claim_information": 405,
    "benefits:claim_withdraw": 405,
    "benefits:claim_appeal": 405,
    "benefits:claim_step": 404,
    "benefits:claim_letter": 404,
    "benefits:claim_document": 200,
    "benefits:claim_receipt": 200,
    "benefits:payment_statement": 405,
    "benefits:life_certificate_send": 405,
    "benefits:life_check_start": 405,
    "benefits:life_check_return": 404,
    "benefits:proposal_accept": 405,
    "benefits:proposal_decline": 405,
    "benefits:proposal_dispute": 405,
}


def _h1(html: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert found, "no heading"
    return " ".join(found.group(1).split())


# The addresses of one's own pages that take no argument: none may be offered while acting.
def _own_addresses() -> list[str]:
    routes = _routes()
    return [
        reverse(name)
        for name, kind in PAGES.items()
        if kind == WhileActing.OWN and name in routes and not routes[name].pattern.regex.groupindex
    ]


def test_every_page_is_classified_for_acting():
    assert sorted(set(_routes()) - set(PAGES)) == []
    assert sorted(set(PAGES) - set(_routes())) == []


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_while_acting(acting, name):
    pattern = _routes()[name]
    url = _url(name, pattern, acting)
    client = acting["client"]
    kind = PAGES[name]

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")

    if kind == WhileActing.OWN:
        assert english.status_code == 404
        assert NOT_OFFERED in _h1(english.content.decode())
        assert 'name="next"' in english.content.decode()
        assert NOT_OFFERED_FR in _h1(french.content.decode())
        return
    for response in (english, french):
        assert NOT_OFFERED not in response.content.decode()
        assert NOT_OFFERED_FR not in response.content.decode()
    if kind == WhileActing.COUNTER:
        assert english.status_code in (404, 405)
        return
    if name in CLAIM_ACTIONS:
        # Claims: a POST-only action answers 405 to a GET; a draft's step and a letter not issued
        # answer 404 (the mandate allows reading the claims, not managing them); files download.
        assert english.status_code == CLAIM_ACTIONS[name], name
    elif name in ("contributions:statement_status", "contributions:statement_pdf"):
        # The status (JSON), and the PDF (not ready yet: 404, as in one's own file).
        assert english.status_code == (200 if name == "contributions:statement_status" else 404)
    elif kind == WhileActing.PRINCIPAL:
        assert english.status_code == 200
        for response in (english, french):
            html = response.content.decode()
            assert "Jean Peeters" in _h1(html), name
            assert "Sophie" not in _h1(html)
            for own in _own_addresses():
                assert f'href="{own}"' not in html, (name, own)


def test_the_principal_pages_speak_of_the_principal(acting):
    client = acting["client"]

    record_en = client.get(reverse("contributions:record"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    record_fr = client.get(reverse("contributions:record"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert _h1(record_en) == "Contribution record of Jean Peeters"
    assert "what the employers of Jean Peeters declared for them" in record_en
    assert "Their contributions (€)" in record_en
    assert "Your contributions" not in record_en
    assert _h1(record_fr) == "Relevé de cotisations de Jean Peeters"
    assert "ses employeurs" in record_fr
    assert "vos employeurs" not in record_fr
    assert "Vos cotisations" not in record_fr
    # Back in his own file, Jean reads his own wording, from the same cached tables.
    own = sign_in(Client(), acting["jean"]).get(reverse("contributions:record"), HTTP_ACCEPT_LANGUAGE="en")
    assert _h1(own.content.decode()) == "My contribution record"
    assert "Your contributions (€)" in own.content.decode()


def test_the_access_log_while_acting_is_the_principals_and_the_read_is_in_his_trail(acting):
    client = acting["client"]

    page = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert _h1(page) == "Who accessed the data of Jean Peeters"
    assert _h1(french) == "Qui a consulté les données de Jean Peeters"
    assert "Sophie Martin, whom Jean Peeters mandated, consulted the list of who accessed their data." in page
    assert "Camille Leroy" not in page  # Sophie's own trail is not shown
    read = AccessRecord.objects.filter(subject_person_id=acting["jean"].person_id, detail="access log")
    assert list(read.values_list("actor_user_id", "purpose", "mandate_id")) == [
        (acting["sophie"].pk, AccessPurpose.PROXY_FILE_VIEW, acting["mandate_id"])
    ]
    assert not AccessRecord.objects.filter(subject_person_id=acting["sophie"].person_id, detail="access log").exists()
    # Jean reads the same story, told to him.
    own = sign_in(Client(), acting["jean"]).get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Sophie Martin, whom you mandated, consulted the list of who accessed your data." in own.content.decode()


def test_without_the_view_scope_the_access_log_is_not_offered(clock):
    jean = UserFactory(person=PersonFactory(first_name="Jean", last_name="Peeters"))
    sophie = UserFactory(person=PersonFactory(first_name="Sophie", last_name="Martin"))
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(jean, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=sophie.person.national_number,
        proxy_last_name="Martin",
        scopes=[Scope.MANAGE_PAYMENT_DETAILS],
        starts_on=NOW.date(),
        ends_on=NOW.date() + datetime.timedelta(days=365),
        now=NOW,
    )
    mandate_services.mandate_accept(actor=citizen_actor(sophie), mandate_id=mandate_id, now=NOW)
    client = sign_in(Client(), sophie)
    client.post(reverse("mandates:act", args=[mandate_id]))

    response = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="en")
    dashboard = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert response.status_code == 404
    assert "The mandate you hold does not let you view the file of Jean Peeters" in response.content.decode()
    assert f'href="{reverse("portal:access_log")}"' not in dashboard
    assert not AccessRecord.objects.filter(subject_person_id=jean.person_id, detail="access log").exists()


def test_the_way_back_opens_the_page_asked_for_in_ones_own_file(acting):
    client = acting["client"]
    inbox = reverse("notifications:inbox")

    back = client.post(reverse("mandates:stop_acting"), {"next": inbox})
    elsewhere = client.post(reverse("mandates:stop_acting"), {"next": "https://evil.example/"})

    assert back["Location"] == inbox
    assert client.get(inbox).status_code == 200
    assert elsewhere["Location"] == reverse("portal:dashboard")
