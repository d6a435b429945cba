"""The shared form templates (templates/forms/) draw every list of choices as a fieldset with a
legend, of design-system checkboxes or radios, each label pointing at its own input."""

from __future__ import annotations

from django import forms
from django.test.html import Element, parse_html

from mandates.forms import ChangeForm


class _Choices(forms.Form):
    colours = forms.MultipleChoiceField(
        label="Colours", choices=[("red", "Red"), ("blue", "Blue")], widget=forms.CheckboxSelectMultiple
    )
    size = forms.ChoiceField(
        label="Size", choices=[("s", "Small"), ("l", "Large")], widget=forms.RadioSelect, help_text="Pick one."
    )
    agree = forms.BooleanField(label="I agree")


def _elements(node: Element, name: str) -> list[Element]:
    found = []
    for child in node.children:
        if isinstance(child, Element):
            if child.name == name:
                found.append(child)
            found.extend(_elements(child, name))
    return found


def _attributes(element: Element) -> dict[str, str | None]:
    return dict(element.attributes)


def _choices(fieldset: Element) -> list[tuple[str | None, str | None, str | None, str | None, str]]:
    """(input type, input class, input id, label class, label target) of each choice, in order."""
    inputs = [_attributes(element) for element in _elements(fieldset, "input")]
    labels = [_attributes(element) for element in _elements(fieldset, "label")]
    return [
        (given.get("type"), given.get("class"), given.get("id"), label.get("class"), label.get("for") or "")
        for given, label in zip(inputs, labels, strict=True)
    ]


def test_checkbox_and_radio_lists_are_fieldsets_of_design_system_inputs() -> None:
    page = parse_html(_Choices().render())
    colours, size = _elements(page, "fieldset")
    assert [str(legend.children[0]).strip() for legend in _elements(colours, "legend")] == ["Colours"]
    assert _choices(colours) == [
        ("checkbox", "usa-checkbox__input", "id_colours_0", "usa-checkbox__label", "id_colours_0"),
        ("checkbox", "usa-checkbox__input", "id_colours_1", "usa-checkbox__label", "id_colours_1"),
    ]
    assert _attributes(size)["aria-describedby"] == "id_size_helptext"
    assert _choices(size) == [
        ("radio", "usa-radio__input", "id_size_0", "usa-radio__label", "id_size_0"),
        ("radio", "usa-radio__input", "id_size_1", "usa-radio__label", "id_size_1"),
    ]
    # No label wraps its input (USWDS draws the box from the label that follows the input).
    for label in _elements(page, "label"):
        assert _elements(label, "input") == []
    # A single checkbox stays outside any fieldset, with its own label.
    agree = [element for element in _elements(page, "input") if _attributes(element).get("name") == "agree"]
    assert [_attributes(element)["class"] for element in agree] == ["usa-checkbox__input"]
    assert len(_elements(page, "fieldset")) == 2


def test_a_missing_choice_is_announced_by_the_fieldset() -> None:
    form = ChangeForm(data={"ends_on": "2030-01-01"})
    assert not form.is_valid()
    [fieldset] = _elements(parse_html(form.render()), "fieldset")
    assert _attributes(fieldset)["aria-describedby"] == "id_scopes_error"
    errors = [element for element in _elements(fieldset, "span") if _attributes(element).get("id") == "id_scopes_error"]
    assert len(errors) == 1
    assert [_attributes(element).get("aria-invalid") for element in _elements(fieldset, "input")] == ["true"] * 3
