"""Reads of family links: spouses, partners and children, on a day."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Collection

from django.apps import apps
from django.db import connection
from django.db.models import F, Q

from core.db import any_of, int_array
from identity.models import FamilyLink, Person
from identity.types import (
    FamilyLinkKind,
    FamilyMembers,
    Marriage,
)

_LINK, _PERSON = FamilyLink._meta.db_table, Person._meta.db_table
# Each person's family on a day in one statement (``family_members``): the person, the spouse
# (the link in force; else the newest link, kept if the spouse's death ended it by then) and the
# children linked by then, oldest first; the members' facts read with them.
_MEMBERS = f"""
WITH asked AS (
    SELECT a.id AS owner, a.n - 1 AS family FROM unnest(%(persons)s::bigint[]) WITH ORDINALITY AS a(id, n)
),
links AS (
    SELECT l.person_id AS owner, l.id, l.relative_id AS spouse, l.started_on, l.ended_on FROM {_LINK} l
    WHERE l.person_id = ANY(%(persons)s::bigint[]) AND l.kind = ANY(%(spouse_kinds)s)
    UNION ALL
    SELECT l.relative_id, l.id, l.person_id, l.started_on, l.ended_on FROM {_LINK} l
    WHERE l.relative_id = ANY(%(persons)s::bigint[]) AND l.kind = ANY(%(spouse_kinds)s)
),
newest AS (
    SELECT DISTINCT ON (k.owner) k.owner, k.spouse, k.started_on, k.ended_on,
           k.started_on <= %(on)s AND (k.ended_on IS NULL OR k.ended_on > %(on)s) AS in_force
    FROM links k
    ORDER BY k.owner, in_force DESC, k.started_on DESC, k.id DESC
),
spouses AS (
    SELECT n.owner, n.spouse, n.started_on, s.birth_date, s.death_date, s.country
    FROM newest n JOIN {_PERSON} s ON s.id = n.spouse
    WHERE n.in_force OR (n.ended_on <= %(on)s AND s.death_date <= %(on)s)
),
children AS (
    SELECT l.person_id AS owner, l.relative_id AS child, c.birth_date, c.death_date, c.country,
           row_number() OVER (PARTITION BY l.person_id ORDER BY c.birth_date, l.relative_id) AS place
    FROM {_LINK} l JOIN {_PERSON} c ON c.id = l.relative_id
    WHERE l.person_id = ANY(%(persons)s::bigint[]) AND l.kind = %(child_kind)s AND l.started_on <= %(on)s
)
SELECT family, member, child, birth_date, death_date, country, married_on FROM (
    SELECT a.family, p.id AS member, 0 AS place, false AS child, p.birth_date, p.death_date, p.country,
           s.started_on AS married_on
    FROM asked a JOIN {_PERSON} p ON p.id = a.owner LEFT JOIN spouses s ON s.owner = a.owner
    UNION ALL
    SELECT a.family, s.spouse, 1, false, s.birth_date, s.death_date, s.country, s.started_on
    FROM asked a JOIN spouses s ON s.owner = a.owner
    UNION ALL
    SELECT a.family, c.child, 1 + c.place, true, c.birth_date, c.death_date, c.country, NULL
    FROM asked a JOIN children c ON c.owner = a.owner
) AS m
ORDER BY family, place
"""  # noqa: S608 — built of constants


def family_members(*, person_ids: list[int], on: datetime.date) -> FamilyMembers:
    """The families of the persons on ``on`` (each person once, in the order asked), a member a
    row, in one query whatever their number (``FamilyMembers``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _MEMBERS,
            {
                "persons": int_array(list(dict.fromkeys(person_ids))),
                "spouse_kinds": FamilyLinkKind.spouse_kinds(),
                "child_kind": FamilyLinkKind.PARENT_CHILD.value,
                "on": on,
            },
        )
        rows = cursor.fetchall()
    return FamilyMembers(*([row[column] for row in rows] for column in range(7)))


def marriage_of(*, person_id: int, on: datetime.date) -> Marriage | None:
    """The person's marriage or registered partnership in force on ``on`` or that ended that day
    (a death ends the marriage on its date: the survivor's pension asks on the date of death)."""
    link = (
        FamilyLink.objects.filter(
            Q(person_id=person_id) | Q(relative_id=person_id),
            Q(ended_on__isnull=True) | Q(ended_on__gte=on),
            kind__in=FamilyLinkKind.spouse_kinds(),
            started_on__lte=on,
        )
        # The one still in force first, then the one that ended that day.
        .order_by(F("ended_on").desc(nulls_first=True))
        .first()
    )
    if link is None:
        return None
    return Marriage(
        id=link.pk,
        kind=link.kind,
        person_id=person_id,
        spouse_id=link.relative_id if link.person_id == person_id else link.person_id,
        started_on=link.started_on,
        ended_on=link.ended_on,
    )


def last_marriages_of(*, person_ids: Collection[int]) -> dict[int, Marriage]:
    """Each person's newest marriage or registered partnership (ended ones too), as
    ``marriages_of`` would list it first, in one query whatever their number; persons never
    married are absent."""
    ids = list(person_ids)
    links = FamilyLink.objects.filter(
        Q(person_id__in=any_of(ids)) | Q(relative_id__in=any_of(ids)), kind__in=FamilyLinkKind.spouse_kinds()
    ).order_by("-started_on", "-pk")
    wanted = set(ids)
    last: dict[int, Marriage] = {}
    for link in links:
        for person_id, spouse_id in ((link.person_id, link.relative_id), (link.relative_id, link.person_id)):
            if person_id in wanted and person_id not in last:
                last[person_id] = Marriage(
                    id=link.pk,
                    kind=link.kind,
                    person_id=person_id,
                    spouse_id=spouse_id,
                    started_on=link.started_on,
                    ended_on=link.ended_on,
                )
    return last


