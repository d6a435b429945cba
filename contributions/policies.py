"""Pure predicates about the contributions app's operations."""

from __future__ import annotations

from core.actor import Actor
from core.types import Scope


def can_view_record(*, actor: Actor, person_id: int) -> bool:
    """The person's contribution record, and the statements made of it: the person in their own
    file, a proxy whose mandate allows viewing the file (checked when the request began, so a
    revoked mandate stops at once), staff at the counter. Anyone else, an employer's
    representative too, sees only their own."""
    return actor.subject_person_id == person_id and actor.may(Scope.VIEW_FILE)
