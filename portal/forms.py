from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from core.documents import code_format, code_normalise


class GuichetFormRenderer(TemplatesSetting):
    """Every form renders with the design system's markup (templates/forms/)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class AssistedForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for opening the file"),
        max_length=200,
        help_text=_("For example: the person came to the counter to change their bank account. They will see it."),
    )


class VerificationForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=60,
        help_text=_("Printed on the document, next to its QR code: six groups of four letters and digits."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        compact = code_normalise(self.cleaned_data["code"])
        if compact is None:
            raise forms.ValidationError(
                _("Enter the code as printed on the document: 24 letters and digits, in groups of four."),
                code="format",
            )
        return code_format(compact)
