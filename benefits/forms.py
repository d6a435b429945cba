"""The simulator's assumptions, read from the query string (the page works without JavaScript:
a GET form, its address can be bookmarked)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from benefits.simulator import LONGEST_HORIZON_YEARS
from benefits.types import PensionAssumptions
from core.money import amount_parse
from core.periods import Period

# A yearly wage above this is a typing error, not a career (the rules' float arithmetic also
# stays exact to the cent far below it).
HIGHEST_YEARLY_WAGE = Decimal("1000000")


class PensionAssumptionsForm(forms.Form):
    retirement = forms.CharField(
        label=_("Month you retire (YYYY-MM)"),
        help_text=_("Your pension starts on the first day of that month."),
        max_length=7,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}-[0-9]{2}", "autocomplete": "off"}),
    )
    wage = forms.CharField(
        label=_("Gross yearly wage until then, in euros"),
        help_text=_("Enter 0 if you no longer work. For example 32000 or 32000.50."),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, current: Period, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    def clean_retirement(self) -> Period:
        text = self.cleaned_data["retirement"]
        try:
            month = Period.parse(text)
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, for example 2031-03."), code="invalid") from None
        if month < self.current:
            raise forms.ValidationError(_("Choose this month or a later one."), code="past")
        if month.year > self.current.year + LONGEST_HORIZON_YEARS:
            raise forms.ValidationError(
                _("Choose a month within %(years)d years.") % {"years": LONGEST_HORIZON_YEARS}, code="far"
            )
        return month

    def clean_wage(self) -> Decimal:
        amount = amount_parse(self.cleaned_data["wage"], decimal_comma=True)
        if amount is None or amount < 0:
            raise forms.ValidationError(
                _("Enter an amount in euros with at most two decimals, for example 32000 or 32000.50."), code="invalid"
            )
        if amount > HIGHEST_YEARLY_WAGE:
            raise forms.ValidationError(_("Enter a yearly wage of at most 1,000,000 euros."), code="high")
        return amount

    def assumptions(self) -> PensionAssumptions:
        return PensionAssumptions(
            retirement=self.cleaned_data["retirement"], future_yearly_wage=self.cleaned_data["wage"]
        )
