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
    Child,
    FamilyLinkKind,
    FamilySummary,
    Marriage,
    Spouse,
)

_CHILDREN = f"""
SELECT l.person_id, l.relative_id, c.birth_date, l.started_on
FROM {FamilyLink._meta.db_table} l JOIN {Person._meta.db_table} c ON c.id = l.relative_id
WHERE l.person_id = ANY(%(persons)s::bigint[]) AND l.kind = %(kind)s AND l.started_on <= %(on)s
ORDER BY l.person_id, c.birth_date, l.relative_id
"""  # noqa: S608


def _in_force_on(on: datetime.date) -> Q:
    # A link ends the day of the divorce or the death: ``ended_on`` itself is no longer in force.
    return Q(started_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gt=on))


def family_on(*, person_ids: list[int], on: datetime.date) -> dict[int, FamilySummary]:
    """Each person's family on ``on``: the spouse or registered partner in force that day, and
    the children linked to them by then (born or adopted on or before ``on``), oldest first.

    Two queries whatever the number of persons (benefits evaluate whole populations)."""
    spouses: dict[int, Spouse] = {}
    spouse_links = FamilyLink.objects.filter(
        _in_force_on(on),
        Q(person_id__in=any_of(person_ids)) | Q(relative_id__in=any_of(person_ids)),
        kind__in=FamilyLinkKind.spouse_kinds(),
    ).values_list("person_id", "relative_id", "started_on", "kind")
    for first, second, started_on, kind in spouse_links:
        spouses[first] = Spouse(person_id=second, since=started_on, kind=kind)
        spouses[second] = Spouse(person_id=first, since=started_on, kind=kind)
    children: dict[int, list[Child]] = {}
    with connection.cursor() as cursor:  # the ORM's rows cost ten times the query (a batch reads 30,000)
        cursor.execute(
            _CHILDREN, {"persons": int_array(person_ids), "kind": FamilyLinkKind.PARENT_CHILD.value, "on": on}
        )
        for parent, child, birth_date, started_on in cursor.fetchall():
            children.setdefault(parent, []).append(Child(person_id=child, birth_date=birth_date, since=started_on))
    return {
        person_id: FamilySummary(
            person_id=person_id, on=on, spouse=spouses.get(person_id), children=tuple(children.get(person_id, ()))
        )
        for person_id in dict.fromkeys(person_ids)
    }


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
