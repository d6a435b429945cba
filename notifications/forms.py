from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.selectors import PreferenceRow


class PreferencesForm(forms.Form):
    """Two checkboxes per category; e-mail is fixed on where legal notices are sent."""

    def __init__(self, *args: Any, rows: list[PreferenceRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"{row.category}_email"] = forms.BooleanField(
                label=_("E-mail"), required=False, initial=row.email, disabled=row.email_locked
            )
            self.fields[f"{row.category}_sms"] = forms.BooleanField(label=_("SMS"), required=False, initial=row.sms)

    def choices(self) -> dict[str, tuple[bool, bool]]:
        return {
            row.category: (
                True if row.email_locked else self.cleaned_data[f"{row.category}_email"],
                self.cleaned_data[f"{row.category}_sms"],
            )
            for row in self.rows
        }

    def groups(self) -> list[tuple[PreferenceRow, forms.BoundField, forms.BoundField]]:
        return [(row, self[f"{row.category}_email"], self[f"{row.category}_sms"]) for row in self.rows]


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        help_text=_("For example +32 470 12 34 56. We will send a code to check it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})


class PhoneCodeForm(forms.Form):
    code = forms.CharField(label=_("Code received by SMS"), max_length=6, min_length=6)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"autocomplete": "one-time-code", "inputmode": "numeric"})
