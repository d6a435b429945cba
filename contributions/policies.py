"""Who may do what in the contributions app: read a person's record, declare for an
enterprise, see its account and pay — each rule written once, failing closed. The capacity
rules read the roles (identity) and the enterprise mandates (mandates) they depend on."""

from __future__ import annotations

import datetime

from core.actor import Actor
from core.types import Scope
from identity import selectors as identity_selectors
from identity.types import ApiKeyScope, EnterpriseRole
from mandates.selectors import enterprises_for_bureau
from mandates.types import EnterpriseScope


def can_view_record(*, actor: Actor, person_id: int) -> bool:
    """The person's contribution record, and the statements made of it: the person in their own
    file, a proxy whose mandate allows viewing the file (checked when the request began, so a
    revoked mandate stops at once), staff at the counter. Anyone else, an employer's
    representative too, sees only their own."""
    return actor.subject_person_id == person_id and actor.may(Scope.VIEW_FILE)


DECLARING_ROLES = (EnterpriseRole.ADMINISTRATOR, EnterpriseRole.DECLARANT)
# Roles that consult the enterprise's file: its declarations and receipts, its account and its
# CSV statement, its compliance certificate. A viewer reads; only the declaring roles change.
READING_ROLES = (*DECLARING_ROLES, EnterpriseRole.VIEWER)


def _declaring_bureaus(actor: Actor) -> frozenset[int]:
    """The enterprises through which the actor may declare as a bureau: an API key's own
    enterprise, or those where the person holds a declaring role."""
    if actor.is_machine:
        return actor.enterprise_ids
    if actor.user_id is None:
        return frozenset()
    roles = identity_selectors.enterprise_roles(user_id=actor.user_id, enterprise_ids=sorted(actor.enterprise_ids))
    return frozenset(bureau_id for bureau_id, role in roles.items() if role in DECLARING_ROLES)


def _capacities(
    *,
    actor: Actor,
    enterprise_ids: list[int],
    on: datetime.date,
    mandate_scope: str,
    access: str,
    own_roles: tuple[str, ...] = DECLARING_ROLES,
) -> dict[int, int | None]:
    """Of ``enterprise_ids``, those the actor may act for, each with the bureau it acts through
    (None: as the enterprise's own representative or key). An enterprise the actor represents
    is acted for as such, with one of ``own_roles``, or not at all. A query per bureau of the
    actor, whatever the number of enterprises. Fail closed."""
    if actor.is_machine and access not in actor.scopes:
        return {}
    wanted = set(enterprise_ids)
    own = wanted & actor.enterprise_ids
    allowed: dict[int, int | None] = {}
    if actor.is_machine:
        allowed.update(dict.fromkeys(own))
    elif own and actor.user_id is not None:
        roles = identity_selectors.enterprise_roles(user_id=actor.user_id, enterprise_ids=sorted(own))
        allowed.update(dict.fromkeys((e for e in own if roles.get(e) in own_roles), None))
    others = wanted - own
    for bureau_id in sorted(_declaring_bureaus(actor)) if others else ():
        mandating = others.intersection(
            enterprises_for_bureau(bureau_enterprise_ids=frozenset({bureau_id}), scope=mandate_scope, on=on)
        )
        allowed.update(dict.fromkeys(mandating, bureau_id))
        others -= mandating
        if not others:
            break
    return allowed


def _capacity(
    *,
    actor: Actor,
    enterprise_id: int,
    on: datetime.date,
    mandate_scope: str,
    access: str,
    own_roles: tuple[str, ...] = DECLARING_ROLES,
) -> tuple[bool, int | None]:
    found = _capacities(
        actor=actor,
        enterprise_ids=[enterprise_id],
        on=on,
        mandate_scope=mandate_scope,
        access=access,
        own_roles=own_roles,
    )
    return enterprise_id in found, found.get(enterprise_id)


def declaring_capacity(
    *, actor: Actor, enterprise_id: int, on: datetime.date, access: str = ApiKeyScope.DECLARE
) -> tuple[bool, int | None]:
    """(may declare, through which bureau): a representative with a declaring role, or a
    representative of a bureau the enterprise mandated to declare. An API key acts for its
    enterprise, or as a bureau for the enterprises that mandated it, within its scopes:
    ``access`` says whether the call declares or only reads. Fail closed."""
    return _capacity(
        actor=actor, enterprise_id=enterprise_id, on=on, mandate_scope=EnterpriseScope.DECLARE, access=access
    )


