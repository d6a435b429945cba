"""The version of the data a proposal is computed from, kept as a digest: the person's
contribution record's version (``contributions.selectors.contribution_record_versions``: it
changes whenever a declaration, a correction or a payment would change the record, and with the
day) and the registry's about their family (``identity.selectors.registry_versions``: a birth, a
death, a move, a marriage). A proposal whose version is not today's any more is computed again
by the hourly check, whatever message was lost."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence

from contributions.selectors import contribution_record_versions
from identity.selectors import registry_versions


def data_versions(*, person_ids: Sequence[int], today: datetime.date) -> dict[int, str]:
    """Each person's data version today, in a few queries whatever their number."""
    registry = registry_versions(person_ids=person_ids)
    return {
        person_id: "sha256:" + hashlib.sha256(f"{key}\0{registry.get(person_id, '')}".encode()).hexdigest()
        for person_id, key in contribution_record_versions(person_ids=person_ids, today=today).items()
    }


def data_version(*, person_id: int, today: datetime.date) -> str:
    return data_versions(person_ids=[person_id], today=today)[person_id]
