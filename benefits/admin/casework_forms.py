"""The forms of a claim's case page: each posts to one sub-view of ``ClaimAdmin`` that calls one
service, with the status the case worker saw (``seen_status``) so that a stale page changes
nothing. They check the shape of what is typed; the services decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from benefits.models import DecisionOutcome

# What each input a case worker may correct holds, in words: the keys are the engine's names,
# those of ``benefits.claims.computation.CORRECTABLE`` (a test checks that none is missing).
INPUT_LABELS = {
    "insured_months": _("Months credited to the record"),
    "yearly_wage": _("Yearly wage (€) of one year"),
    "birth_date": _("Date of birth"),
    "death_date": _("Date of death"),
    "marriage_date": _("Date of the marriage or partnership"),
    "resident": _("Lives in the country (yes or no)"),
    "insured_months_before_onset": _("Months credited before the disability"),
    "monthly_wage": _("Monthly wage (€) of one month"),
    "employment_end_date": _("Last day of the last employment"),
    "disability_onset_date": _("Onset of the disability, as the medical board set it"),
    "reference_monthly_wage": _("Reference monthly wage (€)"),
}

_TEXT = {"rows": 3, "cols": 60}


class SeenForm(forms.Form):
    """A move without anything to type: start the examination, approve."""

    seen_status = forms.CharField(widget=forms.HiddenInput)


class AssignForm(SeenForm):
    # The choices are shown, not enforced: the service refuses anyone but a case worker.
    to_user = forms.IntegerField(label=_("Case worker"), widget=forms.Select)

    def __init__(self, *args: Any, workers: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].widget.choices = list(workers)


class InformationRequestForm(SeenForm):
    text = forms.CharField(
        label=_("What the claimant should send or tell"),
        max_length=4000,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("The claimant reads it in their inbox and on the claim's page."),
    )
    due_on = forms.DateField(
        label=_("Expected by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The decision's deadline waits while the claimant is waited for."),
    )


class MessageForm(SeenForm):
    text = forms.CharField(
        label=_("Message to the claimant"),
        max_length=4000,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("The claimant reads it in their inbox and on the claim's page."),
    )


class CorrectionForm(SeenForm):
    # The family as computed now; the service checks the member again.
    member = forms.IntegerField(label=_("Member of the family"), min_value=0, widget=forms.Select)
    input_name = forms.ChoiceField(label=_("Input"), choices=list(INPUT_LABELS.items()))
    period = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=7,
        help_text=_("The year (YYYY) of a yearly wage, the month (YYYY-MM) of a monthly wage; empty otherwise."),
    )
    value = forms.CharField(
        label=_("Corrected value"),
        max_length=40,
        help_text=_("A whole number of months, an amount, a date (YYYY-MM-DD), or yes/no."),
    )
    reason = forms.CharField(
        label=_("Reason of the correction"),
        max_length=4000,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Kept with the decision: say where the right value comes from."),
    )

    def __init__(self, *args: Any, members: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].widget.choices = list(members)


class ProposalForm(SeenForm):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[(DecisionOutcome.GRANTED, _("grant")), (DecisionOutcome.REFUSED, _("refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reasons given to the claimant"),
        max_length=4000,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("Printed in the decision letter."),
    )


class AppealProposalForm(ProposalForm):
    outcome = forms.ChoiceField(
        label=_("Decision on the appeal"),
        choices=[(DecisionOutcome.UPHELD, _("confirm the decision")), (DecisionOutcome.REVISED, _("change it: grant"))],
        widget=forms.RadioSelect,
    )


class ReturnForm(SeenForm):
    reason = forms.CharField(
        label=_("Why the proposal is sent back"),
        max_length=2000,
        widget=forms.Textarea(attrs=_TEXT),
        help_text=_("The case worker who proposed it reads it on this page."),
    )
