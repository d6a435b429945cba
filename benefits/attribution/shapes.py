"""The shape of one life event, as the partner API receives it and as the batch file's lines are
read (``batch``): one set of rules for both. A serializer validates it: the event's id, kind and
date, and its data in the shape of its kind."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from benefits.models import LifeEventKind

EVENT_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"


def _national_number() -> serializers.CharField:
    return serializers.CharField(max_length=20)


class ChildSerializer(serializers.Serializer):
    national_number = _national_number()
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)


class BirthSerializer(serializers.Serializer):
    child = ChildSerializer()
    parents = serializers.ListField(child=_national_number(), min_length=1, max_length=2)


class MarriageSerializer(serializers.Serializer):
    spouses = serializers.ListField(child=_national_number(), min_length=2, max_length=2)
    kind = serializers.ChoiceField(choices=["marriage", "partnership"], default="marriage")


class DeathSerializer(serializers.Serializer):
    person = _national_number()


class AddressSerializer(serializers.Serializer):
    person = _national_number()
    street = serializers.CharField(max_length=200, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, allow_blank=True, default="")
    country = serializers.RegexField(r"^[A-Za-z]{2}$", help_text=_("ISO 3166 alpha-2 code."))


DATA_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    LifeEventKind.BIRTH: BirthSerializer,
    LifeEventKind.MARRIAGE: MarriageSerializer,
    LifeEventKind.DEATH: DeathSerializer,
    LifeEventKind.ADDRESS: AddressSerializer,
}


class LifeEventSerializer(serializers.Serializer):
    """One event. The context's ``today`` (a date) bounds its date; without it, today's date."""

    id = serializers.RegexField(EVENT_ID_PATTERN, help_text=_("The partner's id of the event: sent again, ignored."))
    type = serializers.ChoiceField(choices=LifeEventKind.choices)
    occurred_on = serializers.DateField(help_text=_("The date of the birth, marriage, death or move."))
    corrects = serializers.RegexField(
        EVENT_ID_PATTERN, required=False, default="", help_text=_("The id of an earlier event this one corrects.")
    )
    data = serializers.DictField(  # type: ignore[assignment]  # the JSON key, not Serializer.data
        help_text=_("The event's data: its shape depends on its type (see the examples).")
    )

    def validate_occurred_on(self, value: datetime.date) -> datetime.date:
        today = self.context.get("today") or timezone.localdate()
        if value > today or value.year < 1900:
            raise serializers.ValidationError(_("Give a date between 1900 and today."), code="invalid")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            data = self._shape(attrs["type"]).run_validation(attrs["data"])
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"data": error.detail}) from None
        return {**attrs, "data": dict(data)}

    def _shape(self, kind: str) -> serializers.Serializer:
        # One per kind and instance: a list of events is validated by one instance, and building a
        # serializer (its fields copied) costs more than validating with it.
        shapes: dict[str, serializers.Serializer] = self.__dict__.setdefault("_shapes", {})
        if kind not in shapes:
            shapes[kind] = DATA_SERIALIZERS[kind](context=self.context)
        return shapes[kind]


# --- The plain form ------------------------------------------------------------------------------
# A registry sends thousands of events a request, all in the one plain form its software writes.
# Running the serializer costs about 0.15 ms an event (a hundred fields a request of a thousand);
# ``events_in_plain_form`` checks that plain form in a few microseconds and gives what the
# serializer would. It is only a shortcut: it says None for anything off it — a value the
# serializer would trim, convert, refuse or drop (spaces around, a number for a text, a control
# character, a key it does not know, another date format) — and the serializer then validates the
# request and names its errors. tests/benefits/test_event_shapes.py checks, over many odd values,
# that whatever the shortcut takes the serializer takes, and gives the same.

_EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_EVENT_KEYS = frozenset({"id", "type", "occurred_on", "corrects", "data"})
_REQUIRED_KEYS = frozenset({"id", "type", "occurred_on", "data"})
# Each kind's data: its texts (required, and the longest), lists of national numbers (how many),
# its texts that may be left out or blank (their default), and its choices (their default).
_CHILD = {"national_number": 20, "first_name": 100, "last_name": 100}
_TEXTS: dict[str, dict[str, int]] = {
    LifeEventKind.BIRTH: {},
    LifeEventKind.MARRIAGE: {},
    LifeEventKind.DEATH: {"person": 20},
    LifeEventKind.ADDRESS: {"person": 20},
}
_NUMBER_LISTS: dict[str, dict[str, tuple[int, int]]] = {
    LifeEventKind.BIRTH: {"parents": (1, 2)},
    LifeEventKind.MARRIAGE: {"spouses": (2, 2)},
    LifeEventKind.DEATH: {},
    LifeEventKind.ADDRESS: {},
}
_BLANK_TEXTS: dict[str, dict[str, int]] = {
    LifeEventKind.BIRTH: {},
    LifeEventKind.MARRIAGE: {},
    LifeEventKind.DEATH: {},
    LifeEventKind.ADDRESS: {"street": 200, "postal_code": 20, "city": 100},
}
_CHOICES: dict[str, dict[str, tuple[frozenset[str], str]]] = {
    LifeEventKind.BIRTH: {},
    LifeEventKind.MARRIAGE: {"kind": (frozenset({"marriage", "partnership"}), "marriage")},
    LifeEventKind.DEATH: {},
    LifeEventKind.ADDRESS: {},
}
_OTHER_KEYS: dict[str, frozenset[str]] = {
    LifeEventKind.BIRTH: frozenset({"child"}),
    LifeEventKind.ADDRESS: frozenset({"country"}),
}
_DATA_KEYS = {
    kind: frozenset({*_TEXTS[kind], *_NUMBER_LISTS[kind], *_BLANK_TEXTS[kind], *_CHOICES[kind]})
    | _OTHER_KEYS.get(kind, frozenset())
    for kind in LifeEventKind.values
}


def _plain_text(value: object, longest: int, *, blank: bool = False) -> bool:
    """A text the serializer keeps as it is: no space around it, nothing unprintable."""
    return (
        type(value) is str
        and len(value) <= longest
        and (bool(value) or blank)
        and value.isprintable()
        and value == value.strip()
    )


def _plain_data(kind: str, data: object) -> dict[str, Any] | None:
    if type(data) is not dict or not data.keys() <= _DATA_KEYS[kind]:
        return None
    plain: dict[str, Any] = {}
    if kind == LifeEventKind.BIRTH:
        child = data.get("child")
        if type(child) is not dict or child.keys() != _CHILD.keys():
            return None
        if not all(_plain_text(child[key], longest) for key, longest in _CHILD.items()):
            return None
        plain["child"] = {key: child[key] for key in _CHILD}
    for key, longest in _TEXTS[kind].items():
        if not _plain_text(data.get(key), longest):
            return None
        plain[key] = data[key]
    for key, (fewest, most) in _NUMBER_LISTS[kind].items():
        numbers = data.get(key)
        if type(numbers) is not list or not fewest <= len(numbers) <= most:
            return None
        if not all(_plain_text(number, 20) for number in numbers):
            return None
        plain[key] = list(numbers)
    for key, longest in _BLANK_TEXTS[kind].items():
        value = data.get(key, "")
        if not _plain_text(value, longest, blank=True):
            return None
        plain[key] = value
    for key, (choices, default) in _CHOICES[kind].items():
        value = data.get(key, default)
        if type(value) is not str or value not in choices:
            return None
        plain[key] = value
    if kind == LifeEventKind.ADDRESS:
        country = data.get("country")
        if type(country) is not str or not _COUNTRY.fullmatch(country):
            return None
        plain["country"] = country
    return plain


def _plain_event(event: object, today: datetime.date) -> dict[str, Any] | None:
    if type(event) is not dict or not _REQUIRED_KEYS <= event.keys() <= _EVENT_KEYS:
        return None
    event_id, kind, occurred_on = event["id"], event["type"], event["occurred_on"]
    if type(event_id) is not str or not _EVENT_ID.fullmatch(event_id):
        return None
    corrects = event.get("corrects", "")
    if "corrects" in event and (type(corrects) is not str or not _EVENT_ID.fullmatch(corrects)):
        return None
    if type(kind) is not str or kind not in _DATA_KEYS:
        return None
    if type(occurred_on) is not str or not _DATE.fullmatch(occurred_on):
        return None
    try:
        date = datetime.date.fromisoformat(occurred_on)
    except ValueError:
        return None
    if date > today or date.year < 1900:
        return None
    data = _plain_data(kind, event["data"])
    if data is None:
        return None
    return {"id": event_id, "type": kind, "occurred_on": date, "corrects": corrects, "data": data}


def events_in_plain_form(payload: object, *, today: datetime.date, most: int) -> list[dict[str, Any]] | None:
    """The events of a request (``{"events": [...]}``, at most ``most``) as the serializer would
    validate them (``LifeEventSerializer``, ``today`` bounding their dates), when every one is in
    the plain form; None when one is not (the serializer is then run)."""
    if type(payload) is not dict or payload.keys() != {"events"}:
        return None
    events = payload["events"]
    if type(events) is not list or not 1 <= len(events) <= most:
        return None
    plain = []
    for event in events:
        one = _plain_event(event, today)
        if one is None:
            return None
        plain.append(one)
    return plain
