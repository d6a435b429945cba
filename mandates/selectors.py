"""Reads of the mandates app, and the one rule every page, API and task asks:
may this person act for that person, for this purpose, on this day?"""

from __future__ import annotations

import datetime

from django.db.models import F, Q

from core.db import any_of
from core.errors import NotFound
from core.types import SCOPE_LABELS_FOR_PROXY
from identity.country_profiles import country_profile
from identity.selectors import person_names
from mandates.models import EnterpriseMandate, Mandate
from mandates.types import BureauMandateRow, ClientRow, EnterpriseScope, MandateStatus, MandateSummary, Scope
from notifications.selectors import recipients_for_person, recipients_for_persons
from notifications.types import Recipient


def _summaries(mandates: list[Mandate]) -> list[MandateSummary]:
    names = person_names(person_ids=list({m.principal_id for m in mandates} | {m.proxy_id for m in mandates}))
    scope_labels = dict(Scope.choices)
    status_labels = dict(MandateStatus.choices)
    return [
        MandateSummary(
            id=m.pk,
            principal_person_id=m.principal_id,
            principal_name=names.get(m.principal_id, ""),
            proxy_person_id=m.proxy_id,
            proxy_name=names.get(m.proxy_id, ""),
            professional_label=str(m.professional) if m.professional_id else "",
            scopes=tuple(m.scopes),
            scope_labels=tuple(str(scope_labels.get(scope, scope)) for scope in m.scopes),
            scope_labels_for_proxy=tuple(str(SCOPE_LABELS_FOR_PROXY.get(scope, scope)) for scope in m.scopes),
            starts_on=m.starts_on,
            ends_on=m.ends_on,
            status=m.status,
            status_label=str(status_labels.get(m.status, m.status)),
        )
        for m in mandates
    ]


def _in_force(on: datetime.date) -> Q:
    # The principal's death ends every mandate at once, even before the nightly job records it.
    return (
        Q(status=MandateStatus.ACTIVE, starts_on__lte=on, ends_on__gte=on)
        & (Q(principal__death_date__isnull=True) | Q(principal__death_date__gt=on))
        & (Q(professional__isnull=True) | Q(professional__valid_from__lte=on, professional__valid_until__gte=on))
    )


def mandate_in_force(
    *, proxy_person_id: int, principal_person_id: int, scope: str, on: datetime.date
) -> MandateSummary | None:
    """THE rule: the mandate in force that lets the proxy act for the principal for ``scope``
    on day ``on``, or None. Fail closed: anything unknown answers None."""
    if scope not in Scope.values or proxy_person_id == principal_person_id:
        return None
    mandate = (
        Mandate.objects.filter(_in_force(on), proxy_id=proxy_person_id, principal_id=principal_person_id)
        .filter(scopes__contains=[scope])
        .select_related("professional")
        .first()
    )
    return _summaries([mandate])[0] if mandate else None


def mandate_for_acting(*, proxy_person_id: int, mandate_id: int, on: datetime.date) -> MandateSummary | None:
    """The mandate a proxy asks to act under, if it is theirs and in force today."""
    mandate = (
        Mandate.objects.filter(_in_force(on), pk=mandate_id, proxy_id=proxy_person_id)
        .select_related("professional")
        .first()
    )
    return _summaries([mandate])[0] if mandate else None


def principals_for_proxy(*, proxy_person_id: int, on: datetime.date) -> list[MandateSummary]:
    """Everyone this person may act for today (the picker), with the scopes of each."""
    mandates = list(
        Mandate.objects.filter(_in_force(on), proxy_id=proxy_person_id).select_related("professional").order_by("pk")
    )
    return _summaries(mandates)


def mandate_list_for_person(*, person_id: int) -> tuple[list[MandateSummary], list[MandateSummary]]:
    """(mandates I gave, mandates I hold), newest first, in three queries whatever their number."""
    mandates = list(
        Mandate.objects.filter(Q(principal_id=person_id) | Q(proxy_id=person_id))
        .select_related("professional")
        .order_by("-created_at", "-pk")
    )
    summaries = _summaries(mandates)
    given = [s for s in summaries if s.principal_person_id == person_id]
    held = [s for s in summaries if s.proxy_person_id == person_id]
    return given, held


def mandate_get_for_party(*, person_id: int, mandate_id: int) -> MandateSummary:
    mandate = (
        Mandate.objects.filter(Q(principal_id=person_id) | Q(proxy_id=person_id), pk=mandate_id)
        .select_related("professional")
        .first()
    )
    if mandate is None:
        raise NotFound
    return _summaries([mandate])[0]


