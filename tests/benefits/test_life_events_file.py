"""Life events imported by registry clerks from a batch file, in a partner's name: each line the
event the partner API would receive, validated by its serializer and the partner's scopes, taken
or rejected on its own (with its line, column and message); the lines taken received in one call,
a repeat acknowledged as a duplicate; a file refused whole stores nothing; the page that imports
it and shows the report, and who may open it; the events then applied to the registry."""

from __future__ import annotations

import datetime
import json
import re
import time

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from benefits import services
from benefits.models import LifeEvent, LifeEventState
from benefits.types import BatchLineError, BatchReport, PartnerRefused
from core.signatures import sign
from identity.country_profiles import country_profile
from identity.models import FamilyLink, Person
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

D = datetime.date
EN = {"Accept-Language": "en"}
HEADER = (
    "id;type;occurred_on;corrects;person;child_national_number;child_first_name;child_last_name;parents;spouses;"
    "marriage_kind;street;postal_code;city;country"
)
IMPORT = "admin:benefits_lifeevent_import"
# Every line rejected, in the file's numbering (the header is line 1): the blank line 5 is skipped.
REJECTED = [
    BatchLineError(
        line=4, field="occurred_on", message="Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
    ),
    BatchLineError(line=6, field="type", message='"divorce" is not a valid choice.'),
    BatchLineError(line=7, field="child_national_number", message="This field is required."),
    BatchLineError(line=8, field="type", message="This partner may not send events of this kind."),
]


def _partner(scopes=("birth", "death", "address"), name="Registre national") -> dict:
    partner_id, key, secret = services.partner_create(name=name, scopes=list(scopes), user_id=None, now=timezone.now())
    return {"id": partner_id, "key": key, "secret": secret}


def _line(**cells: str) -> str:
    return ";".join(cells.get(column, "") for column in HEADER.split(";"))


class Family:
    """A mother and a father in the registry, a grandfather whose death the API sent, a child
    born three days ago (its number not in the registry yet)."""

    def __init__(self) -> None:
        self.mother = PersonFactory(birth_date=D(1990, 1, 1))
        self.father = PersonFactory(birth_date=D(1988, 5, 5))
        self.grandfather = PersonFactory(birth_date=D(1940, 3, 3))
        self.born = timezone.localdate() - datetime.timedelta(days=3)
        self.child_number = country_profile().synthetic_person_number(self.born, 12)
        self.died = timezone.localdate() - datetime.timedelta(days=10)

    def api_death(self) -> dict:
        return {
            "id": "EC-1",
            "type": "death",
            "occurred_on": self.died.isoformat(),
            "data": {"person": self.grandfather.national_number},
        }

    def file(self) -> bytes:
        """A valid birth, the API's death again, a wrong date, a blank line, an unknown kind, a
        birth without the child's number, a marriage (not in the partner's scopes), a move."""
        born = self.born.isoformat()
        parents = f"{self.mother.national_number}|{self.father.national_number}"
        lines = [
            HEADER,
            _line(
                id="EC-100",
                type="birth",
                occurred_on=born,
                child_national_number=self.child_number,
                child_first_name="Léa",
                child_last_name="Dubois",
                parents=parents,
            ),
            _line(id="EC-1", type="death", occurred_on=self.died.isoformat(), person=self.grandfather.national_number),
            _line(id="EC-101", type="death", occurred_on="2024-02-30", person=self.grandfather.national_number),
            "",
            _line(id="EC-102", type="divorce", occurred_on=born, spouses=parents),
            _line(
                id="EC-103",
                type="birth",
                occurred_on=born,
                child_first_name="Tom",
                child_last_name="Dubois",
                parents=parents,
            ),
            _line(id="EC-104", type="marriage", occurred_on=born, spouses=parents),
            _line(
                id="EC-105",
                type="address",
                occurred_on=born,
                person=self.mother.national_number,
                street="Rue Haute 5",
                postal_code="5000",
                city="Namur",
                country="BE",
            ),
        ]
        return ("\r\n".join(lines) + "\r\n").encode()


def _api_send(client, partner: dict, events: list[dict]) -> None:
    body = json.dumps({"events": events}).encode()
    signature = sign(body=body, secret=partner["secret"], at=int(time.time()))
    response = client.post(
        "/api/v1/civil-registry/events/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Partner {partner['key']}", "X-Guichet-Signature": signature},
    )
    assert response.status_code == 202


