"""The plain form of life events (``shapes.events_in_plain_form``) is only a shortcut past the
serializer: what it takes, the serializer takes and gives the same; what it leaves (a value off
the plain form) the serializer validates. Checked over events of every kind and many odd values
put in each place of them."""

import copy
import datetime

import pytest

from benefits.api.serializers import EventsSerializer
from benefits.attribution.shapes import events_in_plain_form

TODAY = datetime.date(2026, 12, 5)
MOST = 1000

BIRTH = {
    "id": "EC-2026.000123:a_b",
    "type": "birth",
    "occurred_on": "2026-11-30",
    "data": {
        "child": {"national_number": "26113012345", "first_name": "Léa Éloïse", "last_name": "D'Ubois-Smet"},
        "parents": ["90010112345", "91020254321"],
    },
}
MARRIAGE = {
    "id": "M1",
    "type": "marriage",
    "occurred_on": "2026-06-01",
    "corrects": "M0",
    "data": {"spouses": ["90010112345", "91020254321"], "kind": "partnership"},
}
DEATH = {"id": "D1", "type": "death", "occurred_on": "1900-01-01", "data": {"person": "40010100123"}}
ADDRESS = {
    "id": "A1",
    "type": "address",
    "occurred_on": "2026-12-05",
    "data": {"person": "40010100123", "street": "", "city": "Liège", "country": "fr"},
}
PLAIN = [BIRTH, MARRIAGE, DEATH, ADDRESS]

ODD_VALUES = [
    None,
    0,
    12345678901,
    1.5,
    True,
    "",
    " ",
    " x",
    "x ",
    "x\n",
    "a\tb",
    "a\x00b",
    "\ud800",
    "x" * 21,
    "x" * 65,
    "x" * 101,
    "x" * 201,
    [],
    ["90010112345"],
    ["90010112345", " 91020254321"],
    ["a", "b", "c"],
    {},
    "2026-13-01",
    "2026-02-30",
    "2026-1-1",
    "2026-12-06",
    "1899-12-31",
    "9999-12-31",
    "2026-11-30T00:00:00",
    "birth",
    "marriage",
    "partnership",
    "BE",
    "B1",
    "abc",
]


def _serializer(payload):
    serializer = EventsSerializer(data=payload, context={"today": TODAY})
    return serializer.is_valid(), serializer


def _as_plain(validated):
    """The serializer's validated events as plain dicts (its nested values are ordered dicts)."""
    return [
        {
            **event,
            "data": {key: dict(value) if isinstance(value, dict) else value for key, value in event["data"].items()},
        }
        for event in validated
    ]


def _places(value, path=()):
    """Every place of a nested event: (path to the parent, key or index)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield path, key
            yield from _places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield path, index
            yield from _places(inner, (*path, index))


def _variants():
    """Each plain event with one place changed to each odd value, one place removed, or an
    unknown key added to each mapping."""
    for event in PLAIN:
        for path, key in _places(event):
            for value in ODD_VALUES:
                changed = copy.deepcopy(event)
                parent = changed
                for step in path:
                    parent = parent[step]
                parent[key] = value
                yield changed
            removed = copy.deepcopy(event)
            parent = removed
            for step in path:
                parent = parent[step]
            del parent[key]
            yield removed
        for path, _key in [((), None), *_places(event)]:
            added = copy.deepcopy(event)
            parent = added
            for step in path:
                parent = parent[step]
            if isinstance(parent, dict):
                parent["extra"] = "x"
                yield added


def test_plain_events_of_every_kind_take_the_shortcut_and_give_what_the_serializer_gives():
    payload = {"events": copy.deepcopy(PLAIN)}

    plain = events_in_plain_form(payload, today=TODAY, most=MOST)
    valid, serializer = _serializer(payload)

    assert valid, serializer.errors
    assert plain == _as_plain(serializer.validated_data["events"])
    assert plain[1]["corrects"] == "M0" and plain[0]["corrects"] == ""  # the serializer's default
    assert plain[3]["data"] == {  # the address's defaults filled in
        "person": "40010100123",
        "street": "",
        "postal_code": "",
        "city": "Liège",
        "country": "fr",
    }
    assert plain[0]["occurred_on"] == datetime.date(2026, 11, 30)


def test_what_the_shortcut_takes_the_serializer_takes_the_same_and_the_rest_it_judges():
    taken = left = 0
    for event in _variants():
        payload = {"events": [event]}
        plain = events_in_plain_form(payload, today=TODAY, most=MOST)
        valid, serializer = _serializer(payload)
        if plain is None:
            left += 1
            continue
        taken += 1
        assert valid, (event, serializer.errors)
        assert plain == _as_plain(serializer.validated_data["events"]), event
    assert taken > 50 and left > 500  # both ways were taken, many times


@pytest.mark.parametrize(
    "payload",
    [
        {"events": []},
        {"events": [BIRTH] * (MOST + 1)},
        {"events": BIRTH},
        {"events": [BIRTH], "more": 1},
        [BIRTH],
        {"events": [BIRTH, {"id": "X", "type": "adoption", "occurred_on": "2026-01-01", "data": {}}]},
    ],
)
def test_a_request_off_the_plain_form_is_left_to_the_serializer(payload):
    assert events_in_plain_form(payload, today=TODAY, most=MOST) is None
