"""The words of payments: benefits' names, months, accounts masked (for pages, letters and
bank files alike)."""

from __future__ import annotations

import datetime

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from benefits.catalogue import SCHEMES
from benefits.models import ComposedScheme
from core.periods import Period
from identity.types import BankAccountOnFile


def scheme_titles() -> dict[str, str]:
    """Each benefit's name in the active language, statutory and composed."""
    titles = {scheme.code: str(scheme.title) for scheme in SCHEMES}
    french = (translation.get_language() or "fr").startswith("fr")
    for slug, title_fr, title_en in ComposedScheme.objects.values_list("slug", "title_fr", "title_en"):
        titles.setdefault(slug.replace("-", "_"), title_fr if french else title_en)
    return titles


def masked(iban: str) -> str:
    return BankAccountOnFile(iban=iban, holder_name="").masked if iban else ""


def months_label(lower: datetime.date, upper: datetime.date) -> str:
    first, last = Period.of(lower), Period.of(upper).previous()
    if first == last:
        return _month_name(first)
    return _("%(first)s to %(last)s") % {"first": _month_name(first), "last": _month_name(last)}


def _month_name(period: Period) -> str:
    return date_format(period.first_day, "YEAR_MONTH_FORMAT")


def day_text(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")