def _import(partner: dict, content: bytes) -> BatchReport:
    with translation.override("en"):
        return services.life_events_file_import(
            partner_id=partner["id"], content=content, user_id=None, now=timezone.now()
        )


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _stored() -> list[tuple[str, str]]:
    return sorted(LifeEvent.objects.values_list("partner_event_id", "kind"))


# --- The file ------------------------------------------------------------------------------------


def test_each_line_is_taken_or_rejected_on_its_own_and_a_repeat_of_an_api_event_is_a_duplicate(client):
    partner = _partner()
    family = Family()
    _api_send(client, partner, [family.api_death()])

    report = _import(partner, family.file())

    assert report == BatchReport(lines=7, accepted=2, duplicates=1, rejected=4, errors=tuple(REJECTED))
    assert _stored() == [("EC-1", "death"), ("EC-100", "birth"), ("EC-105", "address")]
    birth = LifeEvent.objects.get(partner_event_id="EC-100")
    # Stored as the API would have stored it.
    assert (birth.partner_id, birth.occurred_on, birth.corrects, birth.state) == (
        partner["id"],
        family.born,
        "",
        LifeEventState.RECEIVED,
    )
    assert birth.data == {
        "child": {"national_number": family.child_number, "first_name": "Léa", "last_name": "Dubois"},
        "parents": [family.mother.national_number, family.father.national_number],
    }
    assert LifeEvent.objects.get(partner_event_id="EC-105").data == {
        "person": family.mother.national_number,
        "street": "Rue Haute 5",
        "postal_code": "5000",
        "city": "Namur",
        "country": "BE",
    }


def test_the_same_file_twice_is_all_duplicates_the_second_time():
    partner = _partner()
    family = Family()
    _import(partner, family.file())
    before = list(LifeEvent.objects.order_by("pk").values_list("pk", "partner_event_id", "received_at"))

    again = _import(partner, family.file())

    assert again == BatchReport(lines=7, accepted=0, duplicates=3, rejected=4, errors=tuple(REJECTED))
    assert list(LifeEvent.objects.order_by("pk").values_list("pk", "partner_event_id", "received_at")) == before


def test_commas_a_byte_order_mark_quoted_cells_columns_in_another_order_and_a_line_of_too_few_cells():
    partner = _partner(scopes=("death", "address"))
    person = PersonFactory(birth_date=D(1950, 1, 1))
    moved = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    columns = HEADER.split(";")
    header = ",".join(reversed(columns))
    address = {
        "id": "EC-7",
        "type": "address",
        "occurred_on": moved,
        "person": person.national_number,
        "street": '"Rue de la Paix, 3"',
        "city": "Liège",
        "country": "be",
    }
    line = ",".join(address.get(column, "") for column in reversed(columns))
    content = "\ufeff" + "\n".join([header, line, f"EC-8,death,{moved}"]) + "\n"

    report = _import(partner, content.encode())

    assert report == BatchReport(
        lines=2,
        accepted=1,
        duplicates=0,
        rejected=1,
        errors=(BatchLineError(line=3, field="", message="This line has 3 cells; the header has 15."),),
    )
    assert LifeEvent.objects.get().data == {
        "person": person.national_number,
        "street": "Rue de la Paix, 3",
        "postal_code": "",
        "city": "Liège",
        "country": "be",
    }


def test_a_date_in_the_future_a_third_parent_or_a_wrong_id_are_refused_by_the_apis_rules():
    partner = _partner()
    family = Family()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    parents = "|".join(person.national_number for person in (family.mother, family.father, family.grandfather))
    content = "\n".join(
        [
            HEADER,
            _line(id="EC-1", type="death", occurred_on=tomorrow, person=family.grandfather.national_number),
            _line(
                id="EC-2",
                type="birth",
                occurred_on=family.born.isoformat(),
                child_national_number=family.child_number,
                child_first_name="Léa",
                child_last_name="Dubois",
                parents=parents,
            ),
            _line(id="EC 3", type="death", occurred_on=family.died.isoformat(), person="1" * 21),
        ]
    ).encode()

    report = _import(partner, content)

    assert (report.lines, report.accepted, report.rejected) == (3, 0, 3)
    assert report.errors == (
        BatchLineError(line=2, field="occurred_on", message="Give a date between 1900 and today."),
        BatchLineError(line=3, field="parents", message="Ensure this field has no more than 2 elements."),
        # The data is checked once the id, the kind and the date are right (as the API does).
        BatchLineError(line=4, field="id", message="This value does not match the required pattern."),
    )
    assert LifeEvent.objects.count() == 0


