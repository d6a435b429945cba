"""The simulator's assumptions, read from the query string (the page works without JavaScript:
a GET form, its address can be bookmarked)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

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


# --- Claims -----------------------------------------------------------------------------------------
# The forms only carry what people typed: the services check it (and say what is wrong in the
# refusal's message, shown on the form).

TEXT_WIDGET = forms.Textarea(attrs={"rows": 4, "maxlength": 2000})


class ClaimAboutForm(forms.Form):
    subject = forms.ChoiceField(label=_("Whom is the claim about?"), widget=forms.RadioSelect)
    month = forms.CharField(
        label=_("From which month do you ask for it? (YYYY-MM)"),
        max_length=7,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}-[0-9]{2}", "autocomplete": "off"}),
    )
    remarks = forms.CharField(
        label=_("Anything the case worker should know (optional)"),
        required=False,
        max_length=2000,
        widget=TEXT_WIDGET,
    )

    def __init__(
        self, *args: Any, choices: list[tuple[str, str]], monthly: bool, month_hint: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["subject"]).choices = choices
        if monthly:
            self.fields["month"].help_text = month_hint
        else:
            del self.fields["month"]


class ClaimDocumentForm(forms.Form):
    which = forms.TypedChoiceField(label=_("Which document is it?"), coerce=int)
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, JPEG or PNG file of at most %(size)s: a scan or a photo is fine."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, required: tuple[str, ...], max_size: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["which"]).choices = [
            *((str(index), label[:1].upper() + label[1:]) for index, label in enumerate(required)),
            ("-1", _("Another document")),
        ]
        self.fields["file"].help_text = self.fields["file"].help_text % {"size": max_size}


class ClaimBankForm(forms.Form):
    account = forms.ChoiceField(label=_("Where should the benefit be paid?"), widget=forms.RadioSelect)
    iban = forms.CharField(
        label=_("IBAN of the new account"),
        required=False,
        max_length=42,
        help_text=_("For example BE71 0961 2345 6769. Changing the account needs your second factor."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    holder = forms.CharField(label=_("Account holder"), required=False, max_length=140)

    def __init__(self, *args: Any, on_file: str, may_set: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = []
        if on_file:
            choices.append(("on_file", str(_("The account on file: %(account)s") % {"account": on_file})))
        if may_set:
            choices.append(("new", str(_("Another account"))))
        else:
            del self.fields["iban"], self.fields["holder"]
        cast(forms.ChoiceField, self.fields["account"]).choices = choices


class ClaimDeclarationForm(forms.Form):
    honour = forms.BooleanField(
        label=_(
            "I declare on honour that the information in this claim is complete and true, and I will report any "
            "change that affects it."
        ),
        required=False,
    )


class ClaimMessageForm(forms.Form):
    text = forms.CharField(label=_("Your message to the case worker"), max_length=2000, widget=TEXT_WIDGET)


class ClaimInformationForm(forms.Form):
    text = forms.CharField(label=_("Your answer"), required=False, max_length=2000, widget=TEXT_WIDGET)
    file = forms.FileField(
        label=_("A document (optional)"),
        required=False,
        help_text=_("A PDF, JPEG or PNG file."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    seen_status = forms.CharField(widget=forms.HiddenInput)


class ClaimWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), required=False, max_length=2000, widget=TEXT_WIDGET)
    seen_status = forms.CharField(widget=forms.HiddenInput)


class ClaimAppealForm(forms.Form):
    grounds = forms.CharField(label=_("Why do you disagree with the decision?"), max_length=2000, widget=TEXT_WIDGET)
    file = forms.FileField(
        label=_("A document supporting the appeal (optional)"),
        required=False,
        help_text=_("A PDF, JPEG or PNG file."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    seen_status = forms.CharField(widget=forms.HiddenInput)


class LifeCertificateForm(forms.Form):
    file = forms.FileField(
        label=_("The certificate"),
        help_text=_(
            "Signed and stamped by a local authority (town hall, consulate, notary) less than three months ago. A PDF,"
            " JPEG or PNG file of at most %(size)s: a scan or a photo is fine."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args: Any, max_size: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.fields["file"].help_text % {"size": max_size}


# --- Benefits proposed without an application ---------------------------------------------------

# The reason kept with a proposal declined (Proposal.note).
DECLINE_REASON_MAX = 500


class ProposalDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        help_text=_("If you wish: the reason is kept with your answer. At most 500 characters."),
        required=False,
        max_length=DECLINE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProposalDisputeForm(forms.Form):
    text = forms.CharField(
        label=_("What is wrong in the proposal"),
        help_text=_("The amount, the month, the person it is about: a case worker decides. At most 2,000 characters."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    honour = forms.BooleanField(
        label=_("I declare on honour that what I write is complete and true."),
        required=True,
    )
