"""The civil registry's events as the partner API reads them: one shape per kind of event (in
``benefits.attribution.shapes``, shared with the staff's batch file), and its answers."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from rest_framework import serializers

from benefits.attribution.shapes import LifeEventSerializer, events_in_plain_form
from benefits.types import PartnerRefused
from core.api import API_ERROR_MESSAGES, VALIDATION_CODES

ERROR_CODES = sorted({*API_ERROR_MESSAGES, *PartnerRefused.messages, *VALIDATION_CODES})


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


class EventsSerializer(serializers.Serializer):
    # ListSerializer takes max_length (the stubs do not know it).
    events = LifeEventSerializer(many=True, allow_empty=False, max_length=settings.LIFE_EVENTS_PER_REQUEST)  # type: ignore[call-arg]


def events_validated(data: Any, *, today: datetime.date) -> list[dict[str, Any]]:
    """The events of a request as ``EventsSerializer`` validates them (``today`` bounding their
    dates): taken in a few microseconds an event when all are in the plain form a registry
    writes (``shapes.events_in_plain_form``), else by the serializer, whose ValidationError says
    what is wrong."""
    events = events_in_plain_form(data, today=today, most=settings.LIFE_EVENTS_PER_REQUEST)
    if events is None:
        serializer = EventsSerializer(data=data, context={"today": today})
        serializer.is_valid(raise_exception=True)
        events = serializer.validated_data["events"]
    return events


class ReceiptSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.ChoiceField(choices=["accepted", "duplicate"])


class ReceiptsSerializer(serializers.Serializer):
    events = ReceiptSerializer(many=True)
