"""Who may do what with benefits: pure predicates on the request's actor."""

from __future__ import annotations

from core.actor import Actor
from core.types import Scope


def can_view_entitlements(*, actor: Actor, person_id: int) -> bool:
    """Whether the person is entitled, and the estimate of their pension, read from their file:
    the person, a proxy whose mandate allows viewing the file, staff at the counter."""
    return actor.subject_person_id == person_id and actor.may(Scope.VIEW_FILE)


def can_manage_claims(*, actor: Actor, person_id: int) -> bool:
    """Whether the person's claims may be filed, followed, withdrawn and appealed: the person, a
    proxy whose mandate allows managing claims, staff at the counter in the file they serve."""
    return actor.user_id is not None and actor.subject_person_id == person_id and actor.may(Scope.MANAGE_CLAIMS)


def can_view_claims(*, actor: Actor, person_id: int) -> bool:
    """Whether the person's claims may be read: those who manage them, and proxies allowed to
    view the file."""
    return can_manage_claims(actor=actor, person_id=person_id) or can_view_entitlements(
        actor=actor, person_id=person_id
    )
