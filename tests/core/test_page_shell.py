"""The page shell's helpers: ``{% page_url %}`` gives what ``{% url %}`` gives, under whatever
prefix the site is served and for whatever URLconf is in use, reversing each address once;
``{% constant %}`` renders what it holds once per language, and holds nothing that could vary
from one request to another."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import NoReverseMatch, clear_script_prefix, set_script_prefix, set_urlconf
from django.utils import translation

from core.templatetags import guichet as tags

pytestmark = pytest.mark.django_db

NAMES = ["portal:home", "portal:dashboard", "notifications:inbox", "mfa_index", "account_logout", "account_login"]


def _render(source, **context):
    return Template("{% load i18n guichet static %}" + source).render(Context(context))


@pytest.fixture(autouse=True)
def _fresh():
    tags._BOOKS.clear()
    yield
    tags._BOOKS.clear()
    clear_script_prefix()


@pytest.mark.parametrize("name", NAMES)
def test_gives_what_url_gives(name):
    assert _render(f"{{% page_url '{name}' %}}") == _render(f"{{% url '{name}' %}}")


def test_follows_the_script_prefix_and_reverses_each_address_once(monkeypatch):
    calls = []
    real = tags.reverse
    monkeypatch.setattr(tags, "reverse", lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(3):
        assert _render("{% page_url 'portal:dashboard' %}") == "/dashboard/"
    set_script_prefix("/guichet/")
    assert _render("{% page_url 'portal:dashboard' %}") == "/guichet/dashboard/"
    assert _render("{% page_url 'portal:dashboard' %}") == "/guichet/dashboard/"
    assert len(calls) == 2


def test_follows_the_urlconf_a_request_names():
    set_urlconf("tests.portal.urls_elsewhere")  # what the handler does for a request.urlconf
    try:
        assert _render("{% page_url 'portal:dashboard' %}") == "/elsewhere/dashboard/"
    finally:
        set_urlconf(None)
    assert _render("{% page_url 'portal:dashboard' %}") == "/dashboard/"


def test_a_language_has_its_own_entry():
    with translation.override("fr"):
        _render("{% page_url 'portal:home' %}")
    with translation.override("en"):
        _render("{% page_url 'portal:home' %}")
    assert {key[2] for key in tags._BOOKS} == {"fr", "en"}


def test_an_unknown_page_or_a_missing_name_is_an_error():
    with pytest.raises(NoReverseMatch):
        _render("{% page_url 'portal:nowhere' %}")
    with pytest.raises(TemplateSyntaxError):
        _render("{% page_url %}")
    with pytest.raises(TemplateSyntaxError):
        _render("{% page_url 'contributions:account' 1 %}")


# --- {% constant %} -----------------------------------------------------------------------------

CONSTANT = (
    "<a href=\"{% page_url 'portal:home' %}\">{% translate 'All services' %}</a>{% static 'guichet/css/guichet.css' %}"
)


def _constant(source):
    return _render("{% constant %}" + source + "{% endconstant %}")


def test_constant_markup_renders_as_without_it_in_each_language_and_under_each_prefix():
    for language in ("fr", "en"):
        with translation.override(language):
            assert _constant(CONSTANT) == _render(CONSTANT)
    assert (
        _constant(CONSTANT) == _render(CONSTANT) == '<a href="/">Tous les services</a>/static/guichet/css/guichet.css'
    )
    with translation.override("en"):
        assert _constant(CONSTANT) == '<a href="/">All services</a>/static/guichet/css/guichet.css'
    set_script_prefix("/guichet/")
    assert _constant(CONSTANT) == '<a href="/guichet/">Tous les services</a>/static/guichet/css/guichet.css'


def test_constant_markup_follows_a_change_of_the_static_files_storage(settings):
    assert _constant("{% static 'guichet/css/guichet.css' %}") == "/static/guichet/css/guichet.css"
    settings.STATIC_URL = "https://cdn.example/static/"
    assert _constant("{% static 'guichet/css/guichet.css' %}") == "https://cdn.example/static/guichet/css/guichet.css"


def test_constant_markup_is_rendered_once_per_language(monkeypatch):
    renders = []
    real = tags.NodeList.render
    monkeypatch.setattr(tags.NodeList, "render", lambda self, context: renders.append(1) or real(self, context))
    template = Template("{% load i18n guichet %}{% constant %}{% translate 'Mandates' %}{% endconstant %}")
    outputs = [template.render(Context()) for _ in range(3)]
    with translation.override("en"):
        outputs += [template.render(Context()) for _ in range(2)]
    assert outputs == ["Mandats"] * 3 + ["Mandates"] * 2
    # Once per rendering of the template itself, once per language for what {% constant %} holds.
    assert len(renders) == 5 + 2


@pytest.mark.parametrize(
    "inside",
    [
        "{{ user.email }}",
        "{% csrf_token %}",
        "{% translate name %}",
        "{% translate 'Mandates' as label %}",
        "{% translate 'Mandates'|upper %}",
        "{% page_url view_name %}",
        "{% static path %}",
        "{% static 'guichet/css/guichet.css' as stylesheet %}",
        "{% if user %}x{% endif %}",
        "{% blocktranslate %}Mandates{% endblocktranslate %}",
    ],
)
def test_constant_markup_refuses_anything_that_could_vary(inside):
    with pytest.raises(TemplateSyntaxError, match="constant"):
        _constant(inside)
