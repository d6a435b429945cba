"""The civil registry's events as the partner API reads them: one shape per kind of event."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from benefits.models import LifeEventKind
from benefits.types import PartnerRefused
from core.api import API_ERROR_MESSAGES, VALIDATION_CODES

ERROR_CODES = sorted({*API_ERROR_MESSAGES, *PartnerRefused.messages, *VALIDATION_CODES})
EVENT_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"


def _national_number() -> serializers.CharField:
    return serializers.CharField(max_length=20)


class PartnerErrorItemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class PartnerErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[(code, code) for code in ERROR_CODES])
    message = serializers.CharField()
    errors = PartnerErrorItemSerializer(many=True)  # type: ignore[assignment]  # the JSON key, not Serializer.errors


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
        if value > timezone.localdate() or value.year < 1900:
            raise serializers.ValidationError(_("Give a date between 1900 and today."), code="invalid")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        shape = DATA_SERIALIZERS[attrs["type"]](data=attrs["data"])
        if not shape.is_valid():
            raise serializers.ValidationError({"data": shape.errors})
        return {**attrs, "data": dict(shape.validated_data)}


class EventsSerializer(serializers.Serializer):
    # ListSerializer takes max_length (the stubs do not know it).
    events = LifeEventSerializer(many=True, allow_empty=False, max_length=settings.LIFE_EVENTS_PER_REQUEST)  # type: ignore[call-arg]


class ReceiptSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["accepted", "duplicate"])


class ReceiptsSerializer(serializers.Serializer):
    events = ReceiptSerializer(many=True)
