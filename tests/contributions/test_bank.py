"""Bank transfers: staff import a camt.053 statement; a booked credit whose structured reference
names an enterprise credits its account (once, whatever the repeats and overlaps); the others
wait in the work queue, where staff assign them or mark them for refund."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from stdnum import iso11649

from contributions import bank, ledger, services
from contributions.declarations import declaration_submit
from contributions.models import Allocation, BankStatementImport, BankTransaction, Declaration, LedgerEntry
from contributions.types import BankStatementError, LineInput
from core.actor import LevelOfAssurance
from devtools.rates import demo_rates_seed
from tests.helpers import citizen_actor, sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
ACCOUNT = "BE68539007547034"
# One employee line of 3,000.00 costs 972.90 in 2026 with the demo rates, one of 2,000.00 648.60
# (hand-worked in test_ledger.py).
LINE_3000 = Decimal("972.90")
LINE_2000 = Decimal("648.60")
NAMESPACES = {
    "02": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "08": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
}


# --- camt.053 files, written as the two ends of the supported range write them ----------------


def tx(*, amount=None, debtor="", iban="", strd="", ustrd="", ref=""):
    return {"amount": amount, "debtor": debtor, "iban": iban, "strd": strd, "ustrd": ustrd, "ref": ref}


def ntry(*, ref, amount, indicator="CRDT", status="BOOK", currency="EUR", booked="2026-11-09", txs=()):
    return {
        "ref": ref,
        "amount": amount,
        "indicator": indicator,
        "status": status,
        "currency": currency,
        "booked": booked,
        "txs": list(txs),
    }


def _tx_xml(version, currency, details):
    amount = ""
    if details["amount"] is not None:
        amount = (
            f'<Amt Ccy="{currency}">{details["amount"]}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            if version == "08"
            else f'<AmtDtls><TxAmt><Amt Ccy="{currency}">{details["amount"]}</Amt></TxAmt></AmtDtls>'
        )
    refs = f"<Refs><EndToEndId>{details['ref'] or 'NOTPROVIDED'}</EndToEndId></Refs>"
    parties = ""
    if details["debtor"] or details["iban"]:
        name = (
            f"<Dbtr><Pty><Nm>{details['debtor']}</Nm></Pty></Dbtr>"
            if version == "08"
            else f"<Dbtr><Nm>{details['debtor']}</Nm></Dbtr>"
        )
        parties = f"<RltdPties>{name}<DbtrAcct><Id><IBAN>{details['iban']}</IBAN></Id></DbtrAcct></RltdPties>"
    remittance = ""
    if details["strd"]:
        remittance = (
            "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
            f"<Ref>{details['strd']}</Ref></CdtrRefInf></Strd></RmtInf>"
        )
    elif details["ustrd"]:
        remittance = f"<RmtInf><Ustrd>{details['ustrd']}</Ustrd></RmtInf>"
    return f"<TxDtls>{refs}{amount}{parties}{remittance}</TxDtls>"


def camt(version, entries, *, statement_id="STMT-20261109", account=ACCOUNT):
    body = []
    for entry in entries:
        status = f"<Sts><Cd>{entry['status']}</Cd></Sts>" if version == "08" else f"<Sts>{entry['status']}</Sts>"
        details = "".join(_tx_xml(version, entry["currency"], t) for t in entry["txs"])
        body.append(
            f"<Ntry><NtryRef>{entry['ref']}</NtryRef>"
            f'<Amt Ccy="{entry["currency"]}">{entry["amount"]}</Amt>'
            f"<CdtDbtInd>{entry['indicator']}</CdtDbtInd>{status}"
            f"<BookgDt><Dt>{entry['booked']}</Dt></BookgDt><ValDt><Dt>{entry['booked']}</Dt></ValDt>"
            f"<AcctSvcrRef>{entry['ref']}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            + (f"<NtryDtls>{details}</NtryDtls>" if details else "")
            + "</Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NAMESPACES[version]}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<BkToCstmrStmt><GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-10T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>2026-11-10T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + "".join(body)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _broken_check_digits(reference):
    wrong = f"{(int(reference[2:4]) + 1) % 100:02d}"
    assert not iso11649.is_valid(reference[:2] + wrong + reference[4:])
    return reference[:2] + wrong + reference[4:]


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (the back office follows the browser's language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def employer(settings):
    settings.DECLARATION_DUE_DAY = 15
    demo_rates_seed()
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    person = PersonFactory()
    services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=person.national_number,
        worker_category="employee",
        start_date=datetime.date(2026, 8, 1),
        now=datetime.datetime(2026, 7, 20, tzinfo=datetime.UTC),
    )
    debits = {}
    for period, wage in (("2026-09", "3000.00"), ("2026-10", "2000.00")):
        result = declaration_submit(
            actor=actor,
            enterprise_id=enterprise.pk,
            period=period,
            lines=[
                LineInput(
                    national_number=person.national_number,
                    worker_category="employee",
                    gross_wage=wage,
                    days_worked="20",
                )
            ],
            replace=False,
            channel="form",
            now=NOW,
        )
        assert result.accepted, result.anomalies
        debits[period] = LedgerEntry.objects.get(declaration=Declaration.objects.get(pk=result.declaration_id))
    # September (972.90) is older; October (648.60) is the one the transfers below name.
    return {
        "enterprise": enterprise,
        "declarant": declarant,
        "september": debits["2026-09"],
        "october": debits["2026-10"],
    }


def _finance_user(**extra):
    user = with_totp(UserFactory(is_staff=True, **extra))
    user.groups.add(Group.objects.get(name="Finance"))
    return user


@pytest.fixture
def finance():
    return _finance_user()


def _import(user, content, name="statement.xml"):
    return bank.bank_statement_import(actor=staff_actor(user), file_name=name, content=content, now=NOW)


def _payments():
    return list(
        LedgerEntry.objects.filter(kind="payment")
        .order_by("pk")
        .values_list("enterprise_id", "amount", "payment_reference", "source", "booked_on")
    )


def _nothing_stored():
    return (BankStatementImport.objects.count(), BankTransaction.objects.count(), _payments()) == (0, 0, [])


def _full_statement(version, employer):
    reference = employer["october"].payment_reference
    return camt(
        version,
        [
            ntry(
                ref="E1",
                amount="648.60",
                txs=[tx(debtor="Boulangerie Dupont", iban="BE71096123456769", strd=reference, ref="E2E-1")],
            ),
            ntry(ref="E2", amount="10.00", txs=[tx(debtor="Typo SPRL", strd=_broken_check_digits(reference))]),
            ntry(ref="E3", amount="20.00", txs=[tx(debtor="Free Text SA", ustrd="cotisations octobre")]),
            ntry(ref="E4", amount="99.00", indicator="DBIT", txs=[tx(debtor="Bank fees")]),
            ntry(ref="E5", amount="30.00", status="PDNG", txs=[tx(debtor="Pending SA", strd=reference)]),
            ntry(
                ref="E6",
                amount="150.00",
                txs=[
                    tx(amount="100.00", debtor="Batch One", ustrd="first"),
                    tx(amount="50.00", debtor="Batch Two", ustrd="second"),
                ],
            ),
            ntry(ref="E7", amount="200.00", currency="USD", txs=[tx(debtor="Dollar Inc", strd=reference)]),
        ],
    )


# --- Import -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["02", "08"])
def test_import_credits_the_referenced_debit_and_queues_the_rest(version, employer, finance):
    enterprise = employer["enterprise"]
    reference = employer["october"].payment_reference

    imported = _import(finance, _full_statement(version, employer), name="camt053.xml")

    assert (
        imported.file_name,
        imported.statement_id,
        imported.account_iban,
        imported.imported_by_id,
        imported.imported_at,
        imported.credit_count,
        imported.matched_count,
        imported.unmatched_count,
        imported.already_imported_count,
        imported.skipped_count,
    ) == ("camt053.xml", "STMT-20261109", ACCOUNT, finance.pk, NOW, 6, 1, 5, 0, 2)
    rows = list(
        BankTransaction.objects.order_by("entry_reference", "index").values_list(
            "entry_reference",
            "index",
            "amount",
            "currency",
            "status",
            "enterprise_id",
            "debtor_name",
            "structured_reference",
            "unstructured_remittance",
            "payment_reference",
            "note",
        )
    )
    broken = _broken_check_digits(reference)
    assert rows == [
        (
            "E1",
            0,
            Decimal("648.60"),
            "EUR",
            "matched",
            enterprise.pk,
            "Boulangerie Dupont",
            reference,
            "",
            reference,
            "",
        ),
        ("E2", 0, Decimal("10.00"), "EUR", "unmatched", None, "Typo SPRL", broken, "", "", ""),
        ("E3", 0, Decimal("20.00"), "EUR", "unmatched", None, "Free Text SA", "", "cotisations octobre", "", ""),
        ("E6", 0, Decimal("100.00"), "EUR", "unmatched", None, "Batch One", "", "first", "", ""),
        ("E6", 1, Decimal("50.00"), "EUR", "unmatched", None, "Batch Two", "", "second", "", ""),
        (
            "E7",
            0,
            Decimal("200.00"),
            "USD",
            "unmatched",
            None,
            "Dollar Inc",
            reference,
            "",
            "",
            "Paid in USD: not credited automatically.",
        ),
    ]
    matched = BankTransaction.objects.get(entry_reference="E1")
    assert (matched.booking_date, matched.value_date, matched.debtor_iban, matched.account_iban) == (
        datetime.date(2026, 11, 9),
        datetime.date(2026, 11, 9),
        "BE71096123456769",
        ACCOUNT,
    )
    assert _payments() == [
        (enterprise.pk, Decimal("-648.60"), reference, f"bank:{ACCOUNT}:E1:0", datetime.date(2026, 11, 9))
    ]
    # The named period is settled, not the older one.
    assert list(Allocation.objects.values_list("debit_id", "amount")) == [(employer["october"].pk, LINE_2000)]


def test_the_same_file_twice_is_recognised_and_changes_nothing(employer, finance):
    content = _full_statement("08", employer)
    _import(finance, content)

    with pytest.raises(BankStatementError) as refused:
        _import(finance, content, name="again.xml")

    assert refused.value.code == "already_imported"
    assert list(BankStatementImport.objects.values_list("file_name", flat=True)) == ["statement.xml"]
    assert BankTransaction.objects.count() == 6
    assert len(_payments()) == 1
    assert Allocation.objects.count() == 1


def test_an_overlapping_statement_does_not_bring_nor_credit_a_transfer_twice(employer, finance):
    reference = employer["october"].payment_reference
    september = employer["september"].payment_reference
    first = ntry(ref="E1", amount="648.60", txs=[tx(debtor="Boulangerie Dupont", strd=reference)])
    earlier = _import(finance, camt("02", [first, ntry(ref="E3", amount="20.00", txs=[tx(ustrd="free")])]))

    second = _import(
        finance,
        camt(
            "02",
            [first, ntry(ref="E8", amount="972.90", booked="2026-11-10", txs=[tx(strd=september)])],
            statement_id="STMT-20261110",
        ),
    )

    assert (second.credit_count, second.matched_count, second.unmatched_count, second.already_imported_count) == (
        2,
        1,
        0,
        1,
    )
    assert list(BankTransaction.objects.order_by("pk").values_list("entry_reference", "statement_import_id")) == [
        ("E1", earlier.pk),
        ("E3", earlier.pk),
        ("E8", second.pk),
    ]
    assert [source for _e, _a, _r, source, _b in _payments()] == [f"bank:{ACCOUNT}:E1:0", f"bank:{ACCOUNT}:E8:0"]
    assert sorted(Allocation.objects.values_list("debit_id", "amount")) == sorted(
        [(employer["october"].pk, LINE_2000), (employer["september"].pk, LINE_3000)]
    )


def test_transfers_without_any_bank_reference_are_recognised_by_their_content(employer, finance):
    """A bank that gives no reference at all: the same transfer in two statements is one row,
    and two identical transfers of a day are two."""
    reference = employer["october"].payment_reference
    same = tx(debtor="Dupont", strd=reference)

    def file(entries, statement_id):
        return (
            camt("08", entries, statement_id=statement_id)
            .replace(b"<NtryRef></NtryRef>", b"")
            .replace(b"<AcctSvcrRef></AcctSvcrRef>", b"")
        )

    first = _import(
        finance, file([ntry(ref="", amount="10.00", txs=[same]), ntry(ref="", amount="10.00", txs=[same])], "S1")
    )
    second = _import(finance, file([ntry(ref="", amount="10.00", txs=[same])], "S2"))

    assert (first.matched_count, second.matched_count, second.already_imported_count) == (2, 0, 1)
    assert BankTransaction.objects.count() == 2
    assert len(_payments()) == 2


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"this is not XML", "not_xml"),
        (b"<Document><BkToCstmrStmt>", "not_xml"),
        (b'<?xml version="1.0"?><Document xmlns="urn:x"><BkToCstmrAcctRpt/></Document>', "not_camt053"),
        (b"<Invoice><BkToCstmrStmt/></Invoice>", "not_camt053"),
        (b"<Document><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>", "no_statement"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
            b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
            b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
            b"]>\n<Document><BkToCstmrStmt><Stmt><Id>&lol3;</Id></Stmt></BkToCstmrStmt></Document>",
            "unsafe_xml",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Document><BkToCstmrStmt><Stmt><Id>&x;</Id></Stmt></BkToCstmrStmt></Document>",
            "unsafe_xml",
        ),
    ],
)
def test_a_file_that_is_not_a_statement_is_refused_and_nothing_is_stored(content, code, finance):
    with pytest.raises(BankStatementError) as refused:
        _import(finance, content)
    assert refused.value.code == code
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("replace", "code", "detail"),
    [
        ((b">648.60</Amt>", b">648,60</Amt>"), "amount_invalid", "STMT-20261109 #1: 648,60 EUR"),
        ((b'<Amt Ccy="EUR">648.60</Amt>', b'<Amt Ccy="EUR">-648.60</Amt>'), "amount_invalid", ""),
        ((b'<Amt Ccy="EUR">648.60</Amt>', b'<Amt Ccy="EUR">648.601</Amt>'), "amount_invalid", ""),
        ((b"<BookgDt><Dt>2026-11-09</Dt>", b"<BookgDt><Dt>2026-13-45</Dt>"), "date_invalid", ""),
        ((b"<BookgDt><Dt>2026-11-09</Dt></BookgDt>", b""), "date_invalid", "STMT-20261109 #1"),
    ],
)
def test_a_malformed_amount_or_date_refuses_the_whole_file(replace, code, detail, employer, finance):
    reference = employer["october"].payment_reference
    good = ntry(ref="E0", amount="1.00", booked="2026-11-08", txs=[tx(strd=reference)])
    bad = ntry(ref="E1", amount="648.60", txs=[tx(strd=reference)])
    content = camt("02", [bad, good])
    assert replace[0] in content
    content = content.replace(*replace)

    with pytest.raises(BankStatementError) as refused:
        _import(finance, content)

    assert refused.value.code == code
    if detail:
        assert refused.value.detail == detail
    assert _nothing_stored()


def test_a_file_over_the_limit_is_refused(settings, employer, finance):
    content = _full_statement("02", employer)
    settings.BANK_STATEMENT_MAX_BYTES = len(content) - 1

    with pytest.raises(BankStatementError) as refused:
        _import(finance, content)

    assert refused.value.code == "too_large"
    assert _nothing_stored()
    settings.BANK_STATEMENT_MAX_BYTES = len(content)
    assert _import(finance, content).credit_count == 6


def test_a_file_with_statements_of_two_accounts_is_refused(finance):
    one = camt("02", [ntry(ref="E1", amount="1.00", txs=[tx(ustrd="x")])])
    other = camt("02", [], statement_id="S2", account="BE71096123456769")
    statement_of_other = other[other.index(b"<Stmt>") : other.index(b"</BkToCstmrStmt>")]
    content = one.replace(b"</BkToCstmrStmt>", statement_of_other + b"</BkToCstmrStmt>")

    with pytest.raises(BankStatementError) as refused:
        _import(finance, content)

    assert (refused.value.code, refused.value.detail) == ("several_accounts", f"{ACCOUNT}, BE71096123456769")
    assert _nothing_stored()


def test_dates_with_times_and_accounts_without_iban_are_read(employer, finance):
    reference = employer["october"].payment_reference
    content = (
        camt("08", [ntry(ref="E1", amount="648.60", txs=[tx(strd=reference)])])
        .replace(b"<BookgDt><Dt>2026-11-09</Dt>", b"<BookgDt><DtTm>2026-11-09T23:30:00+01:00</DtTm>")
        .replace(f"<IBAN>{ACCOUNT}</IBAN></Id><Ccy>".encode(), b"<Othr><Id>0012 3456</Id></Othr></Id><Ccy>")
    )

    imported = _import(finance, content)

    assert (imported.account_iban, imported.matched_count) == ("00123456", 1)
    assert BankTransaction.objects.get().booking_date == datetime.date(2026, 11, 9)
    assert _payments()[0][3] == "bank:00123456:E1:0"


@pytest.mark.parametrize(
    "who",
    ["staff_without_permission", "finance_without_second_factor", "citizen_with_second_factor", "inactive_finance"],
)
def test_only_finance_staff_with_a_second_factor_may_import(who, employer):
    if who == "staff_without_permission":
        actor = staff_actor(with_totp(UserFactory(is_staff=True)))
    elif who == "finance_without_second_factor":
        user = _finance_user()
        actor = dataclasses.replace(staff_actor(user), level_of_assurance=LevelOfAssurance.LOW)
    elif who == "citizen_with_second_factor":
        user = with_totp(UserFactory())
        user.groups.add(Group.objects.get(name="Finance"))  # a group does not make staff
        actor = citizen_actor(user, level=LevelOfAssurance.SUBSTANTIAL)
    else:
        actor = staff_actor(_finance_user(is_active=False))

    with pytest.raises(services.NotFound):
        bank.bank_statement_import(actor=actor, file_name="s.xml", content=_full_statement("02", employer), now=NOW)

    assert _nothing_stored()


def test_the_enterprise_number_is_read_from_our_references(employer):
    number = employer["enterprise"].enterprise_number
    assert bank.reference_enterprise_number(employer["october"].payment_reference) == number
    assert bank.reference_enterprise_number(employer["october"].payment_reference.lower()) == number
    assert bank.reference_enterprise_number(_broken_check_digits(employer["october"].payment_reference)) is None
    assert bank.reference_enterprise_number("RF18539007547034") is None  # valid, but not shaped like ours


# --- The work queue ---------------------------------------------------------------------------


def _queued(employer, finance, ref="E3"):
    _import(finance, _full_statement("02", employer))
    return BankTransaction.objects.get(entry_reference=ref)


def test_assigning_a_queued_transfer_credits_the_enterprise_once(employer, finance):
    queued = _queued(employer, finance)
    enterprise = employer["enterprise"]
    september = employer["september"].payment_reference
    resolve_at = NOW + datetime.timedelta(hours=1)

    for _attempt in range(2):
        bank.bank_transaction_resolve(
            actor=staff_actor(finance),
            transaction_id=queued.pk,
            enterprise_id=enterprise.pk,
            payment_reference=september.lower(),
            now=resolve_at,
        )

    queued.refresh_from_db()
    assert (
        queued.status,
        queued.enterprise_id,
        queued.payment_reference,
        queued.resolved_by_id,
        queued.resolved_at,
    ) == ("resolved", enterprise.pk, september, finance.pk, resolve_at)
    assert _payments()[1:] == [
        (enterprise.pk, Decimal("-20.00"), september, f"bank:{ACCOUNT}:E3:0", datetime.date(2026, 11, 9))
    ]
    credit = LedgerEntry.objects.get(source=f"bank:{ACCOUNT}:E3:0")
    assert list(Allocation.objects.filter(credit=credit).values_list("debit_id", "amount")) == [
        (employer["september"].pk, Decimal("20.00"))
    ]
    # Assigned: it cannot go to another enterprise, nor be refunded.
    other = EnterpriseFactory()
    with pytest.raises(BankStatementError) as refused:
        bank.bank_transaction_resolve(
            actor=staff_actor(finance), transaction_id=queued.pk, enterprise_id=other.pk, payment_reference="", now=NOW
        )
    assert refused.value.code == "not_open"
    with pytest.raises(BankStatementError) as refused:
        bank.bank_transaction_return(actor=staff_actor(finance), transaction_id=queued.pk, note="x", now=NOW)
    assert refused.value.code == "not_open"
    assert len(_payments()) == 2


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("reference_invalid", "reference_invalid"),
        ("reference_of_another_enterprise", "reference_other_enterprise"),
        ("unknown_enterprise", "enterprise_unknown"),
        ("not_in_euro", "currency"),
        ("matched_already", "not_open"),
    ],
)
def test_an_assignment_that_does_not_hold_is_refused_and_changes_nothing(case, code, employer, finance):
    queued = _queued(
        employer, finance, ref="E7" if case == "not_in_euro" else "E1" if case == "matched_already" else "E3"
    )
    enterprise_id = employer["enterprise"].pk
    reference = ""
    if case == "reference_invalid":
        reference = _broken_check_digits(employer["october"].payment_reference)
    elif case == "reference_of_another_enterprise":
        other = EnterpriseFactory()
        from contributions.ledger import structured_reference
        from core.periods import Period

        reference = structured_reference(enterprise_number=other.enterprise_number, letter="D", period=Period(2026, 10))
    elif case == "unknown_enterprise":
        enterprise_id = enterprise_id + 1000
    before = (list(BankTransaction.objects.order_by("pk").values()), _payments())

    with pytest.raises(BankStatementError) as refused:
        bank.bank_transaction_resolve(
            actor=staff_actor(finance),
            transaction_id=queued.pk,
            enterprise_id=enterprise_id,
            payment_reference=reference,
            now=NOW,
        )

    assert refused.value.code == code
    assert (list(BankTransaction.objects.order_by("pk").values()), _payments()) == before


def test_marking_for_refund_records_who_and_why_once(employer, finance):
    queued = _queued(employer, finance, ref="E7")
    later = NOW + datetime.timedelta(days=1)

    with pytest.raises(BankStatementError) as refused:
        bank.bank_transaction_return(actor=staff_actor(finance), transaction_id=queued.pk, note="  ", now=later)
    assert refused.value.code == "note_required"

    for _attempt in range(2):
        bank.bank_transaction_return(
            actor=staff_actor(finance), transaction_id=queued.pk, note="Paid in dollars by mistake", now=later
        )

    queued.refresh_from_db()
    assert (queued.status, queued.note, queued.resolved_by_id, queued.resolved_at, queued.enterprise_id) == (
        "returned",
        "Paid in USD: not credited automatically.\nPaid in dollars by mistake",
        finance.pk,
        later,
        None,
    )
    with pytest.raises(BankStatementError) as refused:
        bank.bank_transaction_resolve(
            actor=staff_actor(finance),
            transaction_id=queued.pk,
            enterprise_id=employer["enterprise"].pk,
            payment_reference="",
            now=later,
        )
    assert refused.value.code == "not_open"
    assert len(_payments()) == 1


def test_only_finance_staff_handle_the_queue(employer, finance):
    queued = _queued(employer, finance)
    before = list(BankTransaction.objects.order_by("pk").values())
    others = [
        staff_actor(with_totp(UserFactory(is_staff=True))),
        citizen_actor(finance, level=LevelOfAssurance.SUBSTANTIAL),
    ]
    for actor in others:
        with pytest.raises(services.NotFound):
            bank.bank_transaction_resolve(
                actor=actor,
                transaction_id=queued.pk,
                enterprise_id=employer["enterprise"].pk,
                payment_reference="",
                now=NOW,
            )
        with pytest.raises(services.NotFound):
            bank.bank_transaction_return(actor=actor, transaction_id=queued.pk, note="x", now=NOW)
    assert list(BankTransaction.objects.order_by("pk").values()) == before
    assert len(_payments()) == 1


# --- The back office --------------------------------------------------------------------------


def test_finance_staff_import_a_statement_in_the_back_office(client, employer, finance):
    sign_in(client, finance, mfa=True)
    page = client.get(reverse("admin:contributions_bankstatementimport_add"))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()

    response = client.post(
        reverse("admin:contributions_bankstatementimport_add"),
        {"statement": SimpleUploadedFile("nov.xml", _full_statement("08", employer), content_type="text/xml")},
        follow=True,
    )

    imported = BankStatementImport.objects.get()
    assert response.redirect_chain == [
        (reverse("admin:contributions_bankstatementimport_change", args=[imported.pk]), 302)
    ]
    assert [str(message) for message in response.context["messages"]] == [
        "Statement imported. Credits: 6; matched: 1; to be handled: 5; already imported: 0; other entries skipped: 2."
    ]
    assert (imported.file_name, imported.imported_by_id) == ("nov.xml", finance.pk)
    assert len(_payments()) == 1


def test_a_refused_file_is_explained_on_the_import_page(client, finance):
    sign_in(client, finance, mfa=True)

    response = client.post(
        reverse("admin:contributions_bankstatementimport_add"),
        {"statement": SimpleUploadedFile("x.xml", b"<Invoice/>", content_type="text/xml")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "statement": ["The file is not a camt.053 bank statement (ISO 20022 BankToCustomerStatement). — Invoice"]
    }
    assert _nothing_stored()


def test_a_file_over_the_limit_is_refused_by_the_import_page(client, settings, employer, finance):
    settings.BANK_STATEMENT_MAX_BYTES = 100
    sign_in(client, finance, mfa=True)

    response = client.post(
        reverse("admin:contributions_bankstatementimport_add"),
        {"statement": SimpleUploadedFile("big.xml", _full_statement("08", employer), content_type="text/xml")},
    )

    assert response.context["form"].errors == {"statement": ["The file is too large for a bank statement."]}
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("who", "status"), [("staff_without_permission", 403), ("finance_without_second_factor", 302), ("citizen", 302)]
)
def test_the_import_page_is_closed_to_others(who, status, client, employer):
    if who == "staff_without_permission":
        sign_in(client, with_totp(UserFactory(is_staff=True)), mfa=True)
    elif who == "finance_without_second_factor":
        sign_in(client, _finance_user(), mfa=False)
    else:
        sign_in(client, with_totp(UserFactory()), mfa=True)
    url = reverse("admin:contributions_bankstatementimport_add")

    page = client.get(url)
    response = client.post(
        url, {"statement": SimpleUploadedFile("nov.xml", _full_statement("08", employer), content_type="text/xml")}
    )

    assert (page.status_code, response.status_code) == (status, status)
    if status == 302:  # to the sign-in (or second factor) page, never to the import
        assert page["Location"].startswith(reverse("admin:login"))
    assert _nothing_stored()


def test_the_queue_shows_what_is_to_be_handled_and_finds_by_amount_or_name(client, employer, finance):
    _import(finance, _full_statement("02", employer))
    sign_in(client, finance, mfa=True)
    url = reverse("admin:contributions_banktransaction_changelist")

    def shown(query=""):
        response = client.get(url + query)
        assert response.status_code == 200
        return sorted((row.entry_reference, row.index) for row in response.context["cl"].result_list)

    assert shown() == [("E2", 0), ("E3", 0), ("E6", 0), ("E6", 1), ("E7", 0)]
    assert shown("?status=matched") == [("E1", 0)]
    assert len(shown("?status=all")) == 6
    assert shown("?q=1+945") == []
    assert shown("?q=100,00") == [("E6", 0)]
    assert shown("?status=all&q=648.6") == [("E1", 0)]
    assert shown("?q=batch") == [("E6", 0), ("E6", 1)]
    assert shown("?q=octobre") == [("E3", 0)]
    imported = BankStatementImport.objects.get()
    later = _import(finance, camt("02", [ntry(ref="F1", amount="5.00", txs=[tx(ustrd="later")])], statement_id="S2"))
    assert shown(f"?status=all&statement_import={later.pk}") == [("F1", 0)]
    assert len(shown(f"?status=all&statement_import={imported.pk}")) == 6
    statement_page = client.get(reverse("admin:contributions_bankstatementimport_change", args=[imported.pk]))
    assert f"?status=all&amp;statement_import={imported.pk}" in statement_page.content.decode()
    detail = client.get(
        reverse(
            "admin:contributions_banktransaction_change", args=[BankTransaction.objects.get(entry_reference="E3").pk]
        )
    )
    assert detail.status_code == 200
    assert "cotisations octobre" in detail.content.decode()


def test_the_queue_page_runs_the_same_queries_whatever_its_length(client, employer, finance):
    sign_in(client, finance, mfa=True)
    url = reverse("admin:contributions_banktransaction_changelist") + "?status=all"
    _import(finance, camt("02", [ntry(ref="A1", amount="1.00", txs=[tx(strd=employer["october"].payment_reference)])]))
    client.get(url)  # the session's first request does its own bookkeeping
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _import(
        finance,
        camt(
            "02",
            [ntry(ref=f"B{n}", amount="1.00", txs=[tx(strd=employer["september"].payment_reference)]) for n in range(8)]
            + [ntry(ref=f"C{n}", amount="1.00", txs=[tx(ustrd="?")]) for n in range(8)],
            statement_id="S2",
        ),
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_staff_assign_a_queued_transfer_through_the_intermediate_page(client, employer, finance):
    queued = _queued(employer, finance)
    enterprise = employer["enterprise"]
    sign_in(client, finance, mfa=True)
    url = reverse("admin:contributions_banktransaction_changelist")
    chosen = {"action": "assign_to_enterprise", ACTION_CHECKBOX_NAME: [queued.pk]}

    page = client.post(url, chosen)
    assert page.status_code == 200
    assert set(page.context["form"].fields) == {"enterprise_number", "payment_reference"}
    assert [t.pk for t in page.context["transfers"]] == [queued.pk]

    wrong = client.post(url, {**chosen, "apply": "yes", "enterprise_number": "0999.999.999"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["enterprise_number"]
    other_reference = client.post(
        url,
        {
            **chosen,
            "apply": "yes",
            "enterprise_number": enterprise.enterprise_number,
            "payment_reference": "RF18539007547034",
        },
    )
    assert other_reference.context["form"].errors == {
        "payment_reference": ["This structured reference is not one of this enterprise's. — RF18539007547034"]
    }
    assert len(_payments()) == 1

    done = client.post(
        url,
        {
            **chosen,
            "apply": "yes",
            "enterprise_number": enterprise.enterprise_number,
            "payment_reference": employer["september"].payment_reference,
        },
        follow=True,
    )

    assert done.redirect_chain[-1][1] == 302
    assert [str(message) for message in done.context["messages"]] == ["1 transfer handled."]
    queued.refresh_from_db()
    assert (queued.status, queued.enterprise_id, queued.resolved_by_id) == ("resolved", enterprise.pk, finance.pk)
    assert [entry[3] for entry in _payments()] == [f"bank:{ACCOUNT}:E1:0", f"bank:{ACCOUNT}:E3:0"]


def test_staff_mark_transfers_for_refund_through_the_intermediate_page(client, employer, finance):
    _import(finance, _full_statement("02", employer))
    chosen_rows = list(BankTransaction.objects.filter(entry_reference="E6").order_by("index"))
    sign_in(client, finance, mfa=True)
    url = reverse("admin:contributions_banktransaction_changelist")
    chosen = {"action": "mark_for_refund", ACTION_CHECKBOX_NAME: [row.pk for row in chosen_rows]}

    assert client.post(url, chosen).context["form"].fields.keys() == {"note"}
    empty = client.post(url, {**chosen, "apply": "yes", "note": ""})
    assert empty.context["form"].errors == {"note": ["This field is required."]}

    done = client.post(url, {**chosen, "apply": "yes", "note": "Not for us"}, follow=True)

    assert [str(message) for message in done.context["messages"]] == ["2 transfers handled."]
    assert list(BankTransaction.objects.filter(entry_reference="E6").values_list("status", "note")) == [
        ("returned", "Not for us"),
        ("returned", "Not for us"),
    ]
    assert len(_payments()) == 1


def test_staff_who_may_only_look_see_no_queue_actions(client, employer, finance):
    _queued(employer, finance)
    viewer = with_totp(UserFactory(is_staff=True))
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_banktransaction"))
    sign_in(client, viewer, mfa=True)
    url = reverse("admin:contributions_banktransaction_changelist")
    queued = BankTransaction.objects.get(entry_reference="E3")

    page = client.get(url)
    response = client.post(
        url,
        {
            "action": "assign_to_enterprise",
            ACTION_CHECKBOX_NAME: [queued.pk],
            "apply": "yes",
            "enterprise_number": employer["enterprise"].enterprise_number,
        },
    )

    assert page.status_code == 200
    assert "assign_to_enterprise" not in page.content.decode()
    assert response.status_code == 200  # the list again: the action is not offered to them
    queued.refresh_from_db()
    assert queued.status == "unmatched"
    assert len(_payments()) == 1


def test_transfers_whose_bank_reference_says_not_provided_are_all_kept(employer, finance):
    """ "NOTPROVIDED" and entry numbers restarting in each statement are no reference: three
    different transfers are three rows; the same three in a later statement, renumbered, are
    not brought twice."""
    reference = employer["october"].payment_reference

    def file(statement_id, numbers):
        content = camt(
            "08",
            [
                ntry(ref=f"N{number}", amount=amount, txs=[tx(debtor="Dupont", strd=reference)])
                for number, amount in zip(numbers, ("100.00", "250.00", "999.00"), strict=True)
            ],
            statement_id=statement_id,
        )
        for number in numbers:
            content = content.replace(
                f"<AcctSvcrRef>N{number}</AcctSvcrRef>".encode(), b"<AcctSvcrRef>NOTPROVIDED</AcctSvcrRef>"
            )
        return content

    first = _import(finance, file("S1", (1, 2, 3)))
    second = _import(finance, file("S2", (7, 8, 9)))

    assert (first.matched_count, second.matched_count, second.already_imported_count) == (3, 0, 3)
    assert sorted(BankTransaction.objects.values_list("amount", flat=True)) == [
        Decimal("100.00"),
        Decimal("250.00"),
        Decimal("999.00"),
    ]


# --- Interest of a month already charged, corrected for a transfer booked in it ----------------


def test_a_transfer_imported_after_its_month_was_charged_interest_gets_that_interest_corrected(
    employer, finance, settings, client, django_capture_on_commit_callbacks
):
    from core.periods import Period

    settings.LATE_INTEREST_MINIMUM = "1.00"
    enterprise = employer["enterprise"]
    october = employer["october"]
    with django_capture_on_commit_callbacks(execute=True):
        # November (both declared on 10 November): September's 30 × 972.90 + October's 16–30
        # November 15 × 648.60 = 38,916.00 × 7 % / 365 = 7.463… → 7.46, on 1 December at 04:00.
        # And October caught up: September's debit, declared late, owes interest from its due
        # date, 16–31 October 16 × 972.90 × 7 % / 365 = 2.985… → 2.99.
        december_run = datetime.datetime(2026, 12, 1, 3, tzinfo=datetime.UTC)
        assert ledger.interest_post(month=Period(2026, 11), now=december_run) == 2
        # Paid on 27 November, imported on 3 December.
        content = camt(
            "08",
            [
                ntry(
                    ref="LATE1",
                    amount="648.60",
                    booked="2026-11-27",
                    txs=[tx(debtor="Dupont", strd=october.payment_reference)],
                )
            ],
            statement_id="STMT-20261203",
        )
        bank.bank_statement_import(
            actor=staff_actor(finance),
            file_name="late.xml",
            content=content,
            now=datetime.datetime(2026, 12, 3, 9, tzinfo=datetime.UTC),
        )
        # 1 January: December, 31 × 972.90 × 7 % / 365 = 5.784… → 5.78; November again,
        # 29,187.00 + 16–27 November 12 × 648.60 = 36,970.20 × 7 % / 365 = 7.090… → 7.09.
        january_run = datetime.datetime(2027, 1, 1, 3, tzinfo=datetime.UTC)
        assert ledger.interest_post(month=Period(2026, 12), now=january_run) == 2
        assert ledger.interest_post(month=Period(2026, 12), now=january_run) == 0

    assert list(
        LedgerEntry.objects.filter(kind="interest").order_by("pk").values_list("period", "amount", "booked_on")
    ) == [
        ("2026-11", Decimal("7.46"), datetime.date(2026, 12, 1)),
        ("2026-10", Decimal("2.99"), datetime.date(2026, 12, 1)),
        ("2026-12", Decimal("5.78"), datetime.date(2027, 1, 1)),
        ("2026-11", Decimal("-0.37"), datetime.date(2027, 1, 1)),
    ]
    # 972.90 + 648.60 + 7.46 + 2.99 − 648.60 + 5.78 − 0.37
    balance = LedgerEntry.objects.filter(enterprise=enterprise).aggregate(total=Sum("amount"))["total"]
    assert balance == Decimal("988.76")

    # The account page reads the clock (a year after next is refused): read it the day after the
    # January run, not on the real date.
    with time_machine.travel(january_run + datetime.timedelta(days=1), tick=False):
        sign_in(client, employer["declarant"])
        page = client.get(reverse("contributions:account", args=[enterprise.pk]), {"year": "2027"})
        statement = b"".join(client.get(reverse("contributions:statement_csv", args=[enterprise.pk])).streaming_content)
    assert page.status_code == 200
    assert [label for _entry, label in page.context["entries"]] == [
        "late-payment interest",
        "correction of late-payment interest",
    ]
    assert "2027-01-01,correction of late-payment interest,2026-11,RF" in statement.decode()
    assert ",-0.37,988.76\r\n" in statement.decode()
    assert "2026-12-01,late-payment interest caught up for an earlier month,2026-10,RF" in statement.decode()
