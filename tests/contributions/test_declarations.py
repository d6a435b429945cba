"""Monthly declarations: every blocking error and warning with its code, all-or-nothing,
replacement with its history, and the computed totals."""

import datetime
from decimal import Decimal

import pytest

from contributions import services
from contributions.declarations import declaration_submit
from contributions.models import Declaration, DeclarationLine, DeclarationWarning, Employment
from contributions.types import LineInput
from devtools.rates import demo_rates_seed
from identity.country_profiles import country_profile
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
PERIOD = "2026-10"


@pytest.fixture
def employer():
    demo_rates_seed()
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    staff = [PersonFactory(), PersonFactory()]
    for person in staff:
        services.employment_hire(
            actor=actor,
            enterprise_id=enterprise.pk,
            national_number=person.national_number,
            worker_category="employee",
            start_date=datetime.date(2026, 10, 1),
            now=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC),
        )
    return {"enterprise": enterprise, "actor": actor, "staff": staff}


def _line(person, wage="3000.00", days="22", category="employee", number=None):
    return LineInput(
        national_number=number or person.national_number, worker_category=category, gross_wage=wage, days_worked=days
    )


def _submit(employer, lines, period=PERIOD, replace=False, now=NOW):
    return declaration_submit(
        actor=employer["actor"],
        enterprise_id=employer["enterprise"].pk,
        period=period,
        lines=lines,
        replace=replace,
        channel="form",
        now=now,
    )


def test_an_accepted_declaration_stores_lines_and_totals_per_branch(employer):
    first, second = employer["staff"]
    result = _submit(employer, [_line(first, "5000.00"), _line(second, "2000.00")])

    assert result.accepted and result.anomalies == ()
    declaration = Declaration.objects.get()
    # pension: 4005 × 0.069 = 276.345 → 276.35 and 2000 × 0.069 = 138.00 → 414.35 employee
    #          4005 × 0.0855 = 342.4275 → 342.43 and 2000 × 0.0855 = 171.00 → 513.43 employer
    assert declaration.totals["pension"] == ["414.35", "513.43"]
    assert declaration.total_wages == Decimal("7000.00")
    assert (declaration.reference, declaration.version, declaration.line_count) == (result.reference, 1, 2)
    assert DeclarationLine.objects.count() == 2


@pytest.mark.parametrize(
    ("line_change", "code", "field"),
    [
        ({"number": "85.07.30-033.29"}, "national_number_checksum", "national_number"),
        ({"number": "85073003329"}, "national_number_checksum", "national_number"),  # compact, not in the registry
        ({"number": "1234"}, "national_number_length", "national_number"),
        ({"wage": "-1.00"}, "wage_negative", "gross_wage"),
        ({"wage": "10000000.00"}, "wage_too_large", "gross_wage"),
        ({"wage": "1e20"}, "wage_invalid", "gross_wage"),
        ({"wage": "12.345"}, "wage_invalid", "gross_wage"),
        ({"wage": "abc"}, "wage_invalid", "gross_wage"),
        ({"days": "32"}, "days_outside_month", "days_worked"),
        ({"days": "two"}, "days_invalid", "days_worked"),
        ({"category": "astronaut"}, "category_unknown", "worker_category"),
    ],
)
def test_every_blocking_error_rejects_the_whole_declaration_with_its_code(employer, line_change, code, field):
    first, second = employer["staff"]
    result = _submit(employer, [_line(first), _line(second, **line_change)])

    assert not result.accepted
    assert [(a.code, a.line_number, a.field, a.severity) for a in result.errors] == [(code, 2, field, "error")]
    assert result.errors[0].message
    assert not Declaration.objects.exists() and not DeclarationLine.objects.exists()


def test_unknown_and_deceased_persons_and_duplicates_are_blocking(employer):
    first, _second = employer["staff"]
    unknown = country_profile().synthetic_person_number(datetime.date(1970, 1, 1), 999)
    deceased = PersonFactory(death_date=datetime.date(2026, 9, 1))
    result = _submit(employer, [_line(first), _line(None, number=unknown), _line(deceased), _line(first)])

    assert [(a.code, a.line_number) for a in result.errors] == [
        ("person_unknown", 2),
        ("person_deceased", 3),
        ("line_duplicate", 4),
    ]
    assert not Declaration.objects.exists()


def test_every_error_is_listed_not_only_the_first(employer):
    first, second = employer["staff"]
    result = _submit(employer, [_line(first, wage="-5"), _line(second, days="40")], period="2099-01")
    assert {a.code for a in result.errors} == {"period_future", "wage_negative", "days_outside_month"}


def test_a_period_is_declared_once_and_a_replacement_takes_over_atomically(employer):
    first, second = employer["staff"]
    original = _submit(employer, [_line(first), _line(second)])
    again = _submit(employer, [_line(first)])
    assert [a.code for a in again.errors] == ["period_declared"]

    replacement = _submit(employer, [_line(first, "3100.00"), _line(second)], replace=True)

    assert replacement.accepted
    versions = list(Declaration.objects.order_by("version").values_list("reference", "version", "status"))
    assert versions == [(original.reference, 1, "replaced"), (replacement.reference, 2, "in_force")]


def test_replacing_what_does_not_exist_is_refused(employer):
    first, _ = employer["staff"]
    result = _submit(employer, [_line(first)], replace=True)
    assert [a.code for a in result.errors] == ["nothing_to_replace"]
    assert not Declaration.objects.exists()


