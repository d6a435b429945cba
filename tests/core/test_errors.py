"""The one coded error and the one NotFound, mapped once to pages and to the API."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework.decorators import api_view, authentication_classes, permission_classes

from core.errors import DomainError, NotFound
from core.http import NotFoundMiddleware, portal_request
from portal import urls as portal_urls


@pytest.fixture(autouse=True)
def _language_back():
    """The requests below activate English; the tests after them expect the default."""
    yield
    translation.deactivate()


class _Refused(DomainError):
    messages = {"too_late": _("Too late for %(what)s."), "plain": _("Enter the last day of work.")}


def test_a_domain_error_tells_its_message_in_the_language_active_when_it_is_read():
    error = _Refused("plain")
    with translation.override("fr"):
        assert error.message == "Indiquez le dernier jour de travail."
    with translation.override("en"):
        assert error.message == "Enter the last day of work."
    assert (error.code, error.errors) == ("plain", [])


def test_a_domain_error_fills_its_placeholders_and_keeps_its_anomalies():
    error = _Refused("too_late", params={"what": "2026-11"}, errors=[{"line": 2, "code": "wage_negative"}])
    assert error.message == "Too late for 2026-11."
    assert error.errors == [{"line": 2, "code": "wage_negative"}]


def test_a_code_without_a_message_is_refused_when_raised():
    with pytest.raises(ValueError, match="no message for the code 'unknown'"):
        _Refused("unknown")


def test_a_message_given_in_place_wins_over_the_codes_own():
    assert _Refused("plain", "Something else").message == "Something else"


def _raises_not_found(request):
    raise NotFound


def _raises_refusal(request):
    raise _Refused("too_late", params={"what": "this month"}, errors=[{"line": 1, "field": "wage"}])


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def _api_not_found(request):
    raise NotFound


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def _api_refusal(request):
    raise _Refused("too_late", params={"what": "this month"}, errors=[{"line": 1, "field": "wage"}])


# The portal's own pages too: the site's 404 page links to them.
urlpatterns = [
    path("page/missing/", _raises_not_found),
    path("page/refused/", _raises_refusal),
    path("api/missing/", _api_not_found),
    path("api/refused/", _api_refusal),
    *portal_urls.urlpatterns,
]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.core.test_errors", DEBUG=False)
def test_a_page_that_lets_not_found_through_answers_404(client):
    response = client.get("/page/missing/")
    assert response.status_code == 404


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.core.test_errors")
def test_the_api_answers_not_found_in_its_error_shape(client):
    response = client.get("/api/missing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Not found, or not accessible with this API key.",
        "errors": [],
    }


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.core.test_errors")
def test_the_api_answers_a_refusal_it_did_not_word_with_its_code_message_and_anomalies(client):
    response = client.get("/api/refused/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json() == {
        "code": "too_late",
        "message": "Too late for this month.",
        "errors": [{"line": 1, "field": "wage"}],
    }


def test_the_middleware_leaves_other_errors_alone():
    middleware = NotFoundMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    assert middleware.process_exception(request, ValueError("boom")) is None


def test_a_request_without_the_actor_middleware_is_not_taken_for_a_portal_request():
    with pytest.raises(RuntimeError, match="no actor"):
        portal_request(RequestFactory().get("/"))
