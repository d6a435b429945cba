"""The shape of one life event, as the partner API receives it and as the batch file's lines are
read (``batch``): one set of rules for both. A serializer validates it: the event's id, kind and
date, and its data in the shape of its kind."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping
from typing import Any

from django.core.validators import RegexValidator
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


def _occurred_within_bounds(value: datetime.date, today: datetime.date) -> bool:
    """An event's date: from 1900 to today."""
    return value.year >= 1900 and value <= today


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
        if not _occurred_within_bounds(value, self.context.get("today") or timezone.localdate()):
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
# ``events_in_plain_form`` checks that plain form in a few microseconds, by the limits the
# serializers' fields declare (read from them, not written again), and gives what the serializer
# would. It is only a shortcut: it says None for anything off it — a value the
# serializer would trim, convert, refuse or drop (spaces around, a number for a text, a control
# character, a key it does not know, another date format) — and the serializer then validates the
# request and names its errors. tests/benefits/test_event_shapes.py checks, over many odd values,
# that whatever the shortcut takes the serializer takes, and gives the same.

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Not in the plain form (None is a value a field could be given).
_OFF = object()


def _plain_value(field: serializers.Field, value: object) -> Any:
    """What ``field`` (a shape's, read for its limits) gives for ``value`` in the plain form:
    a mapping of its fields (each known, the required ones given, the defaults filled in), a list
    within its lengths, a choice, a text kept as it is (no space around it, nothing unprintable,
    within its length and its pattern); ``_OFF`` otherwise."""
    if isinstance(field, serializers.Serializer):
        return _plain_mapping(field.fields, value)
    if isinstance(field, serializers.ListField):
        if type(value) is not list or not (value or field.allow_empty):
            return _OFF
        if (field.min_length is not None and len(value) < field.min_length) or (
            field.max_length is not None and len(value) > field.max_length
        ):
            return _OFF
        items = [_plain_value(field.child, item) for item in value]
        return _OFF if any(item is _OFF for item in items) else items
    if isinstance(field, serializers.ChoiceField):
        return value if type(value) is str and value in field.choices else _OFF
    if isinstance(field, serializers.CharField):
        if type(value) is not str or not value.isprintable() or value != value.strip():
            return _OFF
        if (not value and not field.allow_blank) or (field.max_length is not None and len(value) > field.max_length):
            return _OFF
        return value if all(pattern.search(value) for pattern in _patterns(field)) else _OFF
    return _OFF


@functools.cache
def _patterns(field: serializers.Field) -> tuple[re.Pattern[str], ...]:
    """The patterns a text field checks (the shapes' fields live as long as the process)."""
    return tuple(re.compile(validator.regex) for validator in field.validators if isinstance(validator, RegexValidator))


def _plain_mapping(fields: Mapping[str, serializers.Field], value: object) -> Any:
    if type(value) is not dict or not value.keys() <= fields.keys():
        return _OFF
    plain: dict[str, Any] = {}
    for name, field in fields.items():
        if name in value:
            plain[name] = _plain_value(field, value[name])
            if plain[name] is _OFF:
                return _OFF
        elif field.required:
            return _OFF
        elif field.default is not serializers.empty:
            plain[name] = field.get_default()
    return plain


# Each kind's shape, and the event's fields but its date and its data (read alone below).
_SHAPES = {kind: shape() for kind, shape in DATA_SERIALIZERS.items()}
_EVENT_FIELDS = LifeEventSerializer().fields
_EVENT_TEXTS = {name: field for name, field in _EVENT_FIELDS.items() if name not in ("occurred_on", "data")}


def _plain_event(event: object, today: datetime.date) -> dict[str, Any] | None:
    if type(event) is not dict or not {"occurred_on", "data"} <= event.keys() <= _EVENT_FIELDS.keys():
        return None
    plain = _plain_mapping(_EVENT_TEXTS, {name: value for name, value in event.items() if name in _EVENT_TEXTS})
    if plain is _OFF:
        return None
    occurred_on = event["occurred_on"]
    if type(occurred_on) is not str or not _DATE.fullmatch(occurred_on):
        return None
    try:
        date = datetime.date.fromisoformat(occurred_on)
    except ValueError:
        return None
    if not _occurred_within_bounds(date, today):
        return None
    data = _plain_value(_SHAPES[plain["type"]], event["data"])
    if data is _OFF:
        return None
    return {**plain, "occurred_on": date, "data": data}


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
