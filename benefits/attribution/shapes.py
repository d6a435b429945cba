"""The shape of one life event, as the partner API receives it and as the batch file's lines are
read (``batch``): one set of rules for both. A serializer validates it: the event's id, kind and
date, and its data in the shape of its kind."""

from __future__ import annotations

import datetime
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