def test_the_report_keeps_the_first_thousand_errors():
    partner = _partner(scopes=("death",))
    # Two errors a line: the id and the date.
    lines = [HEADER, *(_line(id=f"EC {number}", type="death", occurred_on="x") for number in range(1001))]

    report = _import(partner, "\n".join(lines).encode())

    assert (report.lines, report.rejected, len(report.errors), report.errors_left_off) == (1001, 1001, 1000, 1002)
    assert report.errors[-2:] == (
        BatchLineError(line=501, field="id", message="This value does not match the required pattern."),
        BatchLineError(
            line=501,
            field="occurred_on",
            message="Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
    )


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("not UTF-8", "file_not_csv", "This is not a CSV text file encoded in UTF-8."),
        (
            "no header",
            "file_header",
            "The first line must be the header, with these columns: " + HEADER + ".",
        ),
        ("header only", "file_empty", "The file has a header but no event."),
        ("over the size limit", "file_too_large", "The file is larger than the limit of 2.0\u00a0KB."),
        ("over the line limit", "file_too_many_lines", "The file has more than 6 lines: split it into several files."),
        ("partner revoked", "partner_revoked", "This partner's key is revoked: its events are refused."),
    ],
)
@override_settings(LIFE_EVENTS_FILE_MAX_BYTES=2048, LIFE_EVENTS_FILE_MAX_LINES=6)
def test_a_file_refused_stores_nothing(case, code, message):
    partner = _partner()
    family = Family()
    content = family.file()  # 7 lines, about 1 KB
    if case == "not UTF-8":
        content = content.decode().encode("latin-1")
    if case == "no header":
        content = content.split(b"\r\n", 1)[1]
    if case == "header only":
        content = HEADER.encode() + b"\r\n\r\n"
    if case == "over the size limit":
        content += b"\r\n" * 1100
    if case == "over the line limit":
        content = content.replace(b"\r\n\r\n", b"\r\n")  # 7 lines without the blank one
    if case == "partner revoked":
        services.partner_revoke(partner_id=partner["id"], now=timezone.now())
    if case != "over the size limit":
        assert len(content) <= 2048

    with translation.override("en"), pytest.raises(PartnerRefused) as refused:
        services.life_events_file_import(partner_id=partner["id"], content=content, user_id=None, now=timezone.now())

    with translation.override("en"):
        assert (refused.value.code, refused.value.message) == (code, message)
    assert LifeEvent.objects.count() == 0


def test_the_events_of_a_file_are_applied_to_the_registry():
    partner = _partner()
    family = Family()
    _import(partner, family.file())

    services.life_events_apply(now=timezone.now())

    child = Person.objects.get(national_number=family.child_number)
    assert (child.first_name, child.last_name, child.birth_date) == ("Léa", "Dubois", family.born)
    assert sorted(FamilyLink.objects.filter(relative=child).values_list("person_id", flat=True)) == sorted(
        [family.mother.pk, family.father.pk]
    )
    assert sorted(LifeEvent.objects.values_list("partner_event_id", "state", "failure_code")) == [
        ("EC-1", LifeEventState.APPLIED, ""),
        ("EC-100", LifeEventState.APPLIED, ""),
        ("EC-105", LifeEventState.APPLIED, ""),
    ]
    family.mother.refresh_from_db()
    assert (family.mother.street, family.mother.city) == ("Rue Haute 5", "Namur")


# --- The back office -----------------------------------------------------------------------------


def _staff(role: str):
    user = with_totp(UserFactory(is_staff=True))
    user.groups.add(Group.objects.get(name=role))
    return user


