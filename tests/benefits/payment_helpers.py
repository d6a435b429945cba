"""Pensioners with an entitlement in payment and an account on file, finance officers, and the
pain.001 schema sepaxml ships (the official ISO 20022 XSD)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import sepaxml
from django.contrib.auth.models import Group
from django.utils import timezone

from benefits import services
from benefits.models import Entitlement, PaymentFile
from benefits.payments.amounts import entitlement_amounts_open
from identity.models import BankAccount
from tests.identity.factories import PersonFactory, UserFactory

IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "DE89370400440532013000"
PAIN001_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


def pensioner(
    *,
    amount: str = "1000.00",
    start_on: datetime.date,
    iban: str | None = IBAN,
    periodicity: str = "monthly",
    scheme: str = "old_age_pension",
    end_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
    first_name: str = "Jean",
) -> dict:
    """A person paid ``amount`` from ``start_on`` (an entitlement opened ``now``, its amounts
    indexed as the decision's would be), with a user account and, unless None, a bank account."""
    now = now or timezone.now()
    person = PersonFactory(first_name=first_name, last_name="Dubois", birth_date=datetime.date(1958, 4, 2))
    user = UserFactory(person=person)
    if iban is not None:
        BankAccount.objects.create(
            person=person,
            iban=iban,
            holder_name=f"{first_name} Dubois",
            created_at=now - datetime.timedelta(days=30),
            created_by=user,
        )
    entitlement = Entitlement.objects.create(
        person=person,
        scheme=scheme,
        periodicity=periodicity,
        amount=Decimal(amount),
        start_on=start_on,
        end_on=end_on,
        opened_at=now,
    )
    entitlement_amounts_open(entitlement, now=now)
    return {"person": person, "user": user, "entitlement": entitlement}


def finance_officer(name: str = "Finance"):
    user = UserFactory(is_staff=True, person=PersonFactory(last_name=name))
    user.groups.add(Group.objects.get(name="Finance"))
    return user


def aware(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=datetime.UTC)


def checked_approved_written(run_id: int, now: datetime.datetime) -> list:
    """The run checked by one finance officer, approved by another, its files written."""
    first, second = finance_officer("Checker"), finance_officer("Approver")
    services.payment_run_submit(run_id=run_id, user_id=first.pk, now=now)
    services.payment_run_approve(run_id=run_id, user_id=second.pk, now=now)
    for payment_file in PaymentFile.objects.filter(run_id=run_id):
        services.payment_file_write(file_id=payment_file.pk, now=now)
    return list(PaymentFile.objects.filter(run_id=run_id).order_by("sequence"))


def pain002(message_id: str, original: str, group: str, transactions: list[tuple[str, str, str]]) -> bytes:
    """A bank's payment status report on the file ``original``: its group status, and each
    transaction named with its status and reason code."""
    rows = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>" if code else "")
        + "</TxInfAndSts>"
        for e2e, status, code in transactions
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-01-29T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>"
        f"<GrpSts>{group}</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{original}-1</OrgnlPmtInfId>{rows}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def camt029(message_id: str, case_id: str, transactions: list[tuple[str, str]], confirmation: str = "") -> bytes:
    """A bank's resolution of the recall file ``case_id``: each transfer named by its end-to-end
    id with its cancellation status (CNCL, RJCR), or, naming none, the case's confirmation."""
    rows = "".join(
        f"<TxInfAndSts><CxlStsId>{message_id}-{number}</CxlStsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        f"<TxCxlSts>{status}</TxCxlSts></TxInfAndSts>"
        for number, (e2e, status) in enumerate(transactions, start=1)
    )
    details = f"<CxlDtls><OrgnlPmtInfAndSts><OrgnlPmtInfId>X</OrgnlPmtInfId>{rows}</OrgnlPmtInfAndSts></CxlDtls>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.029.001.09"><RsltnOfInvstgtn>'
        f"<Assgnmt><Id>{message_id}</Id><Assgnr><Agt><FinInstnId><BICFI>GKCCBEBB</BICFI></FinInstnId></Agt>"
        "</Assgnr><Assgne><Pty><Nm>Institution</Nm></Pty></Assgne><CreDtTm>2026-04-24T10:00:00</CreDtTm></Assgnmt>"
        f"<RslvdCase><Id>{case_id}</Id><Cretr><Pty><Nm>Institution</Nm></Pty></Cretr></RslvdCase>"
        f"<Sts><Conf>{confirmation or 'CNCL'}</Conf></Sts>"
        f"{details if transactions else ''}"
        "</RsltnOfInvstgtn></Document>"
    ).encode()
