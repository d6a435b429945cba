"""An employer with two employees and a declarant, and its monthly declarations by form: the
accounts' tests post their debits this way (the ledger, its rules, the interest)."""

import datetime
from decimal import Decimal

from contributions import ledger, services
from contributions.declarations import declaration_submit
from contributions.models import Declaration
from contributions.types import LineInput
from devtools.rates import demo_rates_seed
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation


def employer_with_staff(*, hired_from: datetime.date, hired_at: datetime.datetime, **enterprise: str) -> dict:
    """Two employees hired from ``hired_from`` (recorded at ``hired_at``), the demo rates."""
    demo_rates_seed()
    firm = EnterpriseFactory(**enterprise)
    declarant = UserFactory()
    representation(declarant, firm, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({firm.pk}))
    staff = [PersonFactory(), PersonFactory()]
    for person in staff:
        services.employment_hire(
            actor=actor,
            enterprise_id=firm.pk,
            national_number=person.national_number,
            worker_category="employee",
            start_date=hired_from,
            now=hired_at,
        )
    return {"enterprise": firm, "declarant": declarant, "actor": actor, "staff": staff}


def declare(employer: dict, period: str, wages: list[str], *, now: datetime.datetime, replace: bool = False):
    """The month declared by form, one line of ``wages[i]`` for the i-th employee."""
    result = declaration_submit(
        actor=employer["actor"],
        enterprise_id=employer["enterprise"].pk,
        period=period,
        lines=[
            LineInput(national_number=p.national_number, worker_category="employee", gross_wage=w, days_worked="20")
            for p, w in zip(employer["staff"], wages, strict=False)
        ],
        replace=replace,
        channel="form",
        now=now,
    )
    assert result.accepted, result.anomalies
    return Declaration.objects.get(pk=result.declaration_id)


def credit(
    employer: dict, amount: str, *, booked_on: datetime.date, now: datetime.datetime, reference: str, source: str
):
    """A transfer of ``amount`` received on ``booked_on``, credited to the account at ``now``."""
    return ledger.credit_post(
        enterprise_id=employer["enterprise"].pk,
        amount=Decimal(amount),
        payment_reference=reference,
        source=source,
        booked_on=booked_on,
        now=now,
    )
