"""The benefits' data: schemes composed by staff (the statutory ones are code, in ``rules``),
claims and their case work, decisions and the entitlements they open."""

from benefits.models.claims import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimStatus,
    Decision,
    DecisionKind,
    DecisionOutcome,
    DecisionState,
    DocumentPurpose,
    Entitlement,
    EventKind,
)
from benefits.models.schemes import ComposedScheme, Periodicity

__all__ = [
    "Claim",
    "ClaimDocument",
    "ClaimEvent",
    "ClaimStatus",
    "ComposedScheme",
    "Decision",
    "DecisionKind",
    "DecisionOutcome",
    "DecisionState",
    "DocumentPurpose",
    "Entitlement",
    "EventKind",
    "Periodicity",
]
