from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _


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
