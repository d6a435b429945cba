"""The version of the data a proposal is computed from: the person's contribution record's
version (``contributions.selectors.contribution_record_versions``: it changes whenever a
declaration, a correction or a payment would change the record, and with the day), kept as a
digest. A proposal whose version is not the record's any more is computed again."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence

from contributions.selectors import contribution_record_versions


def data_versions(*, person_ids: Sequence[int], today: datetime.date) -> dict[int, str]:
    """Each person's data version today, in the queries of one whatever their number."""
    return {
        person_id: "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        for person_id, key in contribution_record_versions(person_ids=person_ids, today=today).items()
    }


def data_version(*, person_id: int, today: datetime.date) -> str:
    return data_versions(person_ids=[person_id], today=today)[person_id]
