"""Country profiles: which national identifiers the registries use, validated by python-stdnum.

The profile is chosen by the ``COUNTRY_PROFILE`` setting (``BE`` by default, ``FR``).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stdnum.be import nn as be_nn
from stdnum.be import vat as be_enterprise
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import nir as fr_nir
from stdnum.fr import siren as fr_siren

from identity.types import InvalidIdentifier

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _be_person_number(birth_date: datetime.date, serial: int) -> str:
    base = f"{birth_date:%y%m%d}{serial:03d}"
    prefix = "2" if birth_date.year >= 2000 else ""
    return f"{base}{97 - int(prefix + base) % 97:02d}"


def _fr_person_number(birth_date: datetime.date, serial: int) -> str:
    sex = 1 + serial % 2
    base = f"{sex}{birth_date:%y%m}75056{serial % 1000:03d}"
    return f"{base}{97 - int(base) % 97:02d}"


def _be_enterprise_number(serial: int) -> str:
    base = f"0{2000000 + serial:07d}"
    return f"{base}{97 - int(base) % 97:02d}"


def _fr_enterprise_number(serial: int) -> str:
    from stdnum import luhn

    base = f"{30000000 + serial:08d}"
    return base + luhn.calc_check_digit(base)


# Compared and hashed as itself (each profile's schemes live as long as the process): its
# methods' caches hash it on every call, and hashing its fields would translate its label.
@dataclass(frozen=True, eq=False)
class IdentifierScheme:
    module: ModuleType
    label: StrOrPromise
    example: str

    # A batch of life events names the same parents event after event, and each step (received,
    # applied, proposed) reads their numbers again: each is checked once (a refusal is not kept).
    @functools.lru_cache(maxsize=100_000)  # noqa: B019 (the schemes live as long as the process)
    def validate(self, value: str) -> str:
        """The compact form of ``value``, or :class:`InvalidIdentifier` with a reason for people."""
        if not value or not value.strip():
            raise InvalidIdentifier("required", _("This number is required."))
        try:
            return str(self.module.validate(value))
        except InvalidChecksum:
            raise InvalidIdentifier("checksum", _("The check digits do not match: please check the number.")) from None
        except InvalidLength:
            raise InvalidIdentifier("length", _("This number does not have the right length.")) from None
        except (InvalidFormat, InvalidComponent):
            raise InvalidIdentifier("format", _("This is not a valid number.")) from None
        except ValidationError:
            raise InvalidIdentifier("invalid", _("This is not a valid number.")) from None

    # The persons of a batch of births come back batch after batch (their families are read for
    # each), and stdnum's format cleans the number again each time.
    @functools.lru_cache(maxsize=100_000)  # noqa: B019 (the schemes live as long as the process)
    def format(self, compact_value: str) -> str:
        if hasattr(self.module, "format"):
            return str(self.module.format(compact_value))
        # stdnum.be.vat has no format(): the official notation is 0123.456.789.
        return f"{compact_value[:4]}.{compact_value[4:7]}.{compact_value[7:]}"


@dataclass(frozen=True)
class CountryProfile:
    code: str
    name: StrOrPromise
    person_number: IdentifierScheme
    enterprise_number: IdentifierScheme
    # Make valid numbers for demo data, tests and benchmarks (never for real registrations).
    synthetic_person_number: Callable[[datetime.date, int], str]
    synthetic_enterprise_number: Callable[[int], str]


PROFILES = {
    "BE": CountryProfile(
        code="BE",
        name=_("Belgium"),
        person_number=IdentifierScheme(be_nn, _("national number"), "85.07.30-033.28"),
        enterprise_number=IdentifierScheme(be_enterprise, _("enterprise number"), "0403.019.261"),
        synthetic_person_number=_be_person_number,
        synthetic_enterprise_number=_be_enterprise_number,
    ),
    "FR": CountryProfile(
        code="FR",
        name=_("France"),
        person_number=IdentifierScheme(fr_nir, _("NIR (social security number)"), "2 95 10 99 126 111 93"),
        enterprise_number=IdentifierScheme(fr_siren, _("SIREN number"), "404 833 048"),
        synthetic_person_number=_fr_person_number,
        synthetic_enterprise_number=_fr_enterprise_number,
    ),
}


def country_profile() -> CountryProfile:
    try:
        return PROFILES[settings.COUNTRY_PROFILE]
    except KeyError:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"COUNTRY_PROFILE must be one of {sorted(PROFILES)}, not {settings.COUNTRY_PROFILE!r}"
        ) from None
