"""The civil registry's life events, written in the person registry: a birth, a death, a
marriage or registered partnership, a change of address.

Each event may arrive twice, or out of order (a death recorded before the marriage it ends):
a repeated event changes nothing and says so (``RegistryChange.changed`` is False), and an
event that contradicts the registry raises ``RegistryConflict`` with nothing changed. Each
function owns its transaction and locks the persons it writes, so that two events about the
same person are applied one after the other. Other apps call them through ``identity.services``.

Each has a batch version in ``identity.registry_batches``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import NotFound
from identity.country_profiles import country_profile
from identity.models import FamilyLink, Person
from identity.types import (
    FamilyLinkKind,
    RegistryChange,
    RegistryConflict,
)

# A child may be born up to 300 days after the death of a parent (the legal presumption of
# paternity after the husband's death).
_MAXIMUM_DAYS_FROM_PARENT_DEATH_TO_BIRTH = 300

# ISO 3166-1 alpha-2, current as of ISO/TC 46 N1108 (2023-04-05), as the tz database lists them
# (iso3166.tab): no dependency of the project lists the countries.
_COUNTRY_CODES_TEXT = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS"
    " BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE"
    " EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM"
    " HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC"
    " LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA"
    " NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW"
    " SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO"
    " TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
)
_COUNTRY_CODES = frozenset(_COUNTRY_CODES_TEXT.split())

_ADDRESS_FIELDS = ("street", "postal_code", "city", "country")


def _refuse_future(day: datetime.date, *, now: datetime.datetime) -> None:
    if day > timezone.localdate(now):
        raise RegistryConflict("date_in_future")


def _longer_than_the_registry_holds(values: dict[str, str]) -> bool:
    for name, value in values.items():
        field = Person._meta.get_field(name)
        if isinstance(field, models.CharField) and field.max_length is not None and len(value) > field.max_length:
            return True
    return False


def _address(*, street: str, postal_code: str, city: str, country: str) -> dict[str, str]:
    return {
        "street": street.strip(),
        "postal_code": postal_code.strip(),
        "city": city.strip(),
        "country": country.strip().upper(),
    }


def _address_refusal(address: dict[str, str]) -> str | None:
    """The code of the conflict an address raises (as ``_address`` gives it), or None."""
    if address["country"] not in _COUNTRY_CODES:
        return "country_unknown"
    if _longer_than_the_registry_holds(address):
        return "address_too_long"
    return None


def _spouse_links_of(person_id: int) -> Q:
    return Q(kind__in=FamilyLinkKind.spouse_kinds()) & (Q(person_id=person_id) | Q(relative_id=person_id))


def _parent_plausible(parent: Person, *, birth_date: datetime.date) -> bool:
    return _parent_dates_plausible(parent.birth_date, parent.death_date, birth_date=birth_date)


def _parent_dates_plausible(
    parent_born: datetime.date, parent_died: datetime.date | None, *, birth_date: datetime.date
) -> bool:
    if parent_born > birth_date:
        return False
    return parent_died is None or (birth_date - parent_died).days <= _MAXIMUM_DAYS_FROM_PARENT_DEATH_TO_BIRTH


def registry_birth_record(
    *,
    national_number: str,
    first_name: str,
    last_name: str,
    birth_date: datetime.date,
    parent_ids: Sequence[int],
    now: datetime.datetime,
) -> RegistryChange:
    """Register a child and link it to its parents (NotFound if a parent is not in the registry).

    A new child lives where the first parent given lives and speaks their language (with no
    parent given, the registry's defaults: no address, in Belgium, French). A child
    already registered under this number (a repeated event, or one parent's declaration after
    the other's) gets the parent links it lacks; its registered details stay as they are."""
    compact = country_profile().person_number.validate(national_number)
    _refuse_future(birth_date, now=now)
    wanted_parent_ids = list(dict.fromkeys(parent_ids))
    with transaction.atomic():
        parents = Person.objects.in_bulk(wanted_parent_ids)
        if len(parents) != len(wanted_parent_ids):
            raise NotFound
        if not all(_parent_plausible(parent, birth_date=birth_date) for parent in parents.values()):
            raise RegistryConflict("parent_implausible")
        child = Person.objects.select_for_update().filter(national_number=compact).first()
        changed = child is None
        if child is None:
            first_parent = parents[wanted_parent_ids[0]] if wanted_parent_ids else None
            inherited = (
                {field: getattr(first_parent, field) for field in (*_ADDRESS_FIELDS, "preferred_language")}
                if first_parent is not None
                else {}
            )
            try:
                with transaction.atomic():
                    child = Person.objects.create(
                        national_number=compact,
                        first_name=first_name.strip(),
                        last_name=last_name.strip(),
                        birth_date=birth_date,
                        **inherited,
                    )
            except IntegrityError:
                # The same birth, recorded at the same moment by another event: it stands.
                child = Person.objects.select_for_update().get(national_number=compact)
                changed = False
        if child.birth_date != birth_date:
            raise RegistryConflict("birth_date_differs")
        if child.pk in parents:
            raise RegistryConflict("parent_implausible")
        linked = set(
            FamilyLink.objects.filter(
                kind=FamilyLinkKind.PARENT_CHILD, relative=child, person_id__in=wanted_parent_ids
            ).values_list("person_id", flat=True)
        )
        new_links = [
            FamilyLink(kind=FamilyLinkKind.PARENT_CHILD, person_id=parent_id, relative=child, started_on=birth_date)
            for parent_id in wanted_parent_ids
            if parent_id not in linked
        ]
        FamilyLink.objects.bulk_create(new_links)
    return RegistryChange(person_id=child.pk, changed=changed or bool(new_links))


def registry_death_record(*, person_id: int, death_date: datetime.date, now: datetime.datetime) -> RegistryChange:
    """Record a person's death, or correct its date, and end their marriage or partnership on it.

    A correction moves the end of the links the earlier date had ended (unless the spouse died
    first). A link that started on or after the date of death refuses it (``spouse_dead``); a
    correction that would make a link overlap the survivor's next one refuses it
    (``already_married``)."""
    _refuse_future(death_date, now=now)
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(pk=person_id).first()
        if person is None:
            raise NotFound
        if death_date < person.birth_date:
            raise RegistryConflict("death_before_birth")
        previous = person.death_date
        # The spouses are locked with the links: a spouse's death recorded meanwhile is read.
        links = (
            FamilyLink.objects.select_for_update()
            .select_related("person", "relative")
            .filter(_spouse_links_of(person_id))
        )
        ended = []
        for link in links:
            if link.started_on >= death_date:
                raise RegistryConflict("spouse_dead")
            spouse = link.relative if link.person_id == person_id else link.person
            ends = [death_date]
            # An end on the earlier date of death was that death's: the correction replaces it.
            if link.ended_on is not None and link.ended_on != previous:
                ends.append(link.ended_on)
            if spouse.death_date is not None:
                ends.append(spouse.death_date)
            if min(ends) != link.ended_on:
                link.ended_on = min(ends)
                ended.append(link)
        if previous == death_date and not ended:
            return RegistryChange(person_id=person_id, changed=False)
        person.death_date = death_date
        person.save(update_fields=["death_date"])
        try:
            with transaction.atomic():
                FamilyLink.objects.bulk_update(ended, ["ended_on"])
        except IntegrityError:
            raise RegistryConflict("already_married") from None
    return RegistryChange(person_id=person_id, changed=True)


def registry_marriage_record(
    *,
    person_ids: tuple[int, int],
    married_on: datetime.date,
    now: datetime.datetime,
    kind: str = FamilyLinkKind.MARRIAGE,
) -> RegistryChange:
    """Record a marriage or a registered partnership (``kind``), from ``married_on``.

    When a spouse's death is already recorded (the events came out of order), the link is
    recorded ended on the first death. The answer names the first person of ``person_ids``."""
    if kind not in FamilyLinkKind.spouse_kinds():
        raise ValueError(f"not a kind of marriage or partnership: {kind!r}")
    first_id, second_id = person_ids
    _refuse_future(married_on, now=now)
    if first_id == second_id:
        raise RegistryConflict("same_person")
    with transaction.atomic():
        # Locked in one order, so that two events about the same persons never wait on each other.
        spouses = list(Person.objects.select_for_update().filter(pk__in=person_ids).order_by("pk"))
        if len(spouses) != 2:
            raise NotFound
        same_link = FamilyLink.objects.filter(
            Q(person_id=first_id, relative_id=second_id) | Q(person_id=second_id, relative_id=first_id),
            kind=kind,
            started_on=married_on,
        )
        if same_link.exists():
            return RegistryChange(person_id=first_id, changed=False)
        deaths = [spouse.death_date for spouse in spouses if spouse.death_date is not None]
        if any(death_date <= married_on for death_date in deaths):
            raise RegistryConflict("spouse_dead")
        try:
            with transaction.atomic():
                FamilyLink.objects.create(
                    kind=kind,
                    person_id=first_id,
                    relative_id=second_id,
                    started_on=married_on,
                    ended_on=min(deaths, default=None),
                )
        except IntegrityError:
            raise RegistryConflict("already_married") from None
    return RegistryChange(person_id=first_id, changed=True)


def registry_address_change(
    *, person_id: int, street: str, postal_code: str, city: str, country: str, now: datetime.datetime
) -> RegistryChange:
    """Record where a person lives now; ``country`` is an ISO 3166 alpha-2 code, any case."""
    address = _address(street=street, postal_code=postal_code, city=city, country=country)
    refusal = _address_refusal(address)
    if refusal is not None:
        raise RegistryConflict(refusal)
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(pk=person_id).first()
        if person is None:
            raise NotFound
        if all(getattr(person, field) == value for field, value in address.items()):
            return RegistryChange(person_id=person_id, changed=False)
        for field, value in address.items():
            setattr(person, field, value)
        person.save(update_fields=list(address))
    return RegistryChange(person_id=person_id, changed=True)
