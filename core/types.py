"""What the shared kernel hands to the apps: enums and value types."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Scope(models.TextChoices):
    """What someone acting in another person's file may do there (granted by a mandate). Each
    page and API names the scope it needs; in one's own file every scope is allowed."""

    VIEW_FILE = "view_file", _("view my file")
    MANAGE_CLAIMS = "manage_claims", _("manage my benefit claims")
    MANAGE_PAYMENT_DETAILS = "manage_payment_details", _("manage my payment details (bank account)")


# The same scopes, worded for the proxy who reads what they may do in someone else's file.
SCOPE_LABELS_FOR_PROXY: dict[str, StrOrPromise] = {
    Scope.VIEW_FILE: _("view their file"),
    Scope.MANAGE_CLAIMS: _("manage their benefit claims"),
    Scope.MANAGE_PAYMENT_DETAILS: _("manage their payment details (bank account)"),
}


class AccessPurpose(models.TextChoices):
    STAFF_REGISTRY_VIEW = "staff_registry_view", _("Registry record consulted by staff")
    STAFF_REGISTRY_SEARCH = "staff_registry_search", _("Shown in a registry search by staff")
    STAFF_REGISTRY_CHANGE = "staff_registry_change", _("Registry record corrected by staff")
    STAFF_ACCOUNT_CHANGE = "staff_account_change", _("Your account changed by staff")
    COUNTER_SIGN_IN_ADDRESS = "counter_sign_in_address", _("Sign-in address change asked at the counter")
    STAFF_ACTIVATION_CODE = "staff_activation_code", _("Activation code issued by staff")
    PROXY_FILE_VIEW = "proxy_file_view", _("File consulted by a person you mandated")
    BANK_ACCOUNT_VIEW = "bank_account_view", _("Bank account consulted")
    BANK_ACCOUNT_CHANGE = "bank_account_change", _("Bank account changed")
    ASSISTED_VIEW = "assisted_view", _("File opened by staff at the counter, with you")
    PROXY_CLAIM_ACTION = "proxy_claim_action", _("Benefit claim handled by a person you mandated")
    STAFF_CLAIM_VIEW = "staff_claim_view", _("Benefit claim consulted by staff")


class DocumentKind(models.TextChoices):
    """The documents the portal issues with a verification code (core.documents)."""

    COMPLIANCE_CERTIFICATE = "compliance_certificate", _("Compliance certificate (contributions)")
    CONTRIBUTION_STATEMENT = "contribution_statement", _("Contribution statement")
    CLAIM_RECEIPT = "claim_receipt", _("Receipt of a benefit claim")
    BENEFIT_DECISION = "benefit_decision", _("Decision on a benefit claim")
    RECOVERY_LETTER = "recovery_letter", _("Request to pay back a benefit paid after a death")
    PAYMENT_STATEMENT = "payment_statement", _("Yearly statement of benefits paid")


class DocumentSubject(models.TextChoices):
    """Whom an issued document is about: the holder's name is masked accordingly."""

    PERSON = "person", _("person")
    ENTERPRISE = "enterprise", _("enterprise")


@dataclass(frozen=True)
class IssuedDocument:
    """A document just issued: its row in the registry, its verification code in clear (the
    only time the code exists outside the file) and the file."""

    document_id: int
    code: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class VerificationResult:
    """All that the public verification of a code ever tells: what the document is, when it was
    issued, until when it is valid, and the holder's masked name."""

    kind: str
    issued_at: datetime.datetime
    valid_until: datetime.date | None
    is_valid_now: bool
    revoked: bool
    holder_name_masked: str

    @property
    def kind_label(self) -> str:
        return str(DocumentKind(self.kind).label) if self.kind in DocumentKind.values else self.kind
