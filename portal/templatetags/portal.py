"""Template helpers: the USWDS-styled forms, amounts of money, addresses of the page shell."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms, template
from django.forms import BoundField
from django.template.base import FilterExpression, Parser, Token
from django.template.context import Context
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

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


_SEPARATORS: dict[str, tuple[str, str]] = {}


@register.filter
def money(value: Decimal | int | float | str | None) -> str:
    """An amount with two decimals, grouped, with the language's separators: "1 234,50" in
    French, "1,234.50" in English. Formatted in Python: pages listing hundreds of amounts stay
    fast (``floatformat`` costs a tenth of a millisecond a number)."""
    if value is None or value == "":
        return ""
    language = get_language() or "fr"
    if language not in _SEPARATORS:
        _SEPARATORS[language] = (
            str(formats.get_format("THOUSAND_SEPARATOR", language)),
            str(formats.get_format("DECIMAL_SEPARATOR", language)),
        )
    thousands, decimal = _SEPARATORS[language]
    text = f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)


# Addresses of pages without arguments, reversed once per process: Django's reverse() was a fifth
# of the page shell's rendering (a dozen links on every page). An address depends on the URLconf
# (a new resolver when it changes), the script prefix the site is served under, the language
# (translated routes) and the current application (instance namespaces): one book of addresses
# for each, found once per rendering (none of them changes within one; under {% language %}, the
# links would stay in the page's language).
_BOOKS: dict[tuple[object, ...], dict[str, str]] = {}
_BOOKS_MAX = 100
_BOOK_OF_THIS_RENDERING = "portal.page_url"  # its key in the render context


class PageURLNode(template.Node):
    def __init__(self, view_name: FilterExpression) -> None:
        self.view_name = view_name

    def render(self, context: Context) -> str:
        view_name = self.view_name.resolve(context)
        book, current_app = context.render_context.get(_BOOK_OF_THIS_RENDERING) or PageURLNode._book(context)
        address = book.get(view_name)
        if address is None:
            address = book[view_name] = reverse(view_name, current_app=current_app)
        return conditional_escape(address) if context.autoescape else address

    @staticmethod
    def _book(context: Context) -> tuple[dict[str, str], str | None]:
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        key = (get_resolver(get_urlconf()), get_script_prefix(), get_language(), current_app)
        book = _BOOKS.get(key)
        if book is None:
            if len(_BOOKS) >= _BOOKS_MAX:
                _BOOKS.clear()
            book = _BOOKS[key] = {}
        # Shared by the page_url nodes of this rendering (the render context lives as long as it).
        context.render_context[_BOOK_OF_THIS_RENDERING] = found = (book, current_app)
        return found


@register.tag
def page_url(parser: Parser, token: Token) -> PageURLNode:
    """``{% page_url "portal:home" %}``: ``{% url %}`` for a page that takes no argument, reversed
    once per process."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the name of a page without arguments")
    return PageURLNode(parser.compile_filter(bits[1]))
