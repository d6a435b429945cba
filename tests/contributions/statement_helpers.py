"""What the contribution statement tests share: Marie Dupont's career, asking for a statement
and rendering it as the worker would, reading a PDF back, a proxy acting on her file."""

from __future__ import annotations

import datetime
import io
import re
import uuid
from typing import Any

import pypdf
from django.utils import timezone, translation

from contributions import services, statements
from contributions.models import Employment, StatementRequest
from core.actor import ACTING_FOR_SESSION_KEY, Actor, LevelOfAssurance
from devtools.rates import demo_rates_seed
from mandates import services as mandate_services
from tests.contributions.test_record import _declare, _employer, _hire, _pay
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory

# 10:00 in Brussels on 20 February 2027: every month up to January 2027 is past its due date.
ISSUED_AT = datetime.datetime(2027, 2, 20, 9, 0, tzinfo=datetime.UTC)
# A worker takes the statement a few seconds after it was asked for.
RENDERED_AT = ISSUED_AT + datetime.timedelta(seconds=3)
CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}(?:-[A-HJKMNP-Z2-9]{4}){5}")
URL = "/my-file/contributions/statement/"


def in_language(language: str, message: str) -> str:
    """A message as the catalogue of ``language`` says it (compiled or not)."""
    with translation.override(language):
        return str(translation.gettext(message))


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def career_build(settings: Any) -> dict[str, Any]:
    """Marie Dupont worked at a bakery from January to March 2025 (the first two months paid,
    March declared and never paid), then at a garage since September 2026 (September paid,
    October declared and not paid, November to January not declared)."""
    settings.DECLARATION_DUE_DAY = 15
    settings.SITE_URL = "https://guichet.example"
    demo_rates_seed()
    person = PersonFactory(first_name="Marie", last_name="Dupont")
    owner = UserFactory(person=person, first_name="Marie", last_name="Dupont")
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
    return {
        "person": person,
        "owner": owner,
        "actor": citizen_actor(owner),
        "garage": garage,
        "garage_actor": garage_actor,
    }


def ask(
    career: dict[str, Any],
    year_from: int | None,
    year_to: int | None,
    *,
    language: str = "en",
    actor: Actor | None = None,
    intent: uuid.UUID | None = None,
    now: datetime.datetime = ISSUED_AT,
) -> statements.Asked:
    return statements.statement_ask(
        actor=actor or career["actor"],
        person_id=career["person"].pk,
        year_from=year_from,
        year_to=year_to,
        language=language,
        intent=intent or uuid.uuid4(),
        now=now,
    )


def render(statement_id: int, *, now: datetime.datetime = RENDERED_AT) -> StatementRequest:
    """What the worker does with the task, then the request as it stands."""
    statements.statement_render(statement_id=statement_id, now=now)
    return StatementRequest.objects.get(pk=statement_id)


def issue(
    career: dict[str, Any],
    year_from: int | None,
    year_to: int | None,
    *,
    language: str = "en",
    actor: Actor | None = None,
) -> tuple[str, bytes]:
    """Ask, render as the worker does, and read back the code printed on it and the file kept."""
    statement = render(ask(career, year_from, year_to, language=language, actor=actor).statement_id)
    assert statement.status == "ready", statement.failure
    content = bytes(statement.content)
    [code] = set(CODE.findall(pdf_text(content)))  # in the verification section and each page's foot
    return code, content


def proxy_for(client: Any, owner: Any, scopes: list[str], *, last_name: str = "Proxy") -> tuple[Any, int]:
    """A proxy of ``owner`` signed in on ``client`` and acting on the owner's file."""
    proxy = UserFactory(person=PersonFactory(last_name=last_name), first_name="Sophie", last_name=last_name)
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(owner, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=proxy.person.national_number,
        proxy_last_name=last_name,
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
