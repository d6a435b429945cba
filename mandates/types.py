"""What the mandates app hands to other apps: scopes, states, summaries and errors."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.types import Scope

__all__ = ["Scope"]

if TYPE_CHECKING:
    pass


class MandateStatus(models.TextChoices):
    REQUESTED = "requested", _("requested by the proxy, awaiting your approval")
    PENDING = "pending", _("awaiting the proxy's acceptance")
    ACTIVE = "active", _("active")
    DECLINED = "declined", _("declined")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")
    ENDED_BY_DEATH = "ended_by_death", _("ended (principal deceased)")
    SUPERSEDED = "superseded", _("replaced by a new version")


OPEN_STATUSES = (MandateStatus.REQUESTED, MandateStatus.PENDING, MandateStatus.ACTIVE)


class EnterpriseScope(models.TextChoices):
    DECLARE = "declare", _("file declarations")
    PAY = "pay", _("pay contributions")


class MandateError(DomainError):
    """A refused mandate operation; ``message`` says why, in the user's language."""


@dataclass(frozen=True)
class MandateSummary:
    id: int
    principal_person_id: int
    principal_name: str
    proxy_person_id: int
    proxy_name: str
    professional_label: str
    scopes: tuple[str, ...]
    scope_labels: tuple[str, ...]
    scope_labels_for_proxy: tuple[str, ...]
    starts_on: datetime.date
    ends_on: datetime.date
    status: str
    status_label: str

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class BureauMandateRow:
    id: int
    bureau_name: str
    bureau_number_display: str
    scope_labels: tuple[str, ...]
    starts_on: datetime.date
    ends_on: datetime.date | None
    revoked_at: datetime.datetime | None

    @property
    def is_open(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class ClientRow:
    enterprise_id: int
    name: str
    number_display: str
    scope_labels: tuple[str, ...]
