"""Language details a reader notices: dates a Belgian cannot misread in English, file sizes and
file names in the reader's language, French agreement and typography."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template
from django.utils import formats, translation

from core.sizes import file_size

DAY = datetime.date(2026, 12, 5)
MOMENT = datetime.datetime(2026, 12, 5, 14, 30)


@pytest.mark.parametrize(
    ("language", "format_name", "expected"),
    [
        ("en", "DATE_FORMAT", "5 December 2026"),
        ("en", "SHORT_DATE_FORMAT", "5 Dec 2026"),
        ("en", "DATETIME_FORMAT", "5 December 2026, 14:30"),
        ("en", "SHORT_DATETIME_FORMAT", "5 Dec 2026, 14:30"),
        ("fr", "DATE_FORMAT", "5 décembre 2026"),
        ("fr", "SHORT_DATE_FORMAT", "05/12/2026"),
    ],
)
def test_dates_name_their_month_or_put_the_day_first(language, format_name, expected):
    with translation.override(language):
        value = MOMENT if "TIME" in format_name else DAY
        assert formats.date_format(value, format_name) == expected


def test_typed_english_dates_are_read_day_first():
    with translation.override("en"):
        from django import forms

        field = forms.DateField()
        assert field.clean("05/12/2026") == DAY
        assert field.clean("2026-12-05") == DAY


@pytest.mark.parametrize(
    ("language", "size", "expected"),
    [
        ("fr", 512, "512\u00a0octets"),
        ("fr", 1, "1\u00a0octet"),
        ("fr", 2560, "2,5\u00a0Ko"),
        ("fr", 50 * 1024 * 1024, "50,0\u00a0Mo"),
        ("en", 2560, "2.5\u00a0KB"),
        ("en", 50 * 1024 * 1024, "50.0\u00a0MB"),
    ],
)
def test_file_sizes_in_the_readers_units(language, size, expected):
    with translation.override(language):
        assert file_size(size) == expected
        assert Template("{% load guichet %}{{ size|file_size }}").render(Context({"size": size})) == expected


def test_issued_on_agrees_with_the_document_in_french():
    template = Template(
        '{% load i18n %}{% translate "Issued on" context "statement" %}|'
        '{% translate "Issued on" context "certificate" %}|{% translate "Issued on" context "document" %}'
    )
    with translation.override("fr"):
        assert template.render(Context()) == "Délivré le|Délivrée le|Délivré le"


def test_french_puts_a_no_break_space_before_a_colon():
    template = Template(
        '{% load i18n %}{% blocktranslate with email="a@example.org" %}Account: {{ email }}{% endblocktranslate %}'
    )
    with translation.override("fr"):
        assert template.render(Context()) == "Compte\u00a0: a@example.org"
    with translation.override("en"):
        assert template.render(Context()) == "Account: a@example.org"
