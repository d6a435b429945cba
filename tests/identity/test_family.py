"""Family links in the person registry: spouses and children with their dates, the rules the
database holds, the reads benefits make over populations, the history kept as evidence, and who
may keep them in the back office."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.models import AccessRecord
from core.types import AccessPurpose
from identity.models import FamilyLink, FamilyLinkEvent
from identity.selectors import family_members, marriage_of
from identity.types import FamilyLinkKind, Marriage
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

WEDDING = datetime.date(2001, 6, 9)
DIVORCE = datetime.date(2010, 3, 1)
BIRTH = datetime.date(2004, 2, 14)


def _link(kind, person, relative, started_on, ended_on=None):
    return FamilyLink.objects.create(
        kind=kind, person=person, relative=relative, started_on=started_on, ended_on=ended_on
    )


def _refused(**fields):
    before = FamilyLink.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyLink.objects.create(**fields)
    assert FamilyLink.objects.count() == before


# --- What the database refuses ----------------------------------------------------------------


def test_refuses_a_link_of_a_person_to_themself():
    anna = PersonFactory()
    _refused(kind=FamilyLinkKind.MARRIAGE, person=anna, relative=anna, started_on=WEDDING)
    _refused(kind=FamilyLinkKind.PARENT_CHILD, person=anna, relative=anna, started_on=BIRTH)


def test_refuses_a_second_spouse_while_the_first_marriage_lasts_on_either_side_of_the_link():
    anna, ben, carla = PersonFactory(), PersonFactory(), PersonFactory()
    _link(FamilyLinkKind.MARRIAGE, anna, ben, WEDDING)

    _refused(kind=FamilyLinkKind.MARRIAGE, person=anna, relative=carla, started_on=datetime.date(2015, 1, 1))
    _refused(kind=FamilyLinkKind.PARTNERSHIP, person=carla, relative=ben, started_on=datetime.date(2015, 1, 1))
    _refused(kind=FamilyLinkKind.MARRIAGE, person=ben, relative=anna, started_on=datetime.date(2015, 1, 1))
    # A marriage that ended before the current one began overlaps it too when its dates do.
    _refused(
        kind=FamilyLinkKind.MARRIAGE,
        person=carla,
        relative=anna,
        started_on=datetime.date(1999, 1, 1),
        ended_on=datetime.date(2001, 6, 10),
    )


def test_accepts_a_remarriage_from_the_day_of_the_divorce():
    anna, ben, carla = PersonFactory(), PersonFactory(), PersonFactory()
    _link(FamilyLinkKind.MARRIAGE, anna, ben, WEDDING, DIVORCE)

    _link(FamilyLinkKind.MARRIAGE, carla, anna, DIVORCE)
    _link(FamilyLinkKind.PARTNERSHIP, ben, PersonFactory(), datetime.date(2012, 5, 5))

    assert FamilyLink.objects.count() == 3


def test_refuses_a_second_link_between_the_same_parent_and_child_and_an_end_to_a_child_link():
    parent, child = PersonFactory(), PersonFactory()
    _link(FamilyLinkKind.PARENT_CHILD, parent, child, BIRTH)

    _refused(kind=FamilyLinkKind.PARENT_CHILD, person=parent, relative=child, started_on=datetime.date(2005, 1, 1))
    _refused(
        kind=FamilyLinkKind.PARENT_CHILD,
        person=PersonFactory(),
        relative=child,
        started_on=BIRTH,
        ended_on=datetime.date(2006, 1, 1),
    )
    _refused(kind=FamilyLinkKind.MARRIAGE, person=parent, relative=child, started_on=WEDDING, ended_on=WEDDING)


# --- Reads ------------------------------------------------------------------------------------


def _members(person_ids, on):
    """Each member's (family, person, child, married on) in the order read."""
    found = family_members(person_ids=person_ids, on=on)
    return list(zip(found.family, found.person_id, found.child, found.married_on, strict=True))


