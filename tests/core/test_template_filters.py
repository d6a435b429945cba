"""The filters that write what a message's context keeps (days, months, amounts as text) as the
reader's language does, whenever the message is read."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from core.templatetags.guichet import iso_date, iso_month, money


@pytest.mark.parametrize(
    ("language", "day", "month", "amount"),
    [
        ("fr", "15 novembre 2026", "octobre 2026", "1\u00a0234,50"),
        ("en", "15 November 2026", "October 2026", "1,234.50"),
    ],
)
def test_days_months_and_amounts_kept_as_text_read_in_the_readers_language(language, day, month, amount):
    with translation.override(language):
        assert iso_date("2026-11-15") == day
        assert iso_date(datetime.date(2026, 11, 15)) == day
        assert iso_month("2026-10") == month
        assert money("1234.5") == amount


@pytest.mark.parametrize("value", ["", None, "not a day", "2026-13-01", "2026-1"])
def test_what_is_not_a_day_or_a_month_is_shown_as_it_is(value):
    with translation.override("fr"):
        assert iso_date(value) == (value or "")
        assert iso_month(value) == (value or "")
