"""What people see when the database does not answer, in a real browser against the live server:
the portal's connections are cut and new ones refused (as during a PostgreSQL restart). A signed-in
person gets the 503 page in their language, with Retry-After, saying that nothing sent before is
lost and what still works; what it says still works does (the list of services, the status page,
signed out); once the database is back, the same page answers again. A page that does not exist
answers the site's 404 page. Every page passes axe in French and English."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import psycopg
from django.db import connection
from playwright.sync_api import expect

from tests.browser.conftest import NewPage
from tests.browser.test_journeys import _in, _sign_in
from tests.browser.test_trust import _look
from tests.identity import factories


@contextmanager
def database_down() -> Iterator[None]:
    """Every connection to the test database but the test's own is cut, and new ones are
    refused, until the block ends."""
    database = connection.settings_dict
    server = psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"],
        dbname="postgres",
        autocommit=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    try:
        server.execute(f'ALTER DATABASE "{database["NAME"]}" WITH ALLOW_CONNECTIONS false')
        server.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            [database["NAME"], own],
        )
        yield
    finally:
        server.execute(f'ALTER DATABASE "{database["NAME"]}" WITH ALLOW_CONNECTIONS true')
        server.close()


def test_a_signed_in_person_gets_the_outage_page_in_their_language_then_their_page_again(new_page: NewPage) -> None:
    citizen = factories.UserFactory(person=factories.PersonFactory(first_name="Lucie", last_name="Martin"))
    for language, locale in (("fr", "fr-FR"), ("en", "en-GB")):
        page = new_page(locale=locale)
        _sign_in(page, citizen.email)
        expect(page.locator("h1")).to_be_visible()
        with database_down():
            response = page.goto("/dashboard/")
            assert response is not None
            assert response.status == 503
            assert response.headers["retry-after"] == "30"
            expect(page.locator("h1")).to_have_text(_in(language, "Service temporarily unavailable"))
            expect(page.locator("main")).to_contain_text(_in(language, "Our database is not answering at the moment."))
            expect(page.locator("main")).to_contain_text(_in(language, "What still works"))
            assert page.locator("html").get_attribute("lang") == language
            _look(page, f"outage-{language}")
        response = page.goto("/dashboard/")
        assert response is not None and response.status == 200


def test_what_the_outage_page_says_still_works_does_while_the_database_is_down(new_page: NewPage) -> None:
    page = new_page()
    with database_down():
        response = page.goto("/")
        assert response is not None and response.status == 200
        expect(page.locator("h1")).to_be_visible()
        response = page.goto("/status/")
        assert response is not None and response.status == 200
        expect(page.locator("h1")).to_have_text(_in("fr", "Service status"))


def test_a_page_that_does_not_exist_answers_the_sites_404_page_in_both_languages(new_page: NewPage) -> None:
    for language, locale in (("fr", "fr-FR"), ("en", "en-GB")):
        page = new_page(locale=locale)
        response = page.goto("/no-such-page/")
        assert response is not None and response.status == 404
        expect(page.locator("h1")).to_have_text(_in(language, "Page not found"))
        _look(page, f"not-found-{language}")


def test_a_defect_answers_the_500_page_in_both_languages(new_page: NewPage) -> None:
    """The live server runs in this process: a defect is made in the home page's view."""
    with mock.patch("portal.views.catalogue_for", side_effect=RuntimeError("a defect")):
        for language, locale in (("fr", "fr-FR"), ("en", "en-GB")):
            page = new_page(locale=locale)
            response = page.goto("/")
            assert response is not None and response.status == 500
            expect(page.locator("h1")).to_have_text(_in(language, "Something went wrong on our side"))
            assert "a defect" not in page.content()
            _look(page, f"server-error-{language}")