def enterprises_for_bureau(*, bureau_enterprise_ids: frozenset[int], scope: str, on: datetime.date) -> list[int]:
    """The enterprises that mandated one of these bureaus for ``scope``, in force on ``on``."""
    if not bureau_enterprise_ids:
        return []
    return list(
        EnterpriseMandate.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=on),
            bureau_id__in=bureau_enterprise_ids,
            revoked_at__isnull=True,
            starts_on__lte=on,
            scopes__contains=[scope],
        )
        .values_list("principal_id", flat=True)
        .distinct()
    )


def enterprise_mandate_list_for_principal(*, enterprise_id: int) -> list[BureauMandateRow]:
    """The bureau mandates an enterprise gave, open ones first, in one query whatever their
    number. The bureau's name comes through the join: identity has no batch read of enterprises."""
    labels = dict(EnterpriseScope.choices)
    number = country_profile().enterprise_number
    rows = (
        EnterpriseMandate.objects.filter(principal_id=enterprise_id)
        .values_list("pk", "bureau__name", "bureau__enterprise_number", "scopes", "starts_on", "ends_on", "revoked_at")
        .order_by(F("revoked_at").desc(nulls_first=True), "-starts_on", "-pk")
    )
    return [
        BureauMandateRow(
            id=pk,
            bureau_name=name,
            bureau_number_display=number.format(enterprise_number),
            scope_labels=tuple(str(labels.get(scope, scope)) for scope in scopes),
            starts_on=starts_on,
            ends_on=ends_on,
            revoked_at=revoked_at,
        )
        for pk, name, enterprise_number, scopes, starts_on, ends_on, revoked_at in rows
    ]


def clients_for_bureau(*, bureau_enterprise_ids: frozenset[int], on: datetime.date) -> list[ClientRow]:
    """The enterprises that mandated one of these bureaus, in force on ``on``, with what each
    allows; one query per scope (the mandates rule) and one for the names, whatever their number."""
    allowed: dict[int, list[str]] = {}
    for scope in EnterpriseScope.values:
        for enterprise_id in enterprises_for_bureau(bureau_enterprise_ids=bureau_enterprise_ids, scope=scope, on=on):
            allowed.setdefault(enterprise_id, []).append(scope)
    if not allowed:
        return []
    names = {
        pk: (name, enterprise_number)
        for pk, name, enterprise_number in EnterpriseMandate.objects.filter(
            principal_id__in=list(allowed), bureau_id__in=bureau_enterprise_ids
        )
        .values_list("principal_id", "principal__name", "principal__enterprise_number")
        .distinct()
    }
    labels = dict(EnterpriseScope.choices)
    number = country_profile().enterprise_number
    rows = [
        ClientRow(
            enterprise_id=enterprise_id,
            name=names[enterprise_id][0],
            number_display=number.format(names[enterprise_id][1]),
            scope_labels=tuple(str(labels[scope]) for scope in scopes),
        )
        for enterprise_id, scopes in allowed.items()
    ]
    return sorted(rows, key=lambda row: (row.name.casefold(), row.enterprise_id))


def recipients_with_proxies(*, person_id: int, scope: str, on: datetime.date) -> list[Recipient]:
    """The person's own account, and the accounts of the proxies whose mandate in force covers
    ``scope`` — each copy marked as being about the person's file. For callers of notify()."""
    proxies = Mandate.objects.filter(_in_force(on), principal_id=person_id, scopes__contains=[scope]).values_list(
        "proxy_id", flat=True
    )
    copies = [
        Recipient(recipient.user_id, on_behalf_of_person_id=person_id)
        for proxy_id in proxies
        for recipient in recipients_for_person(person_id=proxy_id)
    ]
    return recipients_for_person(person_id=person_id) + copies


def recipients_with_proxies_for(*, person_ids: list[int], scope: str, on: datetime.date) -> dict[int, list[Recipient]]:
    """``recipients_with_proxies`` for many persons at once, in three queries: a person whom
    nobody can be told on the portal (no account, no proxy with an account) is absent."""
    pairs = list(
        Mandate.objects.filter(
            _in_force(on), principal_id__in=any_of(person_ids), scopes__contains=[scope]
        ).values_list("principal_id", "proxy_id")
    )
    accounts = recipients_for_persons(person_ids=sorted(set(person_ids) | {proxy for _principal, proxy in pairs}))
    result: dict[int, list[Recipient]] = {}
    for person_id in person_ids:
        own = accounts.get(person_id, [])
        if own:
            result[person_id] = list(own)
    for principal_id, proxy_id in sorted(pairs):
        copies = [
            Recipient(recipient.user_id, on_behalf_of_person_id=principal_id)
            for recipient in accounts.get(proxy_id, [])
        ]
        if copies:
            result.setdefault(principal_id, []).extend(copies)
    return result
