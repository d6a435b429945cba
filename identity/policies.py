"""Pure predicates about identity operations."""

from __future__ import annotations

from core.actor import Actor, LevelOfAssurance
from identity.types import EnterpriseRole


def can_view_representatives(*, actor: Actor, enterprise_id: int) -> bool:
    """Representatives of the enterprise (people: an API key is not one). Staff work in the back
    office, with its permissions."""
    return not actor.is_machine and enterprise_id in actor.enterprise_ids


def can_manage_representatives(*, actor: Actor, actor_role: str | None) -> bool:
    """Enterprise administrators, signed in at level "substantial", manage roles."""
    return actor_role == EnterpriseRole.ADMINISTRATOR and actor.has_level(LevelOfAssurance.SUBSTANTIAL)


def must_use_mfa(*, is_staff: bool, is_enterprise_administrator: bool) -> bool:
    """Staff and enterprise administrators may not use the portal without a second factor."""
    return is_staff or is_enterprise_administrator
