from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from mandates.types import EnterpriseScope, Scope


class _TermsForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("What the person may do"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("At most 5 years. You can end the mandate at any time before."),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = (
            today.replace(year=today.year + 1)
            if not (today.month == 2 and today.day == 29)
            else today.replace(year=today.year + 1, day=28)
        )


class GrantForm(_TermsForm):
    national_number = forms.CharField(label=_("National number of the person"), max_length=30)
    last_name = forms.CharField(
        label=_("Last name of the person"), max_length=100, help_text=_("As in the national register.")
    )
    field_order = ["national_number", "last_name", "scopes", "starts_on", "ends_on"]


class ProfessionalGrantForm(_TermsForm):
    accreditation_number = forms.CharField(label=_("Accreditation number of the professional"), max_length=30)
    field_order = ["accreditation_number", "scopes", "starts_on", "ends_on"]


class RequestForm(GrantForm):
    pass


class ChangeForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label=_("What the person may do"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class BureauMandateForm(forms.Form):
    bureau_enterprise_number = forms.CharField(
        label=gettext_lazy("Enterprise number of the bureau"),
        max_length=30,
        help_text=gettext_lazy("The payroll bureau or accounting firm gives it to you."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What the bureau may do"),
        choices=EnterpriseScope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = today
