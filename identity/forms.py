from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from identity.country_profiles import country_profile
from identity.types import ApiKeyScope, EnterpriseRole


class LinkPersonForm(forms.Form):
    national_number = forms.CharField(label=_("National number"), max_length=30)
    code = forms.CharField(
        label=_("Activation code"),
        max_length=20,
        help_text=_("12 letters and digits, as printed on the letter we sent you, for example ABCD-EFGH-JKMN."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        scheme = country_profile().person_number
        self.fields["national_number"].label = capfirst(scheme.label)
        self.fields["national_number"].help_text = _("For example %(example)s.") % {"example": scheme.example}
        self.fields["national_number"].widget.attrs.update({"autocomplete": "off", "inputmode": "numeric"})
        self.fields["code"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "characters"})


class RepresentativeGrantForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the person's account"),
        help_text=_("The person must already have a Guichet account."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=EnterpriseRole.choices)


class BankAccountForm(forms.Form):
    iban = forms.CharField(
        label=_("IBAN"), max_length=42, help_text=_("As on your bank statement, for example BE71 0961 2345 6769.")
    )
    holder_name = forms.CharField(label=_("Account holder"), max_length=140)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["iban"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the key"),
        max_length=100,
        help_text=_("For you to recognise it, for example the payroll software that uses it."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the key may do"),
        choices=ApiKeyScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKeyScope.DECLARE, ApiKeyScope.READ],
    )


class SignInAddressForm(forms.Form):
    """At the counter: the new address the person wants to sign in with, typed twice."""

    address = forms.EmailField(label=_("New sign-in address"), max_length=254)
    address_again = forms.EmailField(label=_("The same address again"), max_length=254)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("address"), cleaned.get("address_again")
        if first and second and str(first).lower() != str(second).lower():
            self.add_error("address_again", _("The two addresses differ."))
        return cleaned
