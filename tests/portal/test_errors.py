"""The pages of errors (portal/errors.py): a defect answers the localised 500 page with the
request's reference; a dependency that does not answer answers 503 with Retry-After, a page or
the API's error body; an unknown page answers the site's 404 page, and the API its JSON 404.
(The real outage — the database refusing connections — is driven in tests/browser/test_outage.py.)"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = [pytest.mark.django_db]


def _client(language: str) -> Client:
    client = Client(raise_request_exception=False)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.mark.parametrize(
    ("language", "title"),
    [("fr", "Une erreur s’est produite de notre côté"), ("en", "Something went wrong on our side")],
)
def test_a_defect_answers_the_500_page_in_the_persons_language_with_its_reference(language, title):
    with mock.patch("portal.views.catalogue_for", side_effect=RuntimeError("a defect")):
        response = _client(language).get("/", HTTP_X_REQUEST_ID="ref-1234567890")
    assert response.status_code == 500
    page = response.content.decode()
    assert title in page
    assert "ref-1234567890" in page
    assert "a defect" not in page


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "Notre base de données ne répond pas"), ("en", "Our database is not answering")]
)
def test_a_database_that_does_not_answer_answers_503_with_retry_after(language, words):
    with mock.patch("portal.views.catalogue_for", side_effect=OperationalError("connection refused")):
        response = _client(language).get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert words in response.content.decode()


def test_the_api_answers_503_in_its_error_shape_when_the_database_does_not_answer():
    with mock.patch("contributions.selectors.rates_for_period", side_effect=OperationalError("server closed")):
        response = _client("fr").get("/api/v1/rates/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["code"] == "unavailable"
    assert body["errors"] == []
    assert "Retry-After" in body["message"]


def test_every_api_operation_documents_its_503():
    from portal.api_schema import api_schema

    schema = api_schema("en")
    operations = [op for item in schema["paths"].values() for method, op in item.items() if method in {"get", "post"}]
    assert operations
    assert all("503" in op["responses"] for op in operations)


@pytest.mark.parametrize(("language", "title"), [("fr", "Page introuvable"), ("en", "Page not found")])
def test_an_unknown_page_answers_the_sites_404_page(language, title):
    response = _client(language).get("/no-such-page/")
    assert response.status_code == 404
    assert title in response.content.decode()