def declaring_capacities(*, actor: Actor, enterprise_ids: list[int], on: datetime.date) -> dict[int, int | None]:
    """``declaring_capacity`` for many enterprises at once (a bulk file names hundreds): those
    the actor may declare for, each with the bureau it declares through."""
    return _capacities(
        actor=actor,
        enterprise_ids=enterprise_ids,
        on=on,
        mandate_scope=EnterpriseScope.DECLARE,
        access=ApiKeyScope.DECLARE,
    )


def paying_capacity(*, actor: Actor, enterprise_id: int, on: datetime.date) -> tuple[bool, int | None]:
    """(may see the account and pay, through which bureau): a representative with a declaring
    role, or one of a bureau the enterprise mandated to pay. Fail closed."""
    if actor.is_machine:
        return False, None
    return _capacity(
        actor=actor, enterprise_id=enterprise_id, on=on, mandate_scope=EnterpriseScope.PAY, access=ApiKeyScope.READ
    )


def can_view_declarations(*, actor: Actor, enterprise_id: int, on: datetime.date) -> bool:
    """The enterprise's declarations sent and their receipts (page and PDF): whoever may declare
    for it, and its viewers. Fail closed."""
    return _reading_capacity(actor=actor, enterprise_id=enterprise_id, on=on, mandate_scope=EnterpriseScope.DECLARE)


def can_view_account(*, actor: Actor, enterprise_id: int, on: datetime.date) -> bool:
    """The enterprise's account (balance, periods, entries, its CSV statement) and its compliance
    certificate: whoever may pay for it, and its viewers. Fail closed.

    Issuing the compliance certificate goes with this reading right, not with paying: the
    certificate attests the state of the file and changes nothing in it (it registers a
    verifiable document, within the documents' daily limit), and a viewer — the enterprise's
    accountant, a manager answering a tender — is who most often needs one."""
    if actor.is_machine:
        return False
    return _reading_capacity(actor=actor, enterprise_id=enterprise_id, on=on, mandate_scope=EnterpriseScope.PAY)


def _reading_capacity(*, actor: Actor, enterprise_id: int, on: datetime.date, mandate_scope: str) -> bool:
    """Reading what ``mandate_scope`` acts on: any reading role of the enterprise's own, or a
    bureau it mandated for that scope."""
    allowed, _bureau_id = _capacity(
        actor=actor,
        enterprise_id=enterprise_id,
        on=on,
        mandate_scope=mandate_scope,
        access=ApiKeyScope.READ,
        own_roles=READING_ROLES,
    )
    return allowed


def can_send_declaration_files(*, actor: Actor) -> bool:
    """Whether the declaration files page is for the actor at all: a representative with a
    declaring role somewhere (each line is then checked against its employer). A viewer only
    consults, and sends nothing."""
    return bool(_declaring_bureaus(actor))


def enterprises_mandating(*, actor: Actor, on: datetime.date) -> list[int]:
    """The enterprises whose mandate to declare, in force on ``on``, the actor's bureaus hold."""
    bureaus = _declaring_bureaus(actor)
    if not bureaus:
        return []
    return enterprises_for_bureau(bureau_enterprise_ids=bureaus, scope=EnterpriseScope.DECLARE, on=on)


def can_request_refund(*, actor: Actor, enterprise_id: int, on: datetime.date) -> bool:
    """Asking for the enterprise's credit to be paid back to a bank account: money leaves the
    institution, so only the enterprise's own administrators, for themselves — not a declarant,
    a viewer, a bureau or a proxy. Fail closed. (The second factor is asked by the service.)"""
    if actor.is_machine or actor.user_id is None or actor.acts_for_someone_else:
        return False
    if enterprise_id not in actor.enterprise_ids:
        return False
    return (
        identity_selectors.enterprise_role(user_id=actor.user_id, enterprise_id=enterprise_id)
        == EnterpriseRole.ADMINISTRATOR
    )


def can_decide_refunds(*, actor: Actor) -> bool:
    """Paying a refund or refusing it: staff with the back office's permission to change refund
    requests (the Finance role)."""
    return (
        actor.user_id is not None
        and actor.is_staff
        and identity_selectors.staff_has_permission(
            user_id=actor.user_id, permission="contributions.change_refundrequest"
        )
    )
