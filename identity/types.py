"""What the identity app hands to other apps: frozen dataclasses, enums and exceptions."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, NotFound

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class IdentityError(DomainError):
    """A refused identity operation; ``message`` is for the user, in their language."""


class InvalidIdentifier(IdentityError):
    pass


class ActivationRefused(IdentityError):
    pass


class RoleRefused(IdentityError):
    pass


class RegistryConflict(IdentityError):
    """A civil registry event that contradicts what the registry holds: nothing changed."""

    messages: ClassVar[Mapping[str, StrOrPromise]] = {
        "date_in_future": _("The date of the event is in the future."),
        "birth_date_differs": _("A person with this national number is registered with another birth date."),
        "parent_implausible": _("A parent was born after the child, or died more than 300 days before the birth."),
        "death_before_birth": _("The date of death is before the birth."),
        "spouse_dead": _("One of the spouses had died by the day of the marriage or partnership."),
        "already_married": _(
            "One of the spouses is married or in a registered partnership with someone else on that date."
        ),
        "same_person": _("A person cannot marry themself."),
        "country_unknown": _("The country is not an ISO 3166 country code."),
        "address_too_long": _("The street, postal code or city is longer than the registry holds."),
    }


@dataclass(frozen=True)
class RegistryChange:
    """What a civil registry event did: to whom, and whether it changed anything (False: the
    registry already said so, a repeated event)."""

    person_id: int
    changed: bool


# What one event of a batch gave: its change, or the refusal its single function would raise.
RegistryOutcome: TypeAlias = RegistryChange | IdentityError | NotFound


class ApiKeyScope(models.TextChoices):
    DECLARE = "declare", _("file declarations and declare hires")
    READ = "read", _("read the enterprise's account")


@dataclass(frozen=True)
class ApiCredential:
    """An enterprise's API key, once authenticated: what it is and what it may do."""

    api_key_id: int
    enterprise_id: int
    scopes: frozenset[str]


@dataclass(frozen=True)
class ApiKeyRow:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime.datetime
    created_by: str
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class EnterpriseRole(models.TextChoices):
    ADMINISTRATOR = "administrator", _("administrator")
    DECLARANT = "declarant", _("declarant")
    VIEWER = "viewer", _("viewer")


class FamilyLinkKind(models.TextChoices):
    MARRIAGE = "marriage", _("marriage")
    PARTNERSHIP = "partnership", _("registered partnership")
    PARENT_CHILD = "parent_child", _("parent and child")

    @classmethod
    def spouse_kinds(cls) -> list[str]:
        return [cls.MARRIAGE.value, cls.PARTNERSHIP.value]


@dataclass(frozen=True)
class BirthRecord:
    """A birth, as ``registry_birth_record`` takes it, for ``registry_births_record``."""

    national_number: str
    first_name: str
    last_name: str
    birth_date: datetime.date
    parent_ids: tuple[int, ...]


@dataclass(frozen=True)
class MarriageRecord:
    """A marriage or registered partnership, as ``registry_marriage_record`` takes it, for
    ``registry_marriages_record``."""

    person_ids: tuple[int, int]
    married_on: datetime.date
    kind: str = FamilyLinkKind.MARRIAGE


@dataclass(frozen=True)
class AddressChangeRecord:
    """A change of address, as ``registry_address_change`` takes it, for ``registry_address_changes``."""

    person_id: int
    street: str
    postal_code: str
    city: str
    country: str


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


@dataclass(frozen=True)
class PersonFacts:
    """What the rules engine reads of a person."""

    id: int
    birth_date: datetime.date
    death_date: datetime.date | None
    country: str


@dataclass(frozen=True)
class PersonSummary(PersonFacts):
    national_number: str
    national_number_display: str
    first_name: str
    last_name: str
    address: str
    preferred_language: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class EnterpriseSummary:
    id: int
    enterprise_number: str
    enterprise_number_display: str
    name: str
    address: str


@dataclass(frozen=True)
class RepresentationSummary:
    id: int
    enterprise: EnterpriseSummary
    role: str
    role_label: str


@dataclass(frozen=True)
class RepresentativeRow:
    id: int
    user_id: int
    email: str
    full_name: str
    role: str
    role_label: str
    granted_at: datetime.datetime
    has_mfa: bool


class BankAccountRefused(IdentityError):
    pass


@dataclass(frozen=True)
class BankAccountSummary:
    iban_display: str
    holder_name: str
    since: datetime.datetime


@dataclass(frozen=True)
class BankAccountOnFile:
    iban: str  # compact
    holder_name: str

    @property
    def masked(self) -> str:
        """The country and the last four characters: "BE** **** **** 0457"."""
        hidden = "*" * (len(self.iban) - 6)
        shown = f"{self.iban[:2]}{hidden}{self.iban[-4:]}"
        return " ".join(shown[index : index + 4] for index in range(0, len(shown), 4))


@dataclass(frozen=True)
class FamilyMembers:
    """The families of many persons on one day, a member a row (``identity.selectors.family_members``):
    each family's person, their spouse or partner (the one in force, else the one whose death
    ended the last marriage) and their children linked by then, oldest first; in columns, for
    the tens of thousands of members of a batch's families.

    ``family``: the family's place among the persons asked; ``married_on``: the marriage's first
    day on the person's and the spouse's rows, when the family has a spouse."""

    family: list[int]
    person_id: list[int]
    child: list[bool]
    birth_date: list[datetime.date]
    death_date: list[datetime.date | None]
    country: list[str]
    married_on: list[datetime.date | None]


@dataclass(frozen=True)
class Marriage:
    """A marriage or registered partnership: from ``started_on`` until ``ended_on`` (the
    divorce or the death, excluded), open-ended while it lasts."""

    id: int
    kind: str
    person_id: int
    spouse_id: int
    started_on: datetime.date
    ended_on: datetime.date | None
