from django.forms.renderers import TemplatesSetting


class GuichetFormRenderer(TemplatesSetting):
    """Every form renders with the design system's markup (templates/forms/)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