def test_warnings_travel_with_an_accepted_declaration(employer):
    first, second = employer["staff"]
    stranger = PersonFactory()
    for month in ("2026-07", "2026-08", "2026-09"):
        assert _submit(employer, [_line(first, "3000.00"), _line(second, "3000.00")], period=month).accepted

    result = _submit(employer, [_line(first, "3000.00"), _line(second, "9000.00"), _line(stranger)])

    assert result.accepted
    assert [(a.code, a.line_number) for a in result.warnings] == [("wage_deviation", 2), ("not_hired", 3)]
    stored = Declaration.objects.get(period=PERIOD)
    assert sorted(DeclarationWarning.objects.filter(declaration=stored).values_list("code", "line_number")) == [
        ("not_hired", 3),
        ("wage_deviation", 2),
    ]


def test_nobody_declares_for_an_enterprise_they_do_not_represent(employer):
    outsider = citizen_actor(UserFactory())
    with pytest.raises(services.NotFound):
        declaration_submit(
            actor=outsider,
            enterprise_id=employer["enterprise"].pk,
            period=PERIOD,
            lines=[_line(employer["staff"][0])],
            replace=False,
            channel="form",
            now=NOW,
        )
    assert not Declaration.objects.exists()
    assert Employment.objects.count() == 2


# The form declares October 2026 and reads the clock (a period must have ended): on NOW, as the
# services in this file are told.
@pytest.mark.time_machine(NOW, tick=False)
def test_the_form_is_prefilled_rejects_with_line_errors_and_accepts_with_a_receipt(client, employer):
    from django.urls import reverse

    from tests.helpers import sign_in

    first, second = employer["staff"]
    declarant = UserFactory()
    representation(declarant, employer["enterprise"], "declarant")
    sign_in(client, declarant)
    url = reverse("contributions:declarations", args=[employer["enterprise"].pk])

    page = client.get(url + "?period=2026-10", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert first.national_number in page and second.national_number in page
    data = {
        "period": "2026-10",
        "national_number": [first.national_number, second.national_number],
        "worker_category": ["employee", "employee"],
        "gross_wage": ["3000.00", "-4"],
        "days_worked": ["22", "22"],
    }
    rejected = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert rejected.status_code == 400
    body = rejected.content.decode()
    assert "The declaration is rejected: 1 blocking error." in body
    assert "Line 2: The gross wage cannot be negative." in body
    assert not Declaration.objects.exists()

    data["gross_wage"] = ["3000.00", "2500.00"]
    accepted = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    declaration = Declaration.objects.get()
    assert accepted["Location"] == reverse(
        "contributions:declaration", args=[employer["enterprise"].pk, declaration.pk]
    )
    receipt = client.get(accepted["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Receipt {declaration.reference}" in receipt
    assert "5,500.00 €" in receipt


def test_receipts_and_forms_of_another_enterprise_answer_404(client, employer):
    from django.urls import reverse

    from tests.helpers import sign_in

    result = _submit(employer, [_line(employer["staff"][0])])
    other = EnterpriseFactory()
    other_user = UserFactory()
    representation(other_user, other, "declarant")
    sign_in(client, other_user)

    assert client.get(reverse("contributions:declarations", args=[employer["enterprise"].pk])).status_code == 404
    assert (
        client.get(
            reverse("contributions:declaration", args=[employer["enterprise"].pk, result.declaration_id])
        ).status_code
        == 404
    )
    assert client.get(reverse("contributions:declaration", args=[other.pk, result.declaration_id])).status_code == 404


# The one notation of an amount (contributions.declarations.amount_parse): ASCII digits, at most
# two decimals after a point; the form also reads a decimal comma. Everything Python's parser
# would make something of is a line error instead.
STRICTLY_REFUSED = [
    "1e3",
    "1_000.00",
    "１０００.００",
    "١٠٠٠",
    "+5.00",
    ".5",
    "5.",
    "1 000.00",
    "1,000.00",
    "NaN",
    "Infinity",
]


@pytest.mark.parametrize("wage", STRICTLY_REFUSED)
def test_an_amount_in_another_notation_is_a_line_error_on_the_form(employer, wage):
    first, second = employer["staff"]
    result = _submit(employer, [_line(first), _line(second, wage=wage)])

    assert [(a.code, a.line_number, a.field) for a in result.errors] == [("wage_invalid", 2, "gross_wage")]
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(("wage", "days"), [("-0.00", "20"), ("-5", "20")])
def test_a_sign_is_refused_even_on_zero(employer, wage, days):
    first, _second = employer["staff"]
    result = _submit(employer, [_line(first, wage=wage, days=days)])
    assert [a.code for a in result.errors] == ["wage_negative"]


@pytest.mark.parametrize("days", ["+5", "٥", "1_0", "5.0", "-1"])
def test_days_worked_are_ascii_digits_only(employer, days):
    first, _second = employer["staff"]
    result = _submit(employer, [_line(first, days=days)])
    assert [a.code for a in result.errors] == ["days_invalid"]


def test_the_form_reads_a_decimal_comma_and_the_api_channel_does_not(employer):
    first, _second = employer["staff"]
    via_form = _submit(employer, [_line(first, wage="2950,50")])
    assert via_form.accepted
    assert DeclarationLine.objects.get().gross_wage == Decimal("2950.50")

    via_api = declaration_submit(
        actor=employer["actor"],
        enterprise_id=employer["enterprise"].pk,
        period=PERIOD,
        lines=[_line(first, wage="2950,50")],
        replace=True,
        channel="api",
        now=NOW,
    )
    assert [a.code for a in via_api.errors] == ["wage_invalid"]