def test_family_members_on_a_day_before_and_after_the_wedding_and_the_birth():
    anna, ben = PersonFactory(), PersonFactory(country="FR")
    baby = PersonFactory(birth_date=BIRTH)
    _link(FamilyLinkKind.MARRIAGE, anna, ben, WEDDING)
    _link(FamilyLinkKind.PARENT_CHILD, anna, baby, BIRTH)
    _link(FamilyLinkKind.PARENT_CHILD, ben, baby, BIRTH)

    before = datetime.date(2001, 6, 8)
    assert _members([anna.pk, ben.pk], before) == [(0, anna.pk, False, None), (1, ben.pk, False, None)]
    assert _members([anna.pk, ben.pk], WEDDING) == [
        (0, anna.pk, False, WEDDING),
        (0, ben.pk, False, WEDDING),
        (1, ben.pk, False, WEDDING),
        (1, anna.pk, False, WEDDING),
    ]
    assert _members([ben.pk], BIRTH) == [
        (0, ben.pk, False, WEDDING),
        (0, anna.pk, False, WEDDING),
        (0, baby.pk, True, None),
    ]
    found = family_members(person_ids=[ben.pk], on=BIRTH)
    assert found.birth_date == [ben.birth_date, anna.birth_date, BIRTH]
    assert found.country == ["FR", anna.country, baby.country]
    assert found.death_date == [None, None, None]
    assert _members([baby.pk], BIRTH) == [(0, baby.pk, False, None)]


def test_family_members_on_the_day_of_the_divorce_have_no_spouse_and_marriage_of_gives_its_dates():
    anna, ben = PersonFactory(), PersonFactory()
    link = _link(FamilyLinkKind.MARRIAGE, anna, ben, WEDDING, DIVORCE)

    assert [
        member for _family, member, _child, _married in _members([anna.pk], DIVORCE - datetime.timedelta(days=1))
    ] == [
        anna.pk,
        ben.pk,
    ]
    assert _members([anna.pk], DIVORCE) == [(0, anna.pk, False, None)]
    # The survivor's pension asks on the day of the death, which ended the marriage.
    expected = Marriage(
        id=link.pk, kind="marriage", person_id=ben.pk, spouse_id=anna.pk, started_on=WEDDING, ended_on=DIVORCE
    )
    assert marriage_of(person_id=ben.pk, on=DIVORCE) == expected
    assert marriage_of(person_id=ben.pk, on=DIVORCE + datetime.timedelta(days=1)) is None
    assert marriage_of(person_id=ben.pk, on=WEDDING - datetime.timedelta(days=1)) is None


def test_family_members_keep_the_spouse_whose_death_ended_the_marriage_not_a_divorced_one():
    widow, late, divorced, former = PersonFactory(), PersonFactory(death_date=DIVORCE), PersonFactory(), PersonFactory()
    _link(FamilyLinkKind.MARRIAGE, widow, late, WEDDING, DIVORCE)
    _link(FamilyLinkKind.MARRIAGE, former, divorced, WEDDING, DIVORCE)

    assert _members([widow.pk, divorced.pk], DIVORCE) == [
        (0, widow.pk, False, WEDDING),
        (0, late.pk, False, WEDDING),
        (1, divorced.pk, False, None),
    ]
    # Before the death, the marriage is in force all the same.
    assert _members([late.pk], DIVORCE - datetime.timedelta(days=1))[1][1] == widow.pk


def test_marriage_of_prefers_the_marriage_in_force_to_the_one_that_ended_that_day():
    anna, ben, carla = PersonFactory(), PersonFactory(), PersonFactory()
    _link(FamilyLinkKind.MARRIAGE, anna, ben, WEDDING, DIVORCE)
    second = _link(FamilyLinkKind.PARTNERSHIP, anna, carla, DIVORCE)

    assert marriage_of(person_id=anna.pk, on=DIVORCE) == Marriage(
        id=second.pk, kind="partnership", person_id=anna.pk, spouse_id=carla.pk, started_on=DIVORCE, ended_on=None
    )


