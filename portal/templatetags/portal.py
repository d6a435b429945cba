"""Template helpers for the USWDS-styled forms."""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.simple_tag
def field_widget(field: BoundField) -> SafeString:
    """Render a field's widget with the design-system class and its ARIA links."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "usa-checkbox__input"
    elif isinstance(widget, forms.Select):
        css = "usa-select"
    elif isinstance(widget, forms.Textarea):
        css = "usa-textarea"
    else:
        css = "usa-input"
    described_by = []
    attrs: dict[str, str | bool] = {}
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
        css += " usa-input--error" if css == "usa-input" else ""  # noqa: RUF100
        attrs["aria-invalid"] = "true"
    attrs["class"] = " ".join(filter(None, [widget.attrs.get("class", ""), css]))
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)