def test_a_registry_clerk_imports_a_file_and_reads_the_report(client):
    partner = _partner()
    revoked = _partner(name="Ancien registre")
    services.partner_revoke(partner_id=revoked["id"], now=timezone.now())
    family = Family()
    _api_send(client, partner, [family.api_death()])
    clerk = _staff("Registry clerk")
    sign_in(client, clerk, mfa=True)

    listed = client.get(reverse("admin:benefits_lifeevent_changelist"), headers=EN).content.decode()
    form = client.get(reverse(IMPORT), headers=EN)
    response = client.post(
        reverse(IMPORT),
        {"partner": partner["id"], "events": SimpleUploadedFile("events.csv", family.file(), "text/csv")},
        headers=EN,
    )

    assert reverse(IMPORT) in listed and "Import a file" in listed
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    assert [choice.value for choice, _label in list(form.context["form"].fields["partner"].choices)[1:]] == [
        partner["id"]
    ]
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response.context["report"] == BatchReport(
        lines=7, accepted=2, duplicates=1, rejected=4, errors=tuple(REJECTED)
    )
    page = response.content.decode()
    assert "File imported for Registre national" in page
    assert "Lines rejected" in page and "This partner may not send events of this kind." in page
    assert "<code>child_national_number</code>" in page
    assert _stored() == [("EC-1", "death"), ("EC-100", "birth"), ("EC-105", "address")]
    # The clerk is recorded on the events the file brought; the death the API sent first keeps
    # no clerk (the file's line was a duplicate).
    assert sorted(LifeEvent.objects.values_list("partner_event_id", "imported_by_id")) == [
        ("EC-1", None),
        ("EC-100", clerk.pk),
        ("EC-105", clerk.pk),
    ]


def test_the_clerk_who_imported_an_event_is_on_its_page_and_filters_the_list(client):
    partner = _partner()
    family = Family()
    _api_send(client, partner, [family.api_death()])
    clerk = _staff("Registry clerk")
    sign_in(client, clerk, mfa=True)
    client.post(
        reverse(IMPORT),
        {"partner": partner["id"], "events": SimpleUploadedFile("events.csv", family.file(), "text/csv")},
        headers=EN,
    )
    birth = LifeEvent.objects.get(partner_event_id="EC-100")
    death = LifeEvent.objects.get(partner_event_id="EC-1")
    changelist = reverse("admin:benefits_lifeevent_changelist")

    imported = client.get(reverse("admin:benefits_lifeevent_change", args=[birth.pk]), headers=EN)
    sent = client.get(reverse("admin:benefits_lifeevent_change", args=[death.pk]), headers=EN)
    by_clerk = client.get(changelist, {"imported_by__id__exact": clerk.pk}, headers=EN)
    by_api = client.get(changelist, {"imported_by__isnull": "True"}, headers=EN)

    assert re.search(
        r"Imported by:</label>\s*<div class=\"readonly\">(<a [^>]+>)?" + re.escape(clerk.email), _html(imported)
    )
    assert re.search(r"Imported by:</label>\s*<div class=\"readonly\">-</div>", _html(sent))
    assert "By imported by" in _html(by_clerk)
    assert sorted(event.partner_event_id for event in by_clerk.context["cl"].result_list) == ["EC-100", "EC-105"]
    assert [event.partner_event_id for event in by_api.context["cl"].result_list] == ["EC-1"]


def test_a_file_refused_shows_why_on_the_form_and_stores_nothing(client):
    partner = _partner()
    sign_in(client, _staff("Registry clerk"), mfa=True)

    response = client.post(
        reverse(IMPORT),
        {"partner": partner["id"], "events": SimpleUploadedFile("events.csv", "é;è".encode("latin-1"), "text/csv")},
        headers=EN,
    )

    assert response.status_code == 200 and response.context["report"] is None
    assert response.context["form"].errors == {"events": ["This is not a CSV text file encoded in UTF-8."]}
    assert LifeEvent.objects.count() == 0


@override_settings(LIFE_EVENTS_FILE_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client):
    partner = _partner()
    sign_in(client, _staff("Registry clerk"), mfa=True)

    response = client.post(
        reverse(IMPORT),
        {"partner": partner["id"], "events": SimpleUploadedFile("events.csv", b"x" * 1025, "text/csv")},
        headers=EN,
    )

    assert response.context["form"].errors == {"events": ["The file is larger than the limit of 1.0\u00a0KB."]}
    assert LifeEvent.objects.count() == 0


@pytest.mark.parametrize("role", ["Case worker", "Security officer", "Finance"])
def test_other_staff_may_not_import_a_file(client, role):
    partner = _partner()
    family = Family()
    sign_in(client, _staff(role), mfa=True)

    opened = client.get(reverse(IMPORT))
    posted = client.post(
        reverse(IMPORT),
        {"partner": partner["id"], "events": SimpleUploadedFile("events.csv", family.file(), "text/csv")},
    )

    assert (opened.status_code, posted.status_code) == (403, 403)
    assert LifeEvent.objects.count() == 0


def test_anonymous_and_citizens_are_sent_to_sign_in(client):
    for user in (None, UserFactory()):
        if user is not None:
            sign_in(client, user)
        response = client.get(reverse(IMPORT))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
