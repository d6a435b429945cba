"""Template helpers: the USWDS-styled forms, amounts of money, the addresses and the constant
markup of the page shell."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms, template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.forms import BoundField
from django.forms.boundfield import BoundWidget
from django.template.base import FilterExpression, NodeList, Parser, TextNode, Token, Variable
from django.template.context import Context
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.money import amount_text
from core.sizes import file_size as _file_size

register = template.Library()


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def choice_kind(field: BoundField) -> str:
    """The kind of input of a field drawn as a list of choices ("checkbox" or "radio"), else
    an empty string."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkbox"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    return ""


@register.simple_tag
def choice_input(field: BoundField, option: BoundWidget) -> SafeString:
    """One choice of a checkbox or radio list as a bare design-system input; the template
    draws its label next to it, which is what USWDS styles (a label wrapping its input is not)."""
    kind = choice_kind(field) or "checkbox"
    attrs = dict(option.data["attrs"])
    attrs["class"] = " ".join(filter(None, [attrs.get("class", ""), f"usa-{kind}__input"]))
    context = {"widget": {**option.data, "attrs": attrs, "wrap_label": False}}
    return mark_safe(option.renderer.render(option.template_name, context))  # noqa: S308 (Django's own widget template)


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


_CODE_SPAN = re.compile(r"`([^`]+)`")


@register.filter
def code_spans(text: str) -> SafeString:
    """A description written as OpenAPI's (Markdown) are: `a code` between backquotes is shown
    as code; the rest is escaped text."""
    return mark_safe(_CODE_SPAN.sub(r"<code>\1</code>", str(conditional_escape(text))))  # noqa: S308 — escaped first


@register.filter
def file_size(value: int | float | None) -> str:
    """A file's size in the reader's language ("2,5 Mo", "2.5 MB"): see core/sizes.py."""
    return _file_size(value)


@register.filter
def money(value: Decimal | int | float | str | None) -> str:
    """An amount with two decimals, grouped, with the language's separators: see
    ``core.money.amount_text``."""
    return amount_text(value)


@register.filter
def iso_date(value: str | datetime.date | None) -> str:
    """A day kept as ``YYYY-MM-DD`` (in a message's stored context) as the reader's language
    writes dates: "15 novembre 2026", "15 November 2026". Anything else is shown as it is."""
    day = _day(value)
    return formats.date_format(day, "DATE_FORMAT") if day else str(value or "")


@register.filter
def iso_month(value: str | None) -> str:
    """A month kept as ``YYYY-MM`` (a declaration's period) as the reader's language names it:
    "octobre 2026", "October 2026". Anything else is shown as it is."""
    day = _day(f"{value}-01") if isinstance(value, str) and len(value) == 7 else None
    return formats.date_format(day, "YEAR_MONTH_FORMAT") if day else str(value or "")


def _day(value: object) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


# Addresses of pages without arguments, reversed once per process: Django's reverse() was a fifth
# of the page shell's rendering (a dozen links on every page). An address depends on the URLconf
# (a new resolver when it changes), the script prefix the site is served under, the language
# (translated routes) and the current application (instance namespaces): one book of addresses
# for each, found once per rendering (none of them changes within one; under {% language %}, the
# links would stay in the page's language).
_BOOKS: dict[tuple[object, ...], dict[str, str]] = {}
_BOOKS_MAX = 100
_BOOK_OF_THIS_RENDERING = "portal.page_url"  # its key in the render context


def _book(context: Context) -> tuple[tuple[object, ...], dict[str, str], str | None]:
    """(what the addresses depend on, the book of addresses, the current application)."""
    found: tuple[tuple[object, ...], dict[str, str], str | None] | None = context.render_context.get(
        _BOOK_OF_THIS_RENDERING
    )
    if found is not None:
        return found
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
    # Shared by the nodes of this rendering (the render context lives as long as it).
    context.render_context[_BOOK_OF_THIS_RENDERING] = found = (key, book, current_app)
    return found


class PageURLNode(template.Node):
    def __init__(self, view_name: FilterExpression) -> None:
        self.view_name = view_name

    def render(self, context: Context) -> str:
        view_name = self.view_name.resolve(context)
        _key, book, current_app = _book(context)
        address = book.get(view_name)
        if address is None:
            address = book[view_name] = reverse(view_name, current_app=current_app)
        return conditional_escape(address) if context.autoescape else address


@register.tag
def page_url(parser: Parser, token: Token) -> PageURLNode:
    """``{% page_url "portal:home" %}``: ``{% url %}`` for a page that takes no argument, reversed
    once per process."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the name of a page without arguments")
    return PageURLNode(parser.compile_filter(bits[1]))


# Markup of the page shell that is the same for every request in a language — text, the
# translation of a literal, the address of a page without arguments or of a static file —
# rendered once per process and language: the shell's few dozen such nodes were a tenth of a
# page's time. What it may hold is checked when the template is compiled, so no variable (a name,
# a token, a count) can enter. Static addresses come from the storage's manifest, read once per
# process.
_RENDERINGS: dict[tuple[object, ...], SafeString] = {}
_RENDERINGS_MAX = 1000


def _is_constant(node: template.Node) -> bool:
    if isinstance(node, TextNode):
        return True
    if isinstance(node, PageURLNode):
        return not node.view_name.is_var and not node.view_name.filters
    if isinstance(node, StaticNode):
        return node.varname is None and not node.path.is_var and not node.path.filters
    if isinstance(node, TranslateNode):
        message = node.filter_expression
        literal = isinstance(message.var, Variable) and message.var.literal is not None
        context_literal = node.message_context is None or not node.message_context.is_var
        return literal and context_literal and not message.filters and node.asvar is None
    return False


class ConstantNode(template.Node):
    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Context) -> SafeString:
        addresses, _book_of_addresses, _current_app = _book(context)
        key = (self, addresses, get_language(), context.autoescape)
        rendered = _RENDERINGS.get(key)
        if rendered is None:
            if len(_RENDERINGS) >= _RENDERINGS_MAX:
                _RENDERINGS.clear()
            rendered = _RENDERINGS[key] = self.nodelist.render(context)
        return rendered


@register.tag
def constant(parser: Parser, token: Token) -> ConstantNode:
    """``{% constant %}…{% endconstant %}``: markup made of text, ``{% translate "…" %}``,
    ``{% page_url "…" %}`` and ``{% static "…" %}`` only, rendered once per process and
    language."""
    nodelist = parser.parse(("endconstant",))
    parser.delete_first_token()
    for node in nodelist:
        if not _is_constant(node):
            raise template.TemplateSyntaxError(
                "{% constant %} holds text and the {% translate %}, {% page_url %} or {% static %} of a literal only, "
                f"not {node.token.contents if node.token else type(node).__name__!r}"
            )
    return ConstantNode(nodelist)


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    """Tests change the URLconf, the languages or the catalogues: start again."""
    _BOOKS.clear()
    _RENDERINGS.clear()