@pytest.mark.parametrize("count", [1, 50])
def test_family_members_read_a_population_in_one_query(django_assert_num_queries, count):
    parents = PersonFactory.create_batch(count)
    for parent in parents:
        _link(FamilyLinkKind.MARRIAGE, parent, PersonFactory(), WEDDING)
        _link(FamilyLinkKind.PARENT_CHILD, parent, PersonFactory(birth_date=BIRTH), BIRTH)

    with django_assert_num_queries(1):
        found = family_members(person_ids=[parent.pk for parent in parents], on=datetime.date(2020, 1, 1))

    assert found.family == [index for index in range(count) for _member in range(3)]
    assert found.child == [False, False, True] * count


# --- History and back office ------------------------------------------------------------------


def _staff(role):
    member = with_totp(UserFactory(is_staff=True))
    member.groups.add(Group.objects.get(name=role))
    return member


def _form(**fields):
    data = {"kind": "marriage", "person": "", "relative": "", "started_on": "", "ended_on": ""}
    data.update(fields)
    return data


def test_a_clerk_adds_and_ends_a_marriage_and_the_history_keeps_who_did_it(client):
    anna, ben = PersonFactory(), PersonFactory()
    clerk = _staff("Registry clerk")
    sign_in(client, clerk, mfa=True)

    added = client.post(
        reverse("admin:identity_familylink_add"),
        _form(person=anna.pk, relative=ben.pk, started_on="2001-06-09"),
    )
    assert added.status_code == 302
    link = FamilyLink.objects.get()
    changed = client.post(
        reverse("admin:identity_familylink_change", args=[link.pk]),
        _form(person=anna.pk, relative=ben.pk, started_on="2001-06-09", ended_on="2010-03-01"),
    )
    assert changed.status_code == 302

    events = list(FamilyLinkEvent.objects.filter(pgh_obj_id=link.pk).order_by("pgh_id"))
    assert [(e.pgh_label, e.ended_on, e.pgh_context.metadata["user"]) for e in events] == [
        ("insert", None, clerk.pk),
        ("update", DIVORCE, clerk.pk),
    ]
    # The change page read both spouses' data: it is in both trails.
    AccessRecord.objects.all().delete()
    assert client.get(reverse("admin:identity_familylink_change", args=[link.pk])).status_code == 200
    assert set(
        AccessRecord.objects.filter(actor_user=clerk, purpose=AccessPurpose.STAFF_REGISTRY_VIEW).values_list(
            "subject_person_id", flat=True
        )
    ) == {anna.pk, ben.pk}


def test_an_overlapping_marriage_added_in_the_back_office_is_an_error_on_the_form(client):
    anna, ben, carla = PersonFactory(), PersonFactory(), PersonFactory()
    _link(FamilyLinkKind.MARRIAGE, anna, ben, WEDDING)
    sign_in(client, _staff("Registry clerk"), mfa=True)

    response = client.post(
        reverse("admin:identity_familylink_add"),
        _form(person=carla.pk, relative=anna.pk, started_on="2015-01-01"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert FamilyLink.objects.count() == 1


def test_a_supervisor_may_only_view_links_and_a_case_worker_may_not_see_them(client):
    anna, ben = PersonFactory(), PersonFactory()
    link = _link(FamilyLinkKind.MARRIAGE, anna, ben, WEDDING)
    add = reverse("admin:identity_familylink_add")
    change = reverse("admin:identity_familylink_change", args=[link.pk])
    listing = reverse("admin:identity_familylink_changelist")
    ended = _form(person=anna.pk, relative=ben.pk, started_on="2001-06-09", ended_on="2010-03-01")

    sign_in(client, _staff("Supervisor"), mfa=True)
    assert client.get(listing).status_code == 200
    assert client.get(change).status_code == 200
    assert client.get(add).status_code == 403
    assert (
        client.post(add, _form(person=ben.pk, relative=PersonFactory().pk, started_on="2015-01-01")).status_code == 403
    )
    client.post(change, ended)
    assert FamilyLink.objects.get().ended_on is None
    assert FamilyLink.objects.count() == 1

    sign_in(client, _staff("Case worker"), mfa=True)
    assert client.get(listing).status_code == 403
    assert client.get(change).status_code == 403
    assert (
        client.post(add, _form(person=ben.pk, relative=PersonFactory().pk, started_on="2015-01-01")).status_code == 403
    )
    assert FamilyLink.objects.count() == 1
