"""The back office of benefits: staff compose a scheme from a fixed vocabulary of conditions and
an amount; it runs through the rules engine at once, its page published when they choose."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from benefits.catalogue import BY_SLUG
from benefits.models import ComposedScheme
from benefits.rules import RulesInputError, composed_scheme_check
from core.backoffice import NoPersonalDataAdmin

# The engine's faults, in the words of the form.
_FAULTS = {
    "invalid_code": _("The address must start with a letter and have 2 to 40 letters, digits or hyphens."),
    "invalid_number": _("A number of the conditions or of the amount is out of its range."),
    "invalid_date": _("The last day must be on or after the first day."),
    "no_condition": _("Choose at least one condition."),
    "unknown_amount": _("Choose a flat amount or a share of the wage."),
}


class ComposedSchemeForm(forms.ModelForm):
    """The description as fields a person fills: each condition is used when its fields are."""

    age_minimum = forms.IntegerField(label=_("Minimum age (years)"), required=False, min_value=0, max_value=130)
    age_maximum = forms.IntegerField(label=_("Maximum age (years)"), required=False, min_value=0, max_value=130)
    contributed_months = forms.IntegerField(
        label=_("Months contributed at least"), required=False, min_value=1, max_value=120
    )
    contributed_window = forms.IntegerField(
        label=_("…in the last (months)"), required=False, min_value=1, max_value=120
    )
    employment_ended_within = forms.IntegerField(
        label=_("An employment ended within (months)"),
        required=False,
        min_value=0,
        max_value=120,
        help_text=_("0: during the month itself."),
    )
    residence = forms.BooleanField(label=_("Living in the country"), required=False)
    child_under = forms.IntegerField(
        label=_("Parent of a child under (years)"), required=False, min_value=1, max_value=30
    )
    amount_kind = forms.ChoiceField(
        label=_("Amount"),
        choices=[("flat", _("a flat amount")), ("wage_based", _("a share of the average wage"))],
        widget=forms.RadioSelect,
    )
    flat_amount = forms.DecimalField(
        label=_("Flat amount (€)"), required=False, min_value=Decimal("0.01"), max_digits=8, decimal_places=2
    )
    wage_rate = forms.DecimalField(
        label=_("Share of the wage (0 to 1)"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("1"),
        max_digits=4,
        decimal_places=2,
    )
    wage_months = forms.IntegerField(label=_("Months of wage averaged"), required=False, min_value=1, max_value=120)
    wage_minimum = forms.DecimalField(
        label=_("Minimum amount (€)"), required=False, min_value=Decimal("0"), max_digits=8, decimal_places=2
    )
    wage_maximum = forms.DecimalField(
        label=_("Maximum amount (€)"), required=False, min_value=Decimal("0"), max_digits=8, decimal_places=2
    )

    class Meta:
        model = ComposedScheme
        fields = [
            "slug",
            "title_fr",
            "title_en",
            "summary_fr",
            "summary_en",
            "legal_basis",
            "valid_from",
            "valid_until",
            "periodicity",
            "decision_days",
            "documents_fr",
            "documents_en",
            "published",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scheme = self.instance
        if scheme.pk is None:
            return
        for condition in scheme.conditions:
            kind = condition.get("kind")
            if kind == "age_range":
                self.initial["age_minimum"] = condition.get("minimum")
                self.initial["age_maximum"] = condition.get("maximum")
            elif kind == "contributed_months":
                self.initial["contributed_months"] = condition["months"]
                self.initial["contributed_window"] = condition["window"]
            elif kind == "employment_ended":
                self.initial["employment_ended_within"] = condition["within_months"]
            elif kind == "residence":
                self.initial["residence"] = True
            elif kind == "parent_of_child_under":
                self.initial["child_under"] = condition["age"]
        amount = scheme.amount
        self.initial["amount_kind"] = amount.get("kind")
        self.initial["flat_amount"] = amount.get("value")
        self.initial["wage_rate"] = amount.get("rate")
        self.initial["wage_months"] = amount.get("months")
        self.initial["wage_minimum"] = amount.get("minimum")
        self.initial["wage_maximum"] = amount.get("maximum")

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"])
        if slug in BY_SLUG:
            raise forms.ValidationError(_("A statutory benefit already has this address."), code="taken")
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        conditions: list[dict[str, Any]] = []
        low, high = data.get("age_minimum"), data.get("age_maximum")
        if low is not None or high is not None:
            if low is not None and high is not None and low > high:
                self.add_error("age_maximum", _("The maximum age must be at least the minimum age."))
            conditions.append({"kind": "age_range", "minimum": low, "maximum": high})
        months, window = data.get("contributed_months"), data.get("contributed_window")
        if months is not None or window is not None:
            if months is None or window is None:
                self.add_error("contributed_window", _("Give both the months and the window."))
            elif months > window:
                self.add_error("contributed_window", _("The window must be at least the months contributed."))
            else:
                conditions.append({"kind": "contributed_months", "months": months, "window": window})
        if data.get("employment_ended_within") is not None:
            conditions.append({"kind": "employment_ended", "within_months": data["employment_ended_within"]})
        if data.get("residence"):
            conditions.append({"kind": "residence"})
        if data.get("child_under") is not None:
            conditions.append({"kind": "parent_of_child_under", "age": data["child_under"]})
        amount: dict[str, Any] = {"kind": data.get("amount_kind")}
        if data.get("amount_kind") == "flat":
            if data.get("flat_amount") is None:
                self.add_error("flat_amount", _("Give the flat amount."))
            amount["value"] = str(data.get("flat_amount"))
        elif data.get("amount_kind") == "wage_based":
            for field in ("wage_rate", "wage_months"):
                if data.get(field) is None:
                    self.add_error(field, _("Give the share of the wage and the months averaged."))
            amount.update(rate=str(data.get("wage_rate")), months=data.get("wage_months"))
            for key, field in (("minimum", "wage_minimum"), ("maximum", "wage_maximum")):
                if data.get(field) is not None:
                    amount[key] = str(data[field])
            low_amount, high_amount = data.get("wage_minimum"), data.get("wage_maximum")
            if low_amount is not None and high_amount is not None and low_amount > high_amount:
                self.add_error("wage_maximum", _("The maximum amount must be at least the minimum amount."))
        if self.errors:
            return data
        self.instance.conditions = conditions
        self.instance.amount = amount
        description = {
            "code": str(data.get("slug", "")).replace("-", "_"),
            "valid_from": data["valid_from"].isoformat() if data.get("valid_from") else None,
            "conditions": conditions,
            "amount": amount,
        }
        if data.get("valid_until"):
            description["valid_until"] = data["valid_until"].isoformat()
        try:
            composed_scheme_check(description)
        except RulesInputError as error:
            raise forms.ValidationError(_FAULTS.get(error.code, _FAULTS["invalid_number"]), code=error.code) from None
        return data


@admin.register(ComposedScheme)
class ComposedSchemeAdmin(NoPersonalDataAdmin):
    """Schemes composed by staff. A change of the conditions or the amount is a new version of
    the rules (its fingerprint changes): decisions keep the one they were computed with, and the
    history of every change is kept by database triggers (django-pghistory)."""

    why = "benefits composed by staff"
    form = ComposedSchemeForm
    list_display = ["title_fr", "slug", "valid_from", "valid_until", "periodicity", "published"]
    list_filter = ["published", "periodicity"]
    fieldsets = [
        (_("The benefit"), {"fields": ["slug", "title_fr", "title_en", "summary_fr", "summary_en", "legal_basis"]}),
        (_("When and how it is paid"), {"fields": ["valid_from", "valid_until", "periodicity", "decision_days"]}),
        (
            _("Conditions (each one used when filled)"),
            {
                "fields": [
                    ("age_minimum", "age_maximum"),
                    ("contributed_months", "contributed_window"),
                    "employment_ended_within",
                    "residence",
                    "child_under",
                ]
            },
        ),
        (
            _("Amount"),
            {"fields": ["amount_kind", "flat_amount", ("wage_rate", "wage_months"), ("wage_minimum", "wage_maximum")]},
        ),
        (_("Claims and publication"), {"fields": ["documents_fr", "documents_en", "published"]}),
    ]

    def save_model(self, request: HttpRequest, obj: ComposedScheme, form: Any, change: bool) -> None:
        if not change:
            obj.composed_by = request.user  # type: ignore[assignment]
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)
