from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from contributions.types import WorkerCategory

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HireForm(forms.Form):
    national_number = forms.CharField(label=_("National number of the employee"), max_length=30)
    worker_category = forms.ChoiceField(label=_("Worker category"), choices=WorkerCategory.choices)
    start_date = forms.DateField(label=_("First day of work"), widget=_DATE)

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = today


class TerminationForm(forms.Form):
    end_date = forms.DateField(label=_("Last day of work"), widget=_DATE)


class RefundRequestForm(forms.Form):
    """Where the enterprise's credit is paid back."""

    iban = forms.CharField(
        label=_("IBAN of the enterprise"),
        max_length=42,
        help_text=_("As on the enterprise's bank statement, for example BE71 0961 2345 6769."),
    )
    holder_name = forms.CharField(label=_("Account holder"), max_length=140)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["iban"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["holder_name"].widget.attrs.update({"autocomplete": "organization"})
