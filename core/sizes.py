"""File sizes for people: "2.5 MB" in English, "2,5 Mo" in French (Django's ``filesizeformat``
writes "Mio", which French readers do not use), in powers of 1,024."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext, ngettext

_KB = 1024
_MB = _KB * 1024
_GB = _MB * 1024


def file_size(size: int | float | None) -> str:
    """The size in bytes, KB, MB or GB, with the language's decimal separator; a no-break space
    keeps the number with its unit."""
    return _file_size(int(size or 0)).replace(" ", "\u00a0")


def _file_size(number: int) -> str:
    if number < _KB:
        return ngettext("%(size)d byte", "%(size)d bytes", number) % {"size": number}
    for unit, template in ((_GB, gettext("%(size)s GB")), (_MB, gettext("%(size)s MB"))):
        if number >= unit:
            return template % {"size": formats.number_format(round(number / unit, 1), 1)}
    return gettext("%(size)s KB") % {"size": formats.number_format(round(number / _KB, 1), 1)}