def marriages_of(*, person_id: int) -> list[Marriage]:
    """Every marriage or registered partnership of the person, the newest first (ended ones too:
    a survivor's pension reads the marriage the spouse's death ended)."""
    links = FamilyLink.objects.filter(
        Q(person_id=person_id) | Q(relative_id=person_id), kind__in=FamilyLinkKind.spouse_kinds()
    ).order_by("-started_on", "-pk")
    return [
        Marriage(
            id=link.pk,
            kind=link.kind,
            person_id=person_id,
            spouse_id=link.relative_id if link.person_id == person_id else link.person_id,
            started_on=link.started_on,
            ended_on=link.ended_on,
        )
        for link in links
    ]


def births_between(*, start: datetime.date, end: datetime.date) -> list[tuple[int, datetime.date, tuple[int, ...]]]:
    """The registry's births from ``start`` to ``end`` included: (child, birth date, parents in
    the order their links were recorded), in one query."""
    births: dict[int, tuple[datetime.date, list[int]]] = {}
    links = (
        FamilyLink.objects.filter(
            kind=FamilyLinkKind.PARENT_CHILD, relative__birth_date__gte=start, relative__birth_date__lte=end
        )
        .order_by("relative_id", "pk")
        .values_list("relative_id", "relative__birth_date", "person_id")
    )
    for child_id, born, parent_id in links:
        births.setdefault(child_id, (born, []))[1].append(parent_id)
    return [(child_id, born, tuple(parents)) for child_id, (born, parents) in births.items()]


def marriages_between(*, start: datetime.date, end: datetime.date) -> list[tuple[int, int, datetime.date]]:
    """The marriages and registered partnerships that started from ``start`` to ``end``
    included: (spouse, spouse, date), in one query."""
    return list(
        FamilyLink.objects.filter(kind__in=FamilyLinkKind.spouse_kinds(), started_on__gte=start, started_on__lte=end)
        .order_by("pk")
        .values_list("person_id", "relative_id", "started_on")
    )


def deaths_between(*, start: datetime.date, end: datetime.date) -> list[tuple[int, datetime.date, int]]:
    """The deaths from ``start`` to ``end`` included that ended a marriage or partnership:
    (deceased, date of death, surviving spouse), in one query."""
    links = (
        FamilyLink.objects.filter(kind__in=FamilyLinkKind.spouse_kinds(), ended_on__gte=start, ended_on__lte=end)
        .filter(
            Q(person__death_date=F("ended_on"), relative__death_date__isnull=True)
            | Q(relative__death_date=F("ended_on"), person__death_date__isnull=True)
        )
        .order_by("pk")
        .values_list("person_id", "relative_id", "ended_on", "person__death_date")
    )
    return [
        (first, ended_on, second) if first_death == ended_on else (second, ended_on, first)
        for first, second, ended_on, first_death in links
        if ended_on is not None
    ]


@functools.cache
def _registry_versions_sql() -> str:
    # The history's models are made by django-pghistory (identity.models: PersonEvent, FamilyLinkEvent).
    person_events = apps.get_model("identity", "PersonEvent")._meta.db_table
    link_events = apps.get_model("identity", "FamilyLinkEvent")._meta.db_table
    links = FamilyLink._meta.db_table
    return f"""
WITH asked AS (SELECT DISTINCT unnest(%(persons)s::bigint[]) AS id),
members AS (
    SELECT id AS owner, id AS member FROM asked
    UNION SELECT a.id, l.relative_id FROM asked a JOIN {links} l ON l.person_id = a.id
    UNION SELECT a.id, l.person_id FROM asked a JOIN {links} l ON l.relative_id = a.id
),
person_changes AS (
    SELECT m.owner, MAX(e.pgh_id) AS last
    FROM members m JOIN {person_events} e ON e.pgh_obj_id = m.member GROUP BY m.owner
),
link_changes AS (
    SELECT owner, MAX(last) AS last FROM (
        SELECT a.id AS owner, e.pgh_id AS last FROM asked a JOIN {link_events} e ON e.person_id = a.id
        UNION ALL
        SELECT a.id, e.pgh_id FROM asked a JOIN {link_events} e ON e.relative_id = a.id
    ) AS changes GROUP BY owner
)
SELECT a.id, COALESCE(p.last, 0) || '.' || COALESCE(l.last, 0)
FROM asked a LEFT JOIN person_changes p ON p.owner = a.id LEFT JOIN link_changes l ON l.owner = a.id
"""  # noqa: S608


def registry_versions(*, person_ids: Collection[int]) -> dict[int, str]:
    """A name of what the registry holds about each person's family — their own entry, their
    spouses' and children's, and their links — that changes whenever any of it changes (the
    history's last change), in one query whatever their number."""
    with connection.cursor() as cursor:
        cursor.execute(_registry_versions_sql(), {"persons": list(person_ids)})
        return dict(cursor.fetchall())
