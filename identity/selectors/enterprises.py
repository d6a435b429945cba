"""Reads of the enterprise registry, who represents an enterprise, and its API keys."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef

from core.actor import Actor
from core.db import prepared_cursor
from core.errors import NotFound
from identity import policies
from identity.country_profiles import country_profile
from identity.models import ApiKey, Enterprise, Representation
from identity.types import (
    ApiKeyRow,
    EnterpriseRole,
    EnterpriseSummary,
    RepresentationSummary,
    RepresentativeRow,
)


def _enterprise_summary(enterprise: Enterprise) -> EnterpriseSummary:
    return EnterpriseSummary(
        id=enterprise.pk,
        enterprise_number=enterprise.enterprise_number,
        enterprise_number_display=country_profile().enterprise_number.format(enterprise.enterprise_number),
        name=enterprise.name,
        address=enterprise.address,
    )


def representation_list_for_user(*, user_id: int) -> list[RepresentationSummary]:
    labels = dict(EnterpriseRole.choices)
    return [
        RepresentationSummary(
            id=representation.pk,
            enterprise=_enterprise_summary(representation.enterprise),
            role=representation.role,
            role_label=str(labels[representation.role]),
        )
        for representation in Representation.objects.filter(user_id=user_id, revoked_at__isnull=True)
        .select_related("enterprise")
        .order_by("enterprise__name")
    ]


def enterprise_get_for_actor(*, actor: Actor, enterprise_id: int) -> EnterpriseSummary:
    """Fail closed: an enterprise the actor does not represent is not found."""
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    try:
        return _enterprise_summary(Enterprise.objects.get(pk=enterprise_id))
    except Enterprise.DoesNotExist:
        raise NotFound from None


def representative_list(*, actor: Actor, enterprise_id: int) -> list[RepresentativeRow]:
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    labels = dict(EnterpriseRole.choices)
    rows = (
        Representation.objects.filter(enterprise_id=enterprise_id, revoked_at__isnull=True)
        .annotate(has_mfa=Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"))))
        .values_list(
            "pk", "user_id", "user__email", "user__first_name", "user__last_name", "role", "granted_at", "has_mfa"
        )
        .order_by("user__last_name", "user__email")
    )
    return [
        RepresentativeRow(
            id=pk,
            user_id=user_id,
            email=email,
            full_name=f"{first} {last}".strip(),
            role=role,
            role_label=str(labels[role]),
            granted_at=granted_at,
            has_mfa=has_mfa,
        )
        for pk, user_id, email, first, last, role, granted_at, has_mfa in rows
    ]


def enterprise_name(*, enterprise_id: int) -> str:
    return Enterprise.objects.filter(pk=enterprise_id).values_list("name", flat=True).first() or ""


def enterprise_by_number(*, enterprise_number: str) -> EnterpriseSummary:
    from identity.types import InvalidIdentifier

    try:
        compact = country_profile().enterprise_number.validate(enterprise_number)
    except InvalidIdentifier:
        raise NotFound from None
    enterprise = Enterprise.objects.filter(enterprise_number=compact).first()
    if enterprise is None:
        raise NotFound
    return _enterprise_summary(enterprise)


def enterprise_roles(*, user_id: int, enterprise_ids: list[int]) -> dict[int, str]:
    """The user's roles in many enterprises (those they hold one in), in one prepared query (it
    decides, on every page of an enterprise, whether the user may see it)."""
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT enterprise_id, role FROM identity_representation"
            " WHERE user_id = %s AND enterprise_id = ANY(%s::bigint[]) AND revoked_at IS NULL",
            [user_id, list(enterprise_ids)],
        )
        return dict(cursor.fetchall())


def enterprise_role(*, user_id: int, enterprise_id: int) -> str | None:
    return (
        Representation.objects.filter(user_id=user_id, enterprise_id=enterprise_id, revoked_at__isnull=True)
        .values_list("role", flat=True)
        .first()
    )


def enterprise_names(*, enterprise_ids: list[int]) -> dict[int, str]:
    """One prepared query (every page of an enterprise names it)."""
    with prepared_cursor() as cursor:
        cursor.execute("SELECT id, name FROM identity_enterprise WHERE id = ANY(%s::bigint[])", [list(enterprise_ids)])
        return dict(cursor.fetchall())


def api_key_list(*, actor: Actor, enterprise_id: int) -> list[ApiKeyRow]:
    """The enterprise's API keys, revoked ones included, newest first (representatives only)."""
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    rows = (
        ApiKey.objects.filter(enterprise_id=enterprise_id)
        .values_list("pk", "name", "prefix", "scopes", "created_at", "created_by__email", "last_used_at", "revoked_at")
        .order_by("-created_at", "-pk")
    )
    return [
        ApiKeyRow(
            id=pk,
            name=name,
            prefix=prefix,
            scopes=tuple(scopes),
            created_at=created_at,
            created_by=created_by,
            last_used_at=last_used_at,
            revoked_at=revoked_at,
        )
        for pk, name, prefix, scopes, created_at, created_by, last_used_at, revoked_at in rows
    ]


def enterprise_summaries(*, enterprise_ids: list[int]) -> list[EnterpriseSummary]:
    """Enterprises by id, ordered by name, in one query."""
    return [_enterprise_summary(e) for e in Enterprise.objects.filter(pk__in=enterprise_ids).order_by("name", "pk")]


def enterprise_ids_by_numbers(*, enterprise_numbers: list[str]) -> dict[str, int]:
    """The ids of the enterprises with these (compact) numbers, in one query; unknown numbers
    are left out."""
    return dict(
        Enterprise.objects.filter(enterprise_number__in=enterprise_numbers).values_list("enterprise_number", "pk")
    )


def api_key_creator(*, api_key_id: int) -> int | None:
    """The user who created an API key (told of what the software sent with it)."""
    return ApiKey.objects.filter(pk=api_key_id).values_list("created_by_id", flat=True).first()
