"""Who may do what with benefits: pure predicates on the request's actor."""

from __future__ import annotations

from core.actor import Actor
from core.types import Scope


def can_view_entitlements(*, actor: Actor, person_id: int) -> bool:
    """Whether the person is entitled, and the estimate of their pension, read from their file:
    the person, a proxy whose mandate allows viewing the file, staff at the counter."""
    return actor.subject_person_id == person_id and actor.may(Scope.VIEW_FILE)
